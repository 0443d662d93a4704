"""`emnist-tuner ablate`: each optimization method alone and all combined, against a base preset."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import api
from .common import DATASET_HELP, DataDirOption, DownloadOption, console, interruptible

METHODS_HELP = (
    "Comma-separated: init, activation, optimizer, batchnorm, augmentation, l1l2, dropout, "
    "early-stopping, pooling, combined (default: all)."
)


def ablate(
    run_dir: Path = typer.Option(
        ..., "--run-dir", help="The run folder (created, or resumed if it holds this ablation)."
    ),
    base: str | None = typer.Option(None, "--base", help="Base preset (default model1)."),
    dataset: str | None = typer.Option(None, "--dataset", help=DATASET_HELP + " Required for a new run."),
    methods: str | None = typer.Option(None, "--methods", help=METHODS_HELP),
    seeds: int | None = typer.Option(None, "--seeds", help="Trainings per variant, seeds 0..N-1 (default 3)."),
    epochs: int | None = typer.Option(None, "--epochs", help="Epochs per training (default 10)."),
    subset: int | None = typer.Option(None, "--subset", help="Stratified subset of N training images."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Default 128."),
    data_dir: Path | None = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Each optimization method alone and all combined against a base preset, N seeds, paired intervals."""
    from ..experiments.ablation import how_to_go_on
    from ..reports.ablation_table import ablation_table

    with interruptible(how_to_go_on(run_dir)):
        summary = api.ablate(
            run_dir,
            dataset,
            base=base,
            methods=methods,
            seeds=seeds,
            epochs=epochs,
            subset=subset,
            batch_size=batch_size,
            data_dir=data_dir,
            download=download,
            console=console,
        )
    console.print(ablation_table(summary))
