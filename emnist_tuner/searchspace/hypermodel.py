"""The search space: one KerasTuner HyperModel that contains every model of the study.

``CharacterHyperModel.build(hp)`` reads (and so declares) every hyperparameter with an
explicit default, checks that the chosen geometry can be built, then assembles and
compiles a functional Keras model:

    Input (H, W) -> Reshape (H, W, 1) -> Rescaling 1/255 -> [augmentation]
    -> conv blocks -> Flatten -> [Dropout] -> hidden Dense layers -> Dense softmax

Hyperparameters that only matter under another one are declared inside
``hp.conditional_scope`` so that KerasTuner records only the active ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import keras
import keras_tuner
from keras_tuner.errors import FailedTrialError

from ..errors import ConfigError
from .checks import (
    AUGMENTATIONS,
    check_augmentations,
    check_input_shape,
    check_num_classes,
    value_problems,
)

MAX_CONV_BLOCKS = 4
MAX_DENSE_LAYERS = 3
FILTER_CHOICES = [16, 32, 48, 64, 96, 128]
DEFAULT_FILTERS = (32, 64, 128, 128)
UNIT_CHOICES = [32, 64, 128, 256, 512]
INITIALIZERS = ["glorot_uniform", "he_normal", "he_uniform", "lecun_normal"]
ACTIVATIONS = ["relu", "elu", "selu", "swish", "leaky_relu"]
OPTIMIZERS = ["adam", "adamw", "sgd", "rmsprop"]
# Keras' default 0.99 lets the moving statistics lag far behind the batch statistics for
# the first few hundred steps (tiny conv variances on 0..1 pixels against the initial 1.0),
# which ruins validation accuracy in the short first rounds of Hyperband; 0.9 catches up
# within ~50 steps.
BN_MOMENTUM = 0.9
# Upper bound, step and default of each augmentation factor (rotation: fraction of a full turn).
AUGMENTATION_RANGES = {"rotation": (0.15, 0.01, 0.05), "translation": (0.2, 0.02, 0.1), "zoom": (0.2, 0.02, 0.1)}


@dataclass(frozen=True)
class Architecture:
    """The concrete values one build uses (inactive settings are ``None`` or empty)."""

    conv_blocks: int
    filters: tuple[int, ...]
    convs_per_block: int | None
    kernel_size: int | None
    padding: str | None
    pooling: str | None
    conv_dropout: float | None
    batch_norm: bool
    head_dropout: float
    dense_units: tuple[int, ...]
    dense_dropout: float | None
    l1: float | None
    l2: float | None
    initializer: str
    activation: str
    optimizer: str
    learning_rate: float
    augmentation: dict[str, float]


class CharacterHyperModel(keras_tuner.HyperModel):
    """Small CNNs (or dense nets) for handwritten characters given as uint8 (N, H, W) arrays.

    Args:
        input_shape: image height and width (no channel axis), each an int >= 8.
        num_classes: number of classes (labels 0 .. num_classes - 1), an int >= 2.
        augmentations: which augmentation factors the space may tune, a subset of
            ``AUGMENTATIONS``; an empty sequence removes augmentation from the space.
        name: the HyperModel's name, also used as the Keras model's name.

    The number of conv blocks is capped so that the default geometry ("same" padding,
    2x2 pooling after every block) always fits the image: at most 4, and at most
    log2 of the smaller image side.
    """

    def __init__(
        self,
        input_shape: tuple[int, int] = (28, 28),
        num_classes: int = 26,
        augmentations: Iterable[str] = AUGMENTATIONS,
        name: str = "character_cnn",
    ):
        super().__init__(name=name)
        self.input_shape = check_input_shape(input_shape)
        self.num_classes = check_num_classes(num_classes)
        self.augmentations = check_augmentations(augmentations)
        self.max_conv_blocks = min(MAX_CONV_BLOCKS, int(math.log2(min(self.input_shape))))

    # -- the space ------------------------------------------------------------------
    def declare_hyperparameters(self, hp: keras_tuner.HyperParameters) -> None:
        """Declares the whole space in ``hp`` without building a model (KerasTuner hook)."""
        self._choose(hp)

    def space(self) -> keras_tuner.HyperParameters:
        """A fresh ``HyperParameters`` holding the whole space and the default values."""
        hp = keras_tuner.HyperParameters()
        self._choose(hp)
        return hp

    def hyperparameters_for(self, values: Mapping[str, object]) -> keras_tuner.HyperParameters:
        """The space with ``values`` as its point; raises ConfigError unless ``values``
        gives exactly the active hyperparameters, each within its range or choices."""
        hp = self.space()
        problems = value_problems(hp, values)
        if problems:
            raise ConfigError("invalid hyperparameter values: " + "; ".join(problems))
        hp.values = dict(values)
        return hp

    def _choose(self, hp: keras_tuner.HyperParameters) -> Architecture:
        """Declares every hyperparameter (inactive ones too, inside their conditional
        scope, so one call records the whole space) and returns the active values."""
        blocks = hp.Int("conv_blocks", 0, self.max_conv_blocks, default=2)
        filters = []
        for k in range(1, self.max_conv_blocks + 1):
            with hp.conditional_scope("conv_blocks", list(range(k, self.max_conv_blocks + 1))):
                value = hp.Choice(f"filters_{k}", FILTER_CHOICES, default=DEFAULT_FILTERS[k - 1])
                if k <= blocks:
                    filters.append(value)
        with hp.conditional_scope("conv_blocks", list(range(1, self.max_conv_blocks + 1))):
            convs = hp.Int("convs_per_block", 1, 2, default=1)
            kernel = hp.Choice("kernel_size", [3, 5], default=3)
            padding = hp.Choice("padding", ["valid", "same"], default="same")
            pooling = hp.Choice("pooling", ["max", "average", "none"], default="max")
            conv_dropout = hp.Float("conv_dropout", 0.0, 0.5, step=0.05, default=0.0)
        batch_norm = hp.Boolean("batch_norm", default=False)
        head_dropout = hp.Float("head_dropout", 0.0, 0.6, step=0.05, default=0.5)
        dense_layers = hp.Int("dense_layers", 0, MAX_DENSE_LAYERS, default=0)
        units = []
        for k in range(1, MAX_DENSE_LAYERS + 1):
            with hp.conditional_scope("dense_layers", list(range(k, MAX_DENSE_LAYERS + 1))):
                value = hp.Choice(f"dense_units_{k}", UNIT_CHOICES, default=128)
                if k <= dense_layers:
                    units.append(value)
        with hp.conditional_scope("dense_layers", list(range(1, MAX_DENSE_LAYERS + 1))):
            dense_dropout = hp.Float("dense_dropout", 0.0, 0.6, step=0.05, default=0.0)
        strengths = {}
        for kind, default in (("l1", 1e-5), ("l2", 1e-4)):
            use = hp.Boolean(kind, default=False)
            with hp.conditional_scope(kind, [True]):
                strength = hp.Float(f"{kind}_strength", 1e-7, 1e-3, sampling="log", default=default)
            strengths[kind] = strength if use else None
        initializer = hp.Choice("initializer", INITIALIZERS, default="glorot_uniform")
        activation = hp.Choice("activation", ACTIVATIONS, default="relu")
        optimizer = hp.Choice("optimizer", OPTIMIZERS, default="adam")
        learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
        augmentation = {}
        if self.augmentations:
            augment = hp.Boolean("augment", default=False)
            with hp.conditional_scope("augment", [True]):
                for kind in self.augmentations:
                    top, step, default = AUGMENTATION_RANGES[kind]
                    factor = hp.Float(kind, 0.0, top, step=step, default=default)
                    if augment:
                        augmentation[kind] = factor
        return Architecture(
            conv_blocks=blocks, filters=tuple(filters), convs_per_block=convs, kernel_size=kernel,
            padding=padding, pooling=pooling, conv_dropout=conv_dropout, batch_norm=batch_norm,
            head_dropout=head_dropout, dense_units=tuple(units), dense_dropout=dense_dropout,
            l1=strengths["l1"], l2=strengths["l2"], initializer=initializer, activation=activation,
            optimizer=optimizer, learning_rate=learning_rate, augmentation=augmentation,
        )

    # -- the model ------------------------------------------------------------------
    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """Builds and compiles the model at ``hp``'s point (declaring the space in ``hp``).

        Raises ``FailedTrialError`` when the point's geometry cannot be built."""
        arch = self._choose(hp)
        feature_map_size(self.input_shape, arch)
        model = self._assemble(arch)
        model.compile(
            optimizer=make_optimizer(arch.optimizer, arch.learning_rate),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def _assemble(self, arch: Architecture) -> keras.Model:
        height, width = self.input_shape
        inputs = keras.Input(shape=(height, width), name="image")
        x = keras.layers.Reshape((height, width, 1), name="add_channel")(inputs)
        x = keras.layers.Rescaling(1.0 / 255.0, name="rescale")(x)
        x = _augmentation_layers(x, arch.augmentation)
        regularizer = None
        if arch.l1 is not None or arch.l2 is not None:
            regularizer = keras.regularizers.L1L2(l1=arch.l1 or 0.0, l2=arch.l2 or 0.0)
        dense_options = dict(kernel_initializer=arch.initializer, kernel_regularizer=regularizer)
        for b, filters in enumerate(arch.filters, start=1):
            for c in range(1, arch.convs_per_block + 1):
                x = keras.layers.Conv2D(
                    filters, arch.kernel_size, padding=arch.padding, use_bias=not arch.batch_norm,
                    activation=None if arch.batch_norm else arch.activation,
                    name=f"block{b}_conv{c}", **dense_options,
                )(x)
                if arch.batch_norm:
                    x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"block{b}_bn{c}")(x)
                    x = keras.layers.Activation(arch.activation, name=f"block{b}_act{c}")(x)
            if arch.pooling == "max":
                x = keras.layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
            elif arch.pooling == "average":
                x = keras.layers.AveragePooling2D(2, name=f"block{b}_pool")(x)
            if arch.conv_dropout:
                x = keras.layers.Dropout(arch.conv_dropout, name=f"block{b}_dropout")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        if arch.head_dropout:
            x = keras.layers.Dropout(arch.head_dropout, name="head_dropout")(x)
        for k, units in enumerate(arch.dense_units, start=1):
            x = keras.layers.Dense(
                units, use_bias=not arch.batch_norm,
                activation=None if arch.batch_norm else arch.activation,
                name=f"dense{k}", **dense_options,
            )(x)
            if arch.batch_norm:
                x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"dense{k}_bn")(x)
                x = keras.layers.Activation(arch.activation, name=f"dense{k}_act")(x)
            if arch.dense_dropout:
                x = keras.layers.Dropout(arch.dense_dropout, name=f"dense{k}_dropout")(x)
        # float32 output even under a mixed-precision policy (stable softmax and loss).
        outputs = keras.layers.Dense(
            self.num_classes, activation="softmax", kernel_initializer=arch.initializer,
            dtype="float32", name="head",
        )(x)
        return keras.Model(inputs, outputs, name=self.name)


