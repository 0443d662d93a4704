"""The search space of the study: one KerasTuner HyperModel and its named presets.

``CharacterHyperModel`` holds every model of the study as a point of one space;
``presets`` names those points (dense, convnet, model1 .. model4).

The preset names and values (``get_preset``, ``list_presets``, ``AUGMENTATIONS``) need no Keras, so a
bad preset name is refused before TensorFlow is imported; the other names import Keras (quietly) on
first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ..quiet import import_keras_quietly
from .preset_table import AUGMENTATIONS, Preset, get_preset, list_presets

if TYPE_CHECKING:
    from .hypermodel import CharacterHyperModel
    from .presets import build_preset, preset_hyperparameters, preset_param_count

_WITH_KERAS = {
    "CharacterHyperModel": "hypermodel",
    "build_preset": "presets",
    "preset_hyperparameters": "presets",
    "preset_param_count": "presets",
}

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


def __getattr__(name: str):
    if name in _WITH_KERAS:
        import_keras_quietly()
        return getattr(importlib.import_module(f"{__name__}.{_WITH_KERAS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_values(input_shape: tuple[int, int] = (28, 28), num_classes: int = 26) -> dict:
    """The active hyperparameter values of the space's default point (``hp.values``
    after building with an empty ``HyperParameters``)."""
    import_keras_quietly()
    import keras_tuner

    from .hypermodel import CharacterHyperModel

    hp = keras_tuner.HyperParameters()
    CharacterHyperModel(input_shape, num_classes).build(hp)
    return dict(hp.values)
