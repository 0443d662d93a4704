"""The final-training recipe: how the model a user keeps is trained, once an architecture is chosen.

A search ranks architectures with short trainings on a subset; the model it hands over is trained
once more, on all the data, by this recipe. ``train`` and ``retrain`` use it too. It is part of each
run kind's config (``recipe`` in ``config.json`` / ``retrain.json``) and ``report`` shows it in words.
``training.recipe`` carries it out. Defaults were chosen from measurements (BENCHMARKS.md, "Final
training of the winner").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..errors import ConfigError, plural

PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")  # Keras dtype policies (training.devices)
ENSEMBLE_OF = ("seeds", "top")  # K seeds of the winner, or the leaderboard's top K distinct architectures


@dataclass
class FinalRecipe:
    """The optimizer stays the architecture's own (its kind and peak learning rate); around it:"""

    epochs: int | None = None  # None: the caller's default (a search: the epochs its winner reached)
    warmup_epochs: int = 1  # linear warm-up from 0 to the peak rate, then cosine decay per step to 0
    label_smoothing: float = 0.1
    ema: bool = True  # evaluate and save an exponential moving average of the weights
    weight_decay: float = 0.0  # decoupled (the optimizer's own weight_decay); 0: the optimizer's default

    @classmethod
    def from_value(cls, value) -> FinalRecipe:
        """A recipe from its saved form (a dict; unknown keys are ignored) or a recipe; None: defaults."""
        if isinstance(value, cls):
            return value
        if value is None:
            return cls()
        if not isinstance(value, dict):
            raise ConfigError(f"a final-training recipe must be a JSON object, got {value!r}")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in value.items() if k in known})

    def with_options(self, **options) -> FinalRecipe:
        """This recipe with the options that were given (None: keep)."""
        return dataclasses.replace(self, **{k: v for k, v in options.items() if v is not None})

    def validate(self) -> None:
        """ConfigError (exit 2) for a value out of range (epochs, warm-up, label smoothing, weight decay)."""
        if self.epochs is not None and self.epochs < 1:
            raise ConfigError(f"--final-epochs must be at least 1, got {self.epochs}")
        if self.warmup_epochs < 0:
            raise ConfigError(f"--warmup-epochs must be at least 0, got {self.warmup_epochs}")
        if not 0 <= self.label_smoothing < 1:
            raise ConfigError(f"--label-smoothing must be at least 0 and below 1, got {self.label_smoothing}")
        if not 0 <= self.weight_decay < 1:
            raise ConfigError(f"--weight-decay must be at least 0 and below 1, got {self.weight_decay}")

    def describe(self, epochs: int | None = None) -> str:
        """The recipe in words, e.g. "15 epochs: 1 warm-up, cosine to 0; label smoothing 0.1; weight EMA"."""
        epochs = epochs if epochs is not None else self.epochs
        count = plural(epochs, "epoch") if epochs else "the winner's epochs"
        warmup = f"{self.warmup_epochs} warm-up, " if self.warmup_epochs else ""
        parts = [f"{count}: {warmup}cosine to 0"]
        if self.label_smoothing:
            parts.append(f"label smoothing {self.label_smoothing:g}")
        if self.weight_decay:
            parts.append(f"weight decay {self.weight_decay:g}")
        if self.ema:
            parts.append("weight EMA")
        return "; ".join(parts)


def check_ensemble(members: int, of: str) -> None:
    """ConfigError (exit 2) for --ensemble below 1 or an unknown --ensemble-of."""
    if members < 1:
        raise ConfigError(f"--ensemble must be at least 1, got {members}")
    if of not in ENSEMBLE_OF:
        raise ConfigError(f"--ensemble-of must be one of {', '.join(ENSEMBLE_OF)}, got '{of}'")


def check_precision(precision: str) -> None:
    """ConfigError (exit 2) for a --precision that is not one of ``PRECISIONS``."""
    if precision not in PRECISIONS:
        raise ConfigError(f"--precision must be one of {', '.join(PRECISIONS)}, got '{precision}'")
