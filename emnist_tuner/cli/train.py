"""`emnist-tuner train`: one preset, trained and tested once."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import api
from .common import (
    DATASET_HELP,
    DataDirOption,
    DownloadOption,
    EmaOption,
    LabelSmoothingOption,
    PrecisionOption,
    WarmupOption,
    WeightDecayOption,
    console,
    interruptible,
)


def train(
    preset: str = typer.Option(..., "--preset", help="Preset name (see `emnist-tuner presets`)."),
    dataset: str = typer.Option(..., "--dataset", help=DATASET_HELP),
    run_dir: Path = typer.Option(..., "--run-dir", help="Folder for config, history, metrics and model."),
    epochs: int = typer.Option(
        15, "--epochs", help="Epochs of the recipe's schedule (its rate reaches 0 at the last)."
    ),
    batch_size: int = typer.Option(128, "--batch-size"),
    subset: int | None = typer.Option(None, "--subset", help="Train on a stratified subset of N images."),
    seed: int = typer.Option(0, "--seed"),
    patience: int | None = typer.Option(
        None, "--patience", help="Early stopping after N epochs without a better validation accuracy (default: off)."
    ),
    warmup_epochs: int | None = WarmupOption,
    label_smoothing: float | None = LabelSmoothingOption,
    ema: bool | None = EmaOption,
    weight_decay: float | None = WeightDecayOption,
    precision: str = PrecisionOption,
    data_dir: Path | None = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Train one preset, evaluate it once on the held-out test split, save the run folder."""
    from ..training.train import HOW_TO_GO_ON

    recipe = api.final_recipe(
        warmup_epochs=warmup_epochs, label_smoothing=label_smoothing, ema=ema, weight_decay=weight_decay
    )
    with interruptible(HOW_TO_GO_ON):
        api.train(
            preset,
            dataset,
            run_dir,
            epochs=epochs,
            batch_size=batch_size,
            subset=subset,
            seed=seed,
            patience=patience,
            recipe=recipe,
            precision=precision,
            data_dir=data_dir,
            download=download,
            console=console,
        )