def feature_map_size(input_shape: tuple[int, int], arch: Architecture) -> tuple[int, int]:
    """Height and width after the conv blocks; FailedTrialError if the image runs out."""
    height, width = input_shape
    for b in range(1, arch.conv_blocks + 1):
        for c in range(1, arch.convs_per_block + 1):
            if arch.padding == "valid":
                if min(height, width) < arch.kernel_size:
                    raise FailedTrialError(
                        f"block {b} conv {c}: the {height}x{width} feature map is smaller than the "
                        f"{arch.kernel_size}x{arch.kernel_size} kernel with 'valid' padding; "
                        "use 'same' padding, a smaller kernel or fewer conv blocks"
                    )
                height, width = height - arch.kernel_size + 1, width - arch.kernel_size + 1
        if arch.pooling != "none":
            if min(height, width) < 2:
                raise FailedTrialError(
                    f"block {b}: 2x2 pooling cannot shrink the {height}x{width} feature map; "
                    "use 'same' padding, fewer conv blocks or no pooling"
                )
            height, width = height // 2, width // 2
    return height, width


def make_optimizer(name: str, learning_rate: float) -> keras.optimizers.Optimizer:
    """The optimizer ``name`` (one of ``OPTIMIZERS``) at ``learning_rate``."""
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    if name == "adamw":
        return keras.optimizers.AdamW(learning_rate)
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    raise ConfigError(f"unknown optimizer '{name}'; known: {', '.join(OPTIMIZERS)}")


def _augmentation_layers(x, factors: Mapping[str, float]):
    """Random image transforms (active only in training); a zero factor adds no layer."""
    fill = dict(fill_mode="constant", fill_value=0.0)
    if factors.get("rotation"):
        x = keras.layers.RandomRotation(factors["rotation"], name="augment_rotation", **fill)(x)
    if factors.get("translation"):
        shift = factors["translation"]
        x = keras.layers.RandomTranslation(shift, shift, name="augment_translation", **fill)(x)
    if factors.get("zoom"):
        x = keras.layers.RandomZoom(factors["zoom"], name="augment_zoom", **fill)(x)
    return x
