"""`emnist-tuner retrain` and `emnist-tuner transfer`: the winner on MNIST, then as a backbone."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .. import api
from .common import DataDirOption, DownloadOption, console, interruptible

RunArgument = typer.Argument(..., metavar="RUN", help="A finished search or train run folder.")


def retrain(
    run_dir: Path = RunArgument,
    dataset: str = typer.Option("mnist", "--dataset", help="The dataset to retrain the winner on."),
    epochs: int = typer.Option(15, "--epochs", help="Maximum epochs (early stopping may end sooner)."),
    batch_size: int = typer.Option(128, "--batch-size"),
    subset: Optional[int] = typer.Option(None, "--subset", help="Train on a stratified subset of N images."),
    seed: int = typer.Option(0, "--seed"),
    patience: int = typer.Option(3, "--patience", help="Early-stopping patience on validation accuracy (0 = off)."),
    data_dir: Optional[Path] = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Retrain the run's winning architecture on MNIST: test accuracy, and the backbone for `transfer`."""
    from ..experiments.retrain import HOW_TO_GO_ON
    from ..reports.transfer_table import retrain_table

    with interruptible(HOW_TO_GO_ON):
        metrics = api.retrain(run_dir, dataset, epochs=epochs, batch_size=batch_size, subset=subset, seed=seed,
                              patience=patience, data_dir=data_dir, download=download, console=console)
    console.print(retrain_table(metrics))
    console.print(f"backbone: {run_dir / metrics['backbone']}")
    console.print(f"next: `emnist-tuner transfer {run_dir}` (this backbone on Binary AlphaDigits, against the same "
                  "model trained from scratch)", highlight=False)


def transfer(
    run_dir: Path = RunArgument,
    backbone: str = typer.Option("mnist", "--backbone", help="mnist: the backbone `retrain` saved; emnist: the "
                                                             "run's own model (a search on EMNIST letters)."),
    folds: int = typer.Option(5, "--folds", help="Stratified folds (each held out once)."),
    epochs: int = typer.Option(40, "--epochs", help="Epochs per model and fold (transfer: half head-only, half "
                                                    "fine-tuning)."),
    size: int = typer.Option(20, "--size", help="Glyph height in pixels on the backbone's canvas (20: like MNIST's "
                                                "digits in 28x28)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the folds and of the training."),
    batch_size: int = typer.Option(32, "--batch-size"),
    data_dir: Optional[Path] = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Binary AlphaDigits: the winner as a pretrained backbone vs the same model from scratch, K-fold."""
    from ..experiments.transfer import HOW_TO_GO_ON
    from ..reports.transfer_table import transfer_table

    with interruptible(HOW_TO_GO_ON):
        results = api.transfer(run_dir, backbone, folds=folds, epochs=epochs, size=size, seed=seed,
                               batch_size=batch_size, data_dir=data_dir, download=download, console=console)
    console.print(transfer_table(results))
