"""`emnist-tuner mlflow`: a search run folder logged to MLflow after the fact; ``--mlflow`` of `search`
and `resume` (checked here, before TensorFlow is imported)."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import api
from ..errors import ConfigError, plural
from .common import console

MlflowOption = typer.Option(
    None,
    "--mlflow",
    metavar="URI",
    help="Log the search to MLflow as it goes (file:///path/mlruns, a server http://host:5000, sqlite:///x.db): "
    "a parent run, one child run per trial. Needs the mlflow extra.",
)


def mlflow_client(uri: str | None, worker: bool = False, what: str = "--mlflow"):
    """The MLflow client for ``--mlflow`` (None without it); a missing extra or an unusable URI is one line
    (exit 2), before any work."""
    if uri is None:
        return None
    if worker:
        raise ConfigError("--mlflow is for the chief (it logs the whole search); give it to the chief, not a worker")
    return api.tracking.mlflow_client(uri, what)


def mlflow(
    run_dir: Path = typer.Argument(..., metavar="RUN", help="The run folder of a search (finished or interrupted)."),
    uri: str = typer.Option(
        ...,
        "--uri",
        metavar="URI",
        help="The MLflow tracking store: file:///path/mlruns (or a path), sqlite:///x.db, http://host:5000.",
    ),
) -> None:
    """Log a search run folder to MLflow: the search as a parent run, each trial as a child run.

    Idempotent: what the store holds already (found by the run folder's key and trial ids) is not
    logged again. The experiment is MLFLOW_EXPERIMENT_NAME, else emnist-tuner. Search runs only.
    """
    from ..tracking.mlflow_log import check_loggable

    check_loggable(run_dir)  # a search run folder, before the store is opened
    client = mlflow_client(uri, what="--uri")
    logged = api.log_to_mlflow(run_dir, client)
    added = logged["trials_added"]
    console.print(
        f"MLflow {client.tracking_uri}, experiment '{logged['experiment']}': parent run {logged['parent_run_id']}; "
        + (f"{plural(added, 'trial')} added, " if added else "nothing new to add, ")
        + f"{plural(logged['trials_logged'], 'trial')} logged in all",
        highlight=False,
        soft_wrap=True,
    )
