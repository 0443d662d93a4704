"""The search space of the study: one KerasTuner HyperModel and its named presets.

``CharacterHyperModel`` holds every model of the study as a point of one space;
``presets`` names those points (dense, convnet, model1 .. model4).
"""

from __future__ import annotations

import keras_tuner

from .checks import AUGMENTATIONS
from .hypermodel import CharacterHyperModel
from .presets import (
    Preset,
    build_preset,
    get_preset,
    list_presets,
    preset_hyperparameters,
    preset_param_count,
)

__all__ = [
    "AUGMENTATIONS",
    "CharacterHyperModel",
    "Preset",
    "build_preset",
    "default_values",
    "get_preset",
    "list_presets",
    "preset_hyperparameters",
    "preset_param_count",
]


def default_values(input_shape: tuple[int, int] = (28, 28), num_classes: int = 26) -> dict:
    """The active hyperparameter values of the space's default point (``hp.values``
    after building with an empty ``HyperParameters``)."""
    hp = keras_tuner.HyperParameters()
    CharacterHyperModel(input_shape, num_classes).build(hp)
    return dict(hp.values)
