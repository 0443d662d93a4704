"""Named presets: the models of the original study as points of the search space.

Each preset lists a value for EVERY hyperparameter that is active at its point, so a
later change of the space's defaults never changes a preset silently (the tests check
that building a preset picks up no default). Where the study does not say a detail,
the choice made here is stated in the preset's description.

Early stopping belongs to training, not to the model: ``early_stopping_patience``
(epochs without improvement of the validation loss; None = no early stopping) is for
the training code to apply.
"""

from __future__ import annotations

from collections.abc import Iterable

import keras
import keras_tuner

from ..errors import ConfigError
from .hypermodel import CharacterHyperModel
from .preset_table import AUGMENTATIONS, Preset, get_preset, list_presets

__all__ = ["Preset", "build_preset", "get_preset", "list_presets", "preset_hyperparameters", "preset_param_count"]


def preset_hyperparameters(name: str, hypermodel: CharacterHyperModel | None = None) -> keras_tuner.HyperParameters:
    """The space of ``hypermodel`` (default: 28x28, 26 classes) set to the preset's values.

    Augmentation values the hypermodel does not tune are dropped (with no augmentation
    left, ``augment`` is dropped too), so a preset can run with augmentation switched
    off. Any other mismatch raises ConfigError.
    """
    preset = get_preset(name)
    hypermodel = hypermodel or CharacterHyperModel()
    values = dict(preset.values)
    for kind in AUGMENTATIONS:
        if kind not in hypermodel.augmentations:
            values.pop(kind, None)
    if not hypermodel.augmentations:
        values.pop("augment", None)
    try:
        return hypermodel.hyperparameters_for(values)
    except ConfigError as error:
        raise ConfigError(f"preset '{name}' does not fit this search space: {error}") from None


def build_preset(
    name: str,
    input_shape: tuple[int, int] = (28, 28),
    num_classes: int = 26,
    augmentations: Iterable[str] = AUGMENTATIONS,
) -> keras.Model:
    """The compiled Keras model of preset ``name`` (the model is named after the preset)."""
    hypermodel = CharacterHyperModel(input_shape, num_classes, augmentations, name=name)
    return hypermodel.build(preset_hyperparameters(name, hypermodel))


def preset_param_count(name: str, input_shape: tuple[int, int] = (28, 28), num_classes: int = 26) -> int:
    """The number of parameters (trainable and not) of preset ``name``."""
    return build_preset(name, input_shape, num_classes).count_params()
