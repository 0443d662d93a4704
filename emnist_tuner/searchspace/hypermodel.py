"""The search space: one KerasTuner HyperModel that contains every model of the study.

``CharacterHyperModel.build(hp)`` reads (and so declares) every hyperparameter with an
explicit default, checks that the chosen geometry can be built, then assembles and
compiles a functional Keras model:

    Input (H, W) -> Reshape (H, W, 1) -> Rescaling 1/255 -> [augmentation]
    -> conv blocks -> Flatten -> [Dropout] -> hidden Dense layers -> Dense softmax

Hyperparameters that only matter under another one are declared inside
``hp.conditional_scope`` so that KerasTuner records only the active ones. What is declared, and how a
space file narrows it, is in ``declared`` (Keras-free, so the CLI checks a space file cheaply).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import keras
import keras_tuner

from ..errors import ConfigError
from .checks import (
    AUGMENTATIONS,
    check_augmentations,
    check_input_shape,
    check_num_classes,
    check_restrict,
    value_problems,
)
from .declared import (  # noqa: F401 (the space's constants, also importable from here)
    ACTIVATIONS,
    AUGMENTATION_RANGES,
    FILTER_CHOICES,
    INITIALIZERS,
    OPTIMIZERS,
    RESTRICTABLE,
    UNIT_CHOICES,
    Architecture,
    choose,
    max_conv_blocks,
)
from .narrowing import check_narrowing

# Keras' default 0.99 lets the moving statistics lag far behind the batch statistics for
# the first few hundred steps (tiny conv variances on 0..1 pixels against the initial 1.0),
# which ruins validation accuracy in the short first rounds of Hyperband; 0.9 catches up
# within ~50 steps.
BN_MOMENTUM = 0.9


class CharacterHyperModel(keras_tuner.HyperModel):
    """Small CNNs (or dense nets) for handwritten characters given as uint8 (N, H, W) arrays.

    Args:
        input_shape: image height and width (no channel axis), each an int >= 8.
        num_classes: number of classes (labels 0 .. num_classes - 1), an int >= 2.
        augmentations: which augmentation factors the space may tune, a subset of
            ``AUGMENTATIONS``; an empty sequence removes augmentation from the space.
        name: the HyperModel's name, also used as the Keras model's name.
        restrict: optional narrower choices for some hyperparameters, e.g.
            ``{"pooling": ["max", "average"], "filters": [16, 32, 64]}`` (``filters`` and
            ``dense_units`` apply to every block / layer). Used by cheap search profiles.
        narrowing: optional space file entries (``narrowing.read_space``: ``fixed``, ``choices``,
            ``ranges``), checked against the space these arguments declare; applied on top.

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
        restrict: Mapping[str, Iterable] | None = None,
        narrowing: Mapping | None = None,
    ):
        super().__init__(name=name)
        self.input_shape = check_input_shape(input_shape)
        self.num_classes = check_num_classes(num_classes)
        self.augmentations = check_augmentations(augmentations)
        self.restrict = check_restrict(restrict or {}, RESTRICTABLE)
        self.max_conv_blocks = max_conv_blocks(self.input_shape)
        # a dict or None: not part of ``hyperband.space.space_fingerprint``'s settings (the declared space is)
        self.narrowing = check_narrowing(narrowing, self.input_shape, self.restrict, self.augmentations)

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
        """Declares every hyperparameter (inactive ones too, inside their conditional scope, so one
        call records the whole space) and returns the active values (``declared.choose``)."""
        return choose(hp, self.max_conv_blocks, self.restrict, self.augmentations, self.narrowing)

    # -- the model ------------------------------------------------------------------
    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        """Builds and compiles the model at ``hp``'s point (declaring the space in ``hp``).

        Every point builds: see ``conv_geometry`` for how small feature maps are handled."""
        arch = self._choose(hp)
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
        x = augmentation_layers(x, arch.augmentation)
        regularizer = None
        if arch.l1 is not None or arch.l2 is not None:
            regularizer = keras.regularizers.L1L2(l1=arch.l1 or 0.0, l2=arch.l2 or 0.0)
        dense_options = dict(kernel_initializer=arch.initializer, kernel_regularizer=regularizer)
        geometry = conv_geometry(self.input_shape, arch)
        for b, (filters, (paddings, pools)) in enumerate(zip(arch.filters, geometry), start=1):
            for c, padding in enumerate(paddings, start=1):
                conv = keras.layers.Conv2D(
                    filters,
                    arch.kernel_size,
                    padding=padding,
                    use_bias=not arch.batch_norm,
                    activation=None if arch.batch_norm else arch.activation,
                    name=f"block{b}_conv{c}",
                    **dense_options,
                )
                x = _normalized(conv(x), arch, bn_name=f"block{b}_bn{c}", act_name=f"block{b}_act{c}")
            if pools and arch.pooling == "max":
                x = keras.layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
            elif pools and arch.pooling == "average":
                x = keras.layers.AveragePooling2D(2, name=f"block{b}_pool")(x)
            if arch.conv_dropout:
                x = keras.layers.Dropout(arch.conv_dropout, name=f"block{b}_dropout")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        if arch.head_dropout:
            x = keras.layers.Dropout(arch.head_dropout, name="head_dropout")(x)
        for k, units in enumerate(arch.dense_units, start=1):
            dense = keras.layers.Dense(
                units,
                use_bias=not arch.batch_norm,
                activation=None if arch.batch_norm else arch.activation,
                name=f"dense{k}",
                **dense_options,
            )
            x = _normalized(dense(x), arch, bn_name=f"dense{k}_bn", act_name=f"dense{k}_act")
            if arch.dense_dropout:
                x = keras.layers.Dropout(arch.dense_dropout, name=f"dense{k}_dropout")(x)
        # float32 output even under a mixed-precision policy (stable softmax and loss).
        outputs = keras.layers.Dense(
            self.num_classes,
            activation="softmax",
            kernel_initializer=arch.initializer,
            dtype="float32",
            name="head",
        )(x)
        return keras.Model(inputs, outputs, name=self.name)


def conv_geometry(input_shape: tuple[int, int], arch: Architecture) -> list[tuple[list[str], bool]]:
    """Per conv block: the padding of each conv and whether it pools, so that every point builds.

    "valid" padding applies while the feature map is at least as large as the kernel; a smaller
    map is convolved with "same" padding. 2x2 pooling is skipped on maps smaller than 2 pixels.
    (Without this, about 12 % of random points at 28x28 could not be built; each failed trial
    also leaves a Hyperband bracket short, since only completed trials are promoted.)
    """
    height, width = input_shape
    blocks = []
    for _ in range(arch.conv_blocks):
        assert arch.convs_per_block is not None and arch.kernel_size is not None  # set whenever conv_blocks > 0
        paddings = []
        for _ in range(arch.convs_per_block):
            if arch.padding == "valid" and min(height, width) >= arch.kernel_size:
                paddings.append("valid")
                height, width = height - arch.kernel_size + 1, width - arch.kernel_size + 1
            else:
                paddings.append("same")
        pools = arch.pooling != "none" and min(height, width) >= 2
        if pools:
            height, width = height // 2, width // 2
        blocks.append((paddings, pools))
    return blocks


def _normalized(x, arch: Architecture, bn_name: str, act_name: str):
    """With BatchNorm: BN then the activation (the weighted layer had none); else ``x`` as it is."""
    if not arch.batch_norm:
        return x
    x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=bn_name)(x)
    return keras.layers.Activation(arch.activation, name=act_name)(x)


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


def augmentation_layers(x, factors: Mapping[str, float]):
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
