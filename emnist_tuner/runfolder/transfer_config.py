"""The config of a K-fold transfer comparison, ``RUN/transfer/transfer.json``: the folds and seeds,
and the two recipes compared, transfer and scratch (see ``experiments.transfer_model``). The
defaults were chosen on the selection fold only (``experiments.transfer_data.transfer_folds``;
BENCHMARKS.md, "Transfer recipes")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..errors import ConfigError, plural
from .configs import RunConfig, check_options
from .layout import DEFAULT_TARGET, TRANSFER_CONFIG

BACKBONES = ("mnist", "emnist")
AUGMENT = ("none", "gentle", "strong")
FINE_TUNE = ("all", "top")
BATCHNORM = ("train", "frozen")


@dataclass
class TransferConfig(RunConfig):
    """A K-fold transfer comparison: ``RUN/transfer/transfer.json``."""

    KIND: ClassVar[str] = "transfer"
    FILE: ClassVar[str] = TRANSFER_CONFIG
    VOLATILE: ClassVar[tuple[str, ...]] = ("data_dir", "backbone_file")

    backbone: str = "mnist"  # mnist: RUN/mnist/backbone.keras (emnist-tuner retrain); emnist: the run's own model;
    # any other dataset: the winner retrained on it, RUN/<slug>/backbone.keras (retrain --dataset)
    to: str = DEFAULT_TARGET  # the dataset transferred to (its canonical name; a user's source included)
    folds: int = 5  # reported folds (the selection fold is never one of them)
    seeds: int = 1  # trainings per fold and model, seeds seed..seed+seeds-1 (the folds stay the same)
    size: int = 20  # glyph height on the backbone's canvas (see experiments.transfer_data)
    seed: int = 0
    batch_size: int = 32
    label_smoothing: float = 0.0  # both models
    # transfer: the new head on the frozen backbone, then fine-tuning (Adam, cosine decay in each phase)
    augment: str = "gentle"  # experiments.transfer_model.AUGMENTATIONS
    head_epochs: int = 5
    head_lr: float = 1e-3
    fine_tune_epochs: int = 30
    fine_tune_lr: float = 1e-3
    fine_tune: str = "all"  # all: every backbone layer; top: its last conv block and hidden dense layers
    batchnorm: str = "frozen"  # while fine-tuning: train (learns this data's statistics) or frozen (the backbone's)
    # scratch: the same architecture with fresh weights (Adam, cosine decay)
    scratch_epochs: int = 60
    scratch_lr: float = 3e-3
    scratch_augment: str = "strong"
    # both models: K members per (fold, seed), their softmax averaged; test-time augmentation over the image and
    # this many copies moved within each model's own augmentation ranges (0: off)
    ensemble: int = 1
    tta: int = 1  # as predict --tta: the image and tta - 1 moved copies; 1 = off
    data_dir: str | None = None
    kind: str = "transfer"
    backbone_file: str = ""

    def validate(self) -> None:
        """ConfigError (exit 2) for an unknown choice (backbone, augmentation, fine-tuning, batchnorm)
        or a bad count or rate; an unknown --to or --backbone dataset. Stores their canonical names."""
        self.to = _dataset("--to", self.to)
        if self.backbone not in BACKBONES:
            try:
                self.backbone = _dataset("--backbone", self.backbone)
            except ConfigError:
                raise ConfigError(
                    f"--backbone must be one of {', '.join(BACKBONES)} or a dataset the winner was retrained on "
                    f"(with `emnist-tuner retrain`), got '{self.backbone}'"
                ) from None
        for option, value, allowed in (
            ("--augment", self.augment, AUGMENT),
            ("--scratch-augment", self.scratch_augment, AUGMENT),
            ("--fine-tune", self.fine_tune, FINE_TUNE),
            ("--batchnorm", self.batchnorm, BATCHNORM),
        ):
            if value not in allowed:
                raise ConfigError(f"{option} must be one of {', '.join(allowed)}, got '{value}'")
        check_options(
            self.seed,
            (
                ("--folds", self.folds, 2),
                ("--seeds", self.seeds, 1),
                ("--batch-size", self.batch_size, 1),
                ("--head-epochs", self.head_epochs, 0),
                ("--fine-tune-epochs", self.fine_tune_epochs, 1),
                ("--scratch-epochs", self.scratch_epochs, 1),
                ("--ensemble", self.ensemble, 1),
                ("--tta", self.tta, 1),
            ),
        )
        for option, rate in (
            ("--head-lr", self.head_lr),
            ("--fine-tune-lr", self.fine_tune_lr),
            ("--scratch-lr", self.scratch_lr),
        ):
            if not 0 < rate <= 1:
                raise ConfigError(f"{option} must be above 0 and at most 1, got {rate}")
        if self.tta > 1 and "none" in (self.augment, self.scratch_augment):
            option = "--augment" if self.augment == "none" else "--scratch-augment"
            raise ConfigError(
                f"--tta {self.tta}: {option} none trains a model without augmentation, so there is nothing to vary "
                "at test time; leave --tta out or choose gentle or strong"
            )
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"--label-smoothing must be at least 0 and below 1, got {self.label_smoothing}")

    def recipe_lines(self, fitted: bool = True) -> list[tuple[str, str]]:
        """The two recipes in words (the report and the transfer command show them); ``fitted``: the
        target's images are fitted to the backbone's canvas as glyphs ``size`` px tall (else used as they are)."""
        bn = "learns this data's statistics" if self.batchnorm == "train" else "keeps the backbone's statistics"
        which = "every backbone layer" if self.fine_tune == "all" else "the backbone's top (last conv block, dense)"
        smoothing = f", label smoothing {self.label_smoothing:g}" if self.label_smoothing else ""
        head = (
            f"new head alone for {plural(self.head_epochs, 'epoch')} at {self.head_lr:g}, then "
            if self.head_epochs
            else ""
        )
        return [
            (
                "transfer",
                f"{head}{which} for {plural(self.fine_tune_epochs, 'epoch')} at {self.fine_tune_lr:g}, "
                f"BatchNorm {bn}, augmentation {self.augment}",
            ),
            (
                "scratch",
                f"every layer from fresh weights for {plural(self.scratch_epochs, 'epoch')} at {self.scratch_lr:g}, "
                f"augmentation {self.scratch_augment}",
            ),
            (
                "both",
                f"Adam with cosine decay, batch {self.batch_size}, "
                f"{f'glyphs {self.size} px tall' if fitted else 'images as they are'}{smoothing}; "
                f"{plural(self.folds, 'fold')} x {plural(self.seeds, 'seed')}",
            ),
        ]

    def ensemble_words(self) -> str:
        """The ensemble and test-time augmentation in use, in words (the transfer command says it)."""
        return ensemble_words(self.ensemble, self.tta)


def ensemble_words(ensemble: int, tta: int) -> str:
    """ "1 model per fold and seed, no test-time augmentation", "the mean of 3 models …, test-time augmentation
    over the image and 7 moved copies" (``tta`` 8: as ``predict --tta``, the image counts; 1 = off)."""
    models = "1 model" if ensemble == 1 else f"the mean probabilities of {plural(ensemble, 'model')}"
    copies = plural(tta - 1, "moved copy", "moved copies")
    moved = f"test-time augmentation over the image and {copies}" if tta > 1 else ""
    return f"{models} per fold and seed, {moved or 'no test-time augmentation'}"


def _dataset(option: str, name: str) -> str:
    """The canonical name of dataset ``name`` given as ``option``; ConfigError naming the option."""
    from ..data.datasets import get_info

    try:
        return get_info(name).name
    except ConfigError as exc:
        message = str(exc).replace("--dataset", option)
        raise ConfigError(message if option in message else f"{option}: {message}") from None
