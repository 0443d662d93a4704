"""The config of an ablation run: each optimization method against a base preset, over seeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .configs import RunConfig, check_options


@dataclass
class AblationConfig(RunConfig):
    """Each optimization method against a base preset (``experiments.ablation`` fills ``variants``)."""

    KIND: ClassVar[str] = "ablation"
    DEFAULTS: ClassVar[dict] = {"base": "model1", "seeds": 3, "epochs": 10, "batch_size": 128, "subset": None}

    base: str = "model1"
    dataset: str = ""
    methods: list[str] = field(default_factory=list)
    seeds: int = 3
    epochs: int = 10
    batch_size: int = 128
    subset: int | None = None
    val_fraction: float = 0.1
    variants: list[dict] = field(default_factory=list)  # what each variant trains
    data_dir: str | None = None
    kind: str = "ablation"

    def validate(self) -> None:
        """ConfigError (exit 2) for an unknown base preset or dataset or a bad ablation option."""
        from ..data.datasets import canonical_dataset, get_info
        from ..searchspace import get_preset

        get_preset(self.base)
        self.dataset = canonical_dataset(self.dataset)  # a source spec: its absolute path
        get_info(self.dataset)
        check_options(
            None,
            (
                ("--seeds", self.seeds, 1),
                ("--epochs", self.epochs, 1),
                ("--batch-size", self.batch_size, 1),
                ("--subset", self.subset, 10),
            ),
        )
