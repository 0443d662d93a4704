"""`emnist-tuner retrain` and `emnist-tuner transfer`: the winner on MNIST (or any dataset), then as a
backbone for Binary AlphaDigits (or any dataset)."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import api
from .common import (
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

RunArgument = typer.Argument(..., metavar="RUN", help="A finished search or train run folder.")


def retrain(
    run_dir: Path = RunArgument,
    dataset: str = typer.Option(
        "mnist", "--dataset", help="The dataset to retrain the winner on (any: a built-in one or a source spec)."
    ),
    epochs: int = typer.Option(
        15, "--epochs", help="Epochs of the recipe's schedule (its rate reaches 0 at the last)."
    ),
    batch_size: int = typer.Option(128, "--batch-size"),
    subset: int | None = typer.Option(None, "--subset", help="Train on a stratified subset of N images."),
    seed: int = typer.Option(0, "--seed"),
    patience: int = typer.Option(
        0, "--patience", help="Early stopping after N epochs without a better validation accuracy (0 = off)."
    ),
    warmup_epochs: int | None = WarmupOption,
    label_smoothing: float | None = LabelSmoothingOption,
    ema: bool | None = EmaOption,
    weight_decay: float | None = WeightDecayOption,
    precision: str = PrecisionOption,
    data_dir: Path | None = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Retrain the run's winning architecture on MNIST (or --dataset): test accuracy, and a backbone for `transfer`."""
    from ..experiments.retrain import HOW_TO_GO_ON
    from ..reports.transfer_table import retrain_table

    recipe = api.final_recipe(
        warmup_epochs=warmup_epochs, label_smoothing=label_smoothing, ema=ema, weight_decay=weight_decay
    )
    with interruptible(HOW_TO_GO_ON):
        metrics = api.retrain(
            run_dir,
            dataset,
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
    console.print(retrain_table(metrics))
    console.print(f"backbone: {run_dir / metrics['backbone']}")
    if metrics["dataset"] == "mnist":
        command, target = f"emnist-tuner transfer {run_dir}", "Binary AlphaDigits"
    else:
        command = f"emnist-tuner transfer {run_dir} --backbone {metrics['dataset']}"
        target = "Binary AlphaDigits, or another dataset with --to DATASET"
    console.print(
        f"next: `{command}` (this backbone on {target}, against the same model trained from scratch)", highlight=False
    )


def transfer(
    run_dir: Path = RunArgument,
    backbone: str = typer.Option(
        "mnist",
        "--backbone",
        help="mnist: the backbone `retrain` saved; emnist: the run's own model (a search on EMNIST letters); "
        "another dataset: the winner retrained on it (`retrain --dataset`).",
    ),
    to: str = typer.Option(
        "binary-alphadigits",
        "--to",
        help="The dataset to transfer to (any: a built-in one or a source spec); all its images go into the folds.",
    ),
    folds: int | None = typer.Option(
        None, "--folds", help="Reported stratified folds, each held out once (default 5)."
    ),
    seeds: int | None = typer.Option(None, "--seeds", help="Trainings per fold and model (default 1)."),
    size: int | None = typer.Option(
        None,
        "--size",
        help="Glyph height in pixels on the backbone's canvas (default 20: like MNIST's digits in 28x28).",
    ),
    seed: int | None = typer.Option(None, "--seed", help="First training seed (the folds never change)."),
    augment: str | None = typer.Option(
        None, "--augment", help="Transfer's augmentation: none, gentle or strong (default gentle)."
    ),
    scratch_augment: str | None = typer.Option(
        None, "--scratch-augment", help="Scratch's augmentation (default strong)."
    ),
    label_smoothing: float | None = typer.Option(None, "--label-smoothing", help="Both models (default 0)."),
    head_epochs: int | None = typer.Option(
        None, "--head-epochs", help="Transfer: epochs of the new head alone on the frozen backbone."
    ),
    fine_tune_epochs: int | None = typer.Option(None, "--fine-tune-epochs", help="Transfer: epochs of fine-tuning."),
    head_lr: float | None = typer.Option(
        None, "--head-lr", help="Transfer: the new head's learning rate while the backbone is frozen."
    ),
    fine_tune_lr: float | None = typer.Option(
        None, "--fine-tune-lr", help="Transfer: fine-tuning's learning rate (cosine decay)."
    ),
    fine_tune: str | None = typer.Option(
        None, "--fine-tune", help="Transfer: all (every backbone layer) or top (its last conv block and dense layers)."
    ),
    batchnorm: str | None = typer.Option(
        None,
        "--batchnorm",
        help="Transfer, while fine-tuning: train (learn this data's statistics) or frozen (the backbone's).",
    ),
    scratch_epochs: int | None = typer.Option(None, "--scratch-epochs", help="Scratch: epochs."),
    scratch_lr: float | None = typer.Option(None, "--scratch-lr", help="Scratch: learning rate (cosine decay)."),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Default 32."),
    ensemble: int | None = typer.Option(
        None,
        "--ensemble",
        help="Both models: K trainings per fold and seed (own seeds), their probabilities averaged (default 1).",
    ),
    tta: int | None = typer.Option(
        None,
        "--tta",
        help="Both models: test-time augmentation, as predict --tta: the mean over the image and N - 1 copies "
        "moved within the model's own augmentation ranges (default 1: off).",
    ),
    data_dir: Path | None = DataDirOption,
    download: bool = DownloadOption,
) -> None:
    """Binary AlphaDigits (or --to): the winner as a pretrained backbone vs the same model from scratch, K-fold."""
    from ..experiments.transfer import HOW_TO_GO_ON
    from ..reports.transfer_table import transfer_table

    recipe = dict(
        folds=folds,
        seeds=seeds,
        size=size,
        seed=seed,
        augment=augment,
        scratch_augment=scratch_augment,
        label_smoothing=label_smoothing,
        head_epochs=head_epochs,
        fine_tune_epochs=fine_tune_epochs,
        head_lr=head_lr,
        fine_tune_lr=fine_tune_lr,
        fine_tune=fine_tune,
        batchnorm=batchnorm,
        scratch_epochs=scratch_epochs,
        scratch_lr=scratch_lr,
        batch_size=batch_size,
        ensemble=ensemble,
        tta=tta,
    )
    with interruptible(HOW_TO_GO_ON):
        results = api.transfer(
            run_dir, backbone, to=to, data_dir=data_dir, download=download, console=console, **recipe
        )
    console.print(transfer_table(results))
