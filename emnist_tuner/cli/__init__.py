"""The `emnist-tuner` command line: a thin typer front end over ``emnist_tuner.api``, one module per
command group (``datasets``, ``train``, ``search``, ``reading``, ``transfer``, ``ablate``), assembled in ``app``."""

from .app import app, main

__all__ = ["app", "main"]
