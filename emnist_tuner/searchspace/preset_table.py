"""The named presets' values, without Keras: ``get_preset`` and ``list_presets`` check a preset name
before TensorFlow is imported (``presets`` builds their models; its docstring says what a preset holds).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

AUGMENTATIONS = ("rotation", "translation", "zoom")


@dataclass(frozen=True)
class Preset:
    """One named model: its hyperparameter values and its training advice."""

    name: str
    title: str
    description: str
    values: dict
    early_stopping_patience: int | None


def _convs(filters, padding="valid", batch_norm=False, dropout=0.0, convs_per_block=1):
    """Conv part of a point: one block per entry of ``filters``, 3x3 kernels, max pooling."""
    values: dict[str, object] = {"conv_blocks": len(filters)}
    values.update({f"filters_{k}": f for k, f in enumerate(filters, start=1)})
    values.update(
        convs_per_block=convs_per_block,
        kernel_size=3,
        padding=padding,
        pooling="max",
        conv_dropout=dropout,
        batch_norm=batch_norm,
    )
    return values


def _dense(units, dropout=0.0, head_dropout=0.0):
    """Classifier part of a point: Flatten -> Dropout(head_dropout) -> Dense(units...)."""
    values = {"head_dropout": head_dropout, "dense_layers": len(units)}
    values.update({f"dense_units_{k}": u for k, u in enumerate(units, start=1)})
    if units:
        values["dense_dropout"] = dropout
    return values


def _training(initializer="glorot_uniform", l1=None, l2=None, augment=None):
    """Regularization, initialization, activation, optimizer and augmentation values."""
    values: dict[str, object] = {"l1": l1 is not None, "l2": l2 is not None}
    if l1 is not None:
        values["l1_strength"] = l1
    if l2 is not None:
        values["l2_strength"] = l2
    values.update(
        initializer=initializer, activation="relu", optimizer="adam", learning_rate=1e-3, augment=augment is not None
    )
    if augment is not None:
        values.update(zip(AUGMENTATIONS, augment))
    return values


# Mild augmentation for characters: +-0.03 turn (about 11 degrees), +-10 % shift and zoom.
_MILD_AUGMENT = (0.03, 0.1, 0.1)

_PRESETS = (
    Preset(
        "dense",
        "Dense network",
        "Flatten -> Dense(128, relu) -> Dense softmax, Adam 1e-3, no regularization (study: 89 % EMNIST, 98 % MNIST).",
        {"conv_blocks": 0, "batch_norm": False, **_dense([128]), **_training()},
        None,
    ),
    Preset(
        "convnet",
        "Keras 'Simple MNIST convnet'",
        "Conv32 3x3 relu -> MaxPool 2 -> Conv64 3x3 relu -> MaxPool 2 -> Flatten -> "
        "Dropout 0.5 -> Dense softmax, 'valid' padding, Adam 1e-3; 34,826 parameters at 10 "
        "classes (study: 93 % EMNIST, 99 % MNIST).",
        {**_convs([32, 64]), **_dense([], head_dropout=0.5), **_training()},
        None,
    ),
    Preset(
        "model1",
        "Model 1: two conv layers with BatchNorm and augmentation",
        "Conv32 -> Conv64 (3x3, 'valid', BatchNorm before relu, MaxPool 2 after each) -> "
        "Dense 256 -> Dense 128 -> softmax, with mild augmentation (study: 94.37 % val). "
        "Not in the study, chosen here: the dense sizes, no dropout, the augmentation "
        "factors, Glorot init, Adam 1e-3.",
        {**_convs([32, 64], batch_norm=True), **_dense([256, 128]), **_training(augment=_MILD_AUGMENT)},
        None,
    ),
    Preset(
        "model2",
        "Model 2: more conv and dense layers, no augmentation",
        "Conv32 -> Conv64 -> Conv128 (3x3, 'same' so three poolings fit 20x16 images too, "
        "BatchNorm, MaxPool 2 after each) -> Dense 256 -> 128 -> 64 -> softmax, no "
        "augmentation (study: 94 %). Not in the study, chosen here: the filter and unit "
        "counts, no dropout, Glorot init, Adam 1e-3.",
        {**_convs([32, 64, 128], padding="same", batch_norm=True), **_dense([256, 128, 64]), **_training()},
        None,
    ),
    Preset(
        "model3",
        "Model 3: two conv layers with L1/L2 and dropout",
        "Conv32 -> Conv64 (3x3, 'valid', BatchNorm, MaxPool 2, Dropout 0.25 after each) -> "
        "Dense 128 -> Dense 64 (Dropout 0.4) -> softmax, L1 1e-5 and L2 1e-4 on all conv "
        "and hidden dense kernels, mild augmentation (study: 91 %). Not in the study, "
        "chosen here: the strengths, dropout rates, unit counts and augmentation factors.",
        {
            **_convs([32, 64], batch_norm=True, dropout=0.25),
            **_dense([128, 64], dropout=0.4),
            **_training(l1=1e-5, l2=1e-4, augment=_MILD_AUGMENT),
        },
        None,
    ),
    Preset(
        "model4",
        "Model 4: the study's best, all methods combined",
        "Conv32 -> Conv64 -> Conv96 -> Conv128 (3x3, 'same', BatchNorm, MaxPool 2 and "
        "Dropout 0.2 after each) -> Dense 256 (Dropout 0.4) -> softmax, He-normal init, "
        "L2 1e-4, mild augmentation, Adam 1e-3, early stopping with patience 3. Not in the "
        "study, chosen here: the exact depth and widths (four single-conv blocks keep an "
        "epoch at 3-3.5x the convnet's on a CPU), rates and strengths.",
        {
            **_convs([32, 64, 96, 128], padding="same", batch_norm=True, dropout=0.2),
            **_dense([256], dropout=0.4),
            **_training(initializer="he_normal", l2=1e-4, augment=_MILD_AUGMENT),
        },
        3,
    ),
)
_BY_NAME = {preset.name: preset for preset in _PRESETS}


def list_presets() -> list[str]:
    """The preset names, from the plain dense net to the study's best model."""
    return [preset.name for preset in _PRESETS]


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ConfigError if there is none."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown preset '{name}'; known: {', '.join(list_presets())}") from None
