"""The configs of the runs that train one model: a preset trained on a dataset (``train``) and a search's
winner trained anew on another dataset (``retrain``), each written into its folder (see ``configs``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .configs import RunConfig, check_options
from .layout import RETRAIN_CONFIG
from .recipe_config import FinalRecipe, check_precision


def check_training(config: TrainConfig | RetrainConfig) -> None:
    """ConfigError (exit 2) for a bad option of a one-model training: its counts, seed, recipe, precision."""
    check_options(
        config.seed,
        (
            ("--epochs", config.epochs, 1),
            ("--batch-size", config.batch_size, 1),
            ("--subset", config.subset, 10),
            ("--patience", config.patience, 0),
        ),
    )
    config.recipe.validate()
    check_precision(config.precision)


@dataclass
class TrainConfig(RunConfig):
    """One preset trained on a dataset (`train`): ``RUN/config.json``."""

    KIND: ClassVar[str] = "train"
    preset: str = ""
    dataset: str = ""
    epochs: int = 15
    batch_size: int = 128
    subset: int | None = None
    seed: int = 0
    patience: int | None = None  # None or 0: no early stopping (see effective_patience)
    val_fraction: float = 0.1
    recipe: FinalRecipe = field(default_factory=FinalRecipe)  # its epochs are --epochs
    precision: str = "auto"
    data_dir: str | None = None
    kind: str = "train"

    def validate(self) -> None:
        """ConfigError (exit 2) for an unknown preset or dataset or a bad training option."""
        from ..data.datasets import canonical_dataset, get_info
        from ..searchspace import get_preset

        get_preset(self.preset)
        self.dataset = canonical_dataset(self.dataset)  # a source spec: its absolute path
        get_info(self.dataset)
        check_training(self)

    def effective_patience(self) -> int:
        """Early stopping's patience: 0 (off) unless given. The recipe's learning rate decays to 0 at the
        last epoch, so stopping sooner leaves its schedule unfinished (a run folder of version 0.1 saved
        None, meaning the preset's own patience, else 5; it is not trained again)."""
        return self.patience or 0


@dataclass
class RetrainConfig(RunConfig):
    """The winner trained anew on another dataset: ``RUN/<dataset>/retrain.json``."""

    KIND: ClassVar[str] = "retrain"
    FILE: ClassVar[str] = RETRAIN_CONFIG
    VOLATILE: ClassVar[tuple[str, ...]] = ("data_dir", "kind", "winner", "searched_on", "precision")

    dataset: str = "mnist"
    epochs: int = 15
    batch_size: int = 128
    subset: int | None = None
    seed: int = 0
    # epochs without a better validation accuracy; 0 = no early stopping (the default: the recipe's
    # learning rate decays to 0 at the last epoch, and stopping sooner leaves the schedule unfinished)
    patience: int = 0
    val_fraction: float = 0.1
    recipe: FinalRecipe = field(default_factory=FinalRecipe)  # its epochs are --epochs
    precision: str = "auto"
    data_dir: str | None = None
    kind: str = "retrain"
    winner: str = ""  # e.g. "trial 0012", filled in when the retrain starts
    searched_on: str = ""

    def validate(self) -> None:
        """ConfigError (exit 2) for an unknown dataset or a bad training option."""
        from ..data.datasets import canonical_dataset, get_info

        self.dataset = canonical_dataset(self.dataset)  # a source spec: its absolute path
        get_info(self.dataset)
        check_training(self)
