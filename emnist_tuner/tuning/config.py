"""One typed config per run, written into the run folder as ``config.json``."""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..datasets import get_info
from ..errors import ConfigError, RunError
from .atomic import write_json_atomic

CONFIG_FILE = "config.json"

# Profiles: `quick` finishes a real search, its final retrain and the leaderboard in about
# 10 minutes on a 2-core CPU: a training subset, and the space without its slowest corners
# (no "none" pooling, at most 64 filters per conv; measured: one such point took 143 s per
# epoch on 10,000 images). `full` is the GPU profile: all data, the whole space.
QUICK_RESTRICT = {"pooling": ["max", "average"], "filters": [16, 32, 48, 64]}
PROFILES: dict[str, dict] = {
    "quick": dict(max_epochs=9, factor=3, iterations=1, subset=10_000, batch_size=128, patience=3,
                  restrict=QUICK_RESTRICT, max_params=5_000_000),
    "full": dict(max_epochs=30, factor=3, iterations=1, subset=None, batch_size=256, patience=5, restrict={},
                 max_params=5_000_000),
}


@dataclass
class SearchConfig:
    """Everything that defines a Hyperband search. Fields in IDENTITY must not change on resume."""

    dataset: str
    profile: str = "quick"
    max_epochs: int = 9
    factor: int = 3
    iterations: int = 1
    subset: int | None = 10_000
    batch_size: int = 128
    seed: int = 0
    patience: int = 3
    val_fraction: float = 0.1
    augmentations: list[str] = field(default_factory=lambda: ["rotation", "translation", "zoom"])
    restrict: dict[str, list] = field(default_factory=dict)  # narrower choices (see CharacterHyperModel)
    max_params: int = 5_000_000  # larger models fail their trial (KerasTuner's max_model_size)
    # The study's presets that fit the space are the first points Hyperband samples.
    seed_presets: list[str] = field(default_factory=lambda: ["convnet", "model1", "model3", "model4", "model2",
                                                             "dense"])
    space: str = ""  # fingerprint of the search space, filled in by the tuner module
    # Not part of the search's identity:
    data_dir: str | None = None
    trials_per_worker: int = 8
    kind: str = "search"

    IDENTITY = ("dataset", "profile", "max_epochs", "factor", "iterations", "subset", "batch_size",
                "seed", "patience", "val_fraction", "augmentations", "restrict", "max_params", "seed_presets", "space")

    @classmethod
    def from_profile(cls, dataset: str, profile: str = "quick", **overrides) -> "SearchConfig":
        if profile not in PROFILES:
            raise ConfigError(f"unknown profile '{profile}'; known: {', '.join(PROFILES)}")
        values = copy.deepcopy(PROFILES[profile])
        values.update({k: v for k, v in overrides.items() if v is not None})
        config = cls(dataset=dataset, profile=profile, **values)
        config.validate()
        return config

    def validate(self) -> None:
        get_info(self.dataset)
        checks = [
            (self.max_epochs >= 1, f"--max-epochs must be at least 1, got {self.max_epochs}"),
            (self.factor >= 2, f"--factor must be at least 2, got {self.factor}"),
            (self.iterations >= 1, f"--iterations must be at least 1, got {self.iterations}"),
            (self.subset is None or self.subset >= 10, f"--subset must be at least 10, got {self.subset}"),
            (self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}"),
            (0 <= self.seed < 2**32, f"--seed must be between 0 and 2**32 - 1, got {self.seed}"),
            (self.max_params >= 1, f"--max-params must be at least 1, got {self.max_params}"),
            (self.patience >= 0, f"--patience must be 0 (off) or more, got {self.patience}"),
            (0 < self.val_fraction < 1, f"validation fraction must be in (0, 1), got {self.val_fraction}"),
            (self.trials_per_worker >= 1, f"--trials-per-worker must be at least 1, got {self.trials_per_worker}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def differences(self, other: "SearchConfig") -> list[str]:
        return [
            f"{name}={getattr(self, name)!r} (you asked {getattr(other, name)!r})"
            for name in self.IDENTITY
            if getattr(self, name) != getattr(other, name)
        ]


def save_config(run_dir: Path, config: SearchConfig) -> None:
    write_json_atomic(Path(run_dir) / CONFIG_FILE, config.to_dict())


def load_config(run_dir: Path) -> SearchConfig:
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise RunError(f"{run_dir} is not a run folder: {CONFIG_FILE} is missing; start one with `emnist-tuner search`")
    try:
        values = json.loads(path.read_text())
        known = {f.name for f in dataclasses.fields(SearchConfig)}
        return SearchConfig(**{k: v for k, v in values.items() if k in known})
    except (ValueError, TypeError, AttributeError, OSError) as exc:
        raise RunError(f"{path} is damaged ({exc}); restore it or start a new run folder") from None
