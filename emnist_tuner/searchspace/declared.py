"""The search space as declared, without Keras: every hyperparameter's name, type, range or choices, default
and condition, and ``choose``, the one function that declares them.

``choose(hp, …)`` declares the whole space in ``hp`` (KerasTuner's ``HyperParameters`` when the HyperModel
builds, inactive conditional hyperparameters included) and returns the values of one build. Handed a
``Recorder`` instead, it runs without Keras: ``declared_space`` lists what it declares, so a space file
(``narrowing``) or a preset is checked against the real space before TensorFlow is imported. A narrowing
(``narrowing.read_space``) is applied here too, declaration by declaration, through KerasTuner's own kinds:
a fixed value is ``hp.Fixed``, a restricted list ``hp.Choice``, a narrowed range ``hp.Int``/``hp.Float``
with the declared step and sampling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace

MAX_CONV_BLOCKS = 4
MAX_DENSE_LAYERS = 3
FILTER_CHOICES = [16, 32, 48, 64, 96, 128]
DEFAULT_FILTERS = (32, 64, 128, 128)
UNIT_CHOICES = [32, 64, 128, 256, 512]
INITIALIZERS = ["glorot_uniform", "he_normal", "he_uniform", "lecun_normal"]
ACTIVATIONS = ["relu", "elu", "selu", "swish", "leaky_relu"]
OPTIMIZERS = ["adam", "adamw", "sgd", "rmsprop"]
# Choice hyperparameters a profile may narrow (CharacterHyperModel's ``restrict``).
RESTRICTABLE: dict[str, list] = {
    "filters": FILTER_CHOICES,
    "kernel_size": [3, 5],
    "padding": ["valid", "same"],
    "pooling": ["max", "average", "none"],
    "dense_units": UNIT_CHOICES,
    "initializer": INITIALIZERS,
    "activation": ACTIVATIONS,
    "optimizer": OPTIMIZERS,
}
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


@dataclass(frozen=True)
class Param:
    """One declared hyperparameter; ``kind`` is KerasTuner's class name (Int, Float, Boolean, Choice,
    Fixed), ``condition`` the (parent, parent values) under which it is active, if any."""

    name: str
    kind: str
    default: object
    low: float | None = None
    high: float | None = None
    step: float | None = None
    sampling: str = "linear"
    values: tuple = ()
    condition: tuple[str, tuple] | None = None


def max_conv_blocks(input_shape: tuple[int, int]) -> int:
    """The most conv blocks the default geometry (2x2 pooling after each) fits into the image."""
    return min(MAX_CONV_BLOCKS, int(math.log2(min(input_shape))))


def kind_of(param) -> str:
    """The kind of ``param``: a ``Param``'s own, or the class name of a KerasTuner hyperparameter."""
    return param.kind if isinstance(param, Param) else type(param).__name__


def value_in_range(param, value: object) -> bool:
    """Whether ``value`` is a value ``param`` (a ``Param`` or a KerasTuner Choice, Int, Float, Boolean,
    Fixed) can take."""
    kind = kind_of(param)
    if kind == "Boolean":
        return isinstance(value, bool)
    if kind == "Choice":
        return any(value == v and type(value) is type(v) for v in param.values)
    if kind == "Fixed":
        return value == (param.values[0] if isinstance(param, Param) else param.value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if kind == "Int" and not isinstance(value, int):
        return False
    low, high = (param.low, param.high) if isinstance(param, Param) else (param.min_value, param.max_value)
    if low is None or high is None or not low <= value <= high:
        return False
    if param.step and param.sampling == "linear":
        steps = (value - low) / param.step
        return abs(steps - round(steps)) < 1e-6
    return True


def narrowed(param: Param, narrowing: Mapping | None) -> Param:
    """``param`` as a (checked) narrowing leaves it: a fixed value, a shorter choice list (one value:
    fixed), a narrower range (low = high: fixed) with the declared step and sampling; else as declared."""
    if not narrowing:
        return param
    name = param.name
    if name in narrowing.get("fixed", {}):
        return replace(param, kind="Fixed", values=(narrowing["fixed"][name],), default=narrowing["fixed"][name])
    if name in narrowing.get("choices", {}):
        values = tuple(narrowing["choices"][name])
        if param.kind == "Boolean" and len(values) == 2:  # both: the Boolean as declared
            return param
        if len(values) == 1:
            return replace(param, kind="Fixed", values=values, default=values[0])
        default = param.default if param.default in values else values[0]
        return replace(param, kind="Choice", values=values, default=default)
    if name in narrowing.get("ranges", {}):
        low, high = narrowing["ranges"][name]
        if low == high:
            return replace(param, kind="Fixed", values=(low,), default=low)
        return replace(param, low=low, high=high, default=min(max(param.default, low), high))
    return param


def declare(hp, param: Param):
    """Declares ``param`` in ``hp`` (KerasTuner's ``HyperParameters`` or a ``Recorder``); returns its value."""
    if param.kind == "Fixed":
        return hp.Fixed(param.name, param.values[0])
    if param.kind == "Choice":
        return hp.Choice(param.name, list(param.values), default=param.default)
    if param.kind == "Boolean":
        return hp.Boolean(param.name, default=param.default)
    if param.kind == "Int":
        return hp.Int(param.name, param.low, param.high, default=param.default)
    return hp.Float(param.name, param.low, param.high, step=param.step, sampling=param.sampling, default=param.default)


class Recorder:
    """Stands in for KerasTuner's ``HyperParameters`` in ``choose``: records each declaration as a
    ``Param`` (with its condition) and returns its default."""

    def __init__(self):
        self.params: dict[str, Param] = {}
        self._condition: tuple[str, tuple] | None = None

    @contextmanager
    def conditional_scope(self, parent: str, values):
        """Declarations inside are active only when ``parent`` takes one of ``values``."""
        self._condition = (parent, tuple(values))
        try:
            yield
        finally:
            self._condition = None

    def _record(self, param: Param):
        self.params[param.name] = replace(param, condition=self._condition)
        return param.default

    def Int(self, name, min_value, max_value, default=None):  # noqa: N802 (KerasTuner's names)
        """As ``HyperParameters.Int``."""
        return self._record(Param(name, "Int", default, min_value, max_value))

    def Float(self, name, min_value, max_value, step=None, sampling="linear", default=None):  # noqa: N802
        """As ``HyperParameters.Float``."""
        return self._record(Param(name, "Float", default, min_value, max_value, step, sampling))

    def Boolean(self, name, default=False):  # noqa: N802
        """As ``HyperParameters.Boolean``."""
        return self._record(Param(name, "Boolean", default, values=(True, False)))

    def Choice(self, name, values, default=None):  # noqa: N802
        """As ``HyperParameters.Choice``."""
        return self._record(Param(name, "Choice", default, values=tuple(values)))

    def Fixed(self, name, value):  # noqa: N802
        """As ``HyperParameters.Fixed``."""
        return self._record(Param(name, "Fixed", value, values=(value,)))


def declared_space(
    input_shape: tuple[int, int] = (28, 28),
    restrict: Mapping | None = None,
    augmentations=("rotation", "translation", "zoom"),
) -> dict[str, Param]:
    """Every hyperparameter the HyperModel declares for these arguments (its own, checked), by name, in
    declaration order; no Keras needed."""
    recorder = Recorder()
    choose(recorder, max_conv_blocks(input_shape), restrict or {}, tuple(augmentations))
    return recorder.params


def choose(hp, blocks_max: int, restrict: Mapping, augmentations: tuple, narrowing: Mapping | None = None):
    """Declares every hyperparameter in ``hp`` (inactive ones too, inside their conditional scope, so one
    call records the whole space) and returns the active values as an ``Architecture``. ``restrict``: a
    profile's narrower choices (``RESTRICTABLE``); ``narrowing``: a checked space file's entries."""

    def get(name: str, kind: str, default, low=None, high=None, step=None, sampling="linear", values=(), key=None):
        if kind == "Choice":
            allowed = [c for c in values if c in restrict[key]] if key in restrict else list(values)
            values, default = tuple(allowed), default if default in allowed else allowed[0]
        return declare(hp, narrowed(Param(name, kind, default, low, high, step, sampling, tuple(values)), narrowing))

    blocks = get("conv_blocks", "Int", 2, 0, blocks_max)
    filters = []
    for k in range(1, blocks_max + 1):
        with hp.conditional_scope("conv_blocks", list(range(k, blocks_max + 1))):
            value = get(f"filters_{k}", "Choice", DEFAULT_FILTERS[k - 1], values=FILTER_CHOICES, key="filters")
            if k <= blocks:
                filters.append(value)
    with hp.conditional_scope("conv_blocks", list(range(1, blocks_max + 1))):
        convs = get("convs_per_block", "Int", 1, 1, 2)
        kernel = get("kernel_size", "Choice", 3, values=RESTRICTABLE["kernel_size"], key="kernel_size")
        padding = get("padding", "Choice", "same", values=RESTRICTABLE["padding"], key="padding")
        pooling = get("pooling", "Choice", "max", values=RESTRICTABLE["pooling"], key="pooling")
        conv_dropout = get("conv_dropout", "Float", 0.0, 0.0, 0.5, step=0.05)
    batch_norm = get("batch_norm", "Boolean", False, values=(True, False))
    head_dropout = get("head_dropout", "Float", 0.5, 0.0, 0.6, step=0.05)
    dense_layers = get("dense_layers", "Int", 0, 0, MAX_DENSE_LAYERS)
    units = []
    for k in range(1, MAX_DENSE_LAYERS + 1):
        with hp.conditional_scope("dense_layers", list(range(k, MAX_DENSE_LAYERS + 1))):
            value = get(f"dense_units_{k}", "Choice", 128, values=UNIT_CHOICES, key="dense_units")
            if k <= dense_layers:
                units.append(value)
    with hp.conditional_scope("dense_layers", list(range(1, MAX_DENSE_LAYERS + 1))):
        dense_dropout = get("dense_dropout", "Float", 0.0, 0.0, 0.6, step=0.05)
    strengths = {}
    for kind, default in (("l1", 1e-5), ("l2", 1e-4)):
        use = get(kind, "Boolean", False, values=(True, False))
        with hp.conditional_scope(kind, [True]):
            strength = get(f"{kind}_strength", "Float", default, 1e-7, 1e-3, sampling="log")
        strengths[kind] = strength if use else None
    initializer = get("initializer", "Choice", "glorot_uniform", values=INITIALIZERS, key="initializer")
    activation = get("activation", "Choice", "relu", values=ACTIVATIONS, key="activation")
    optimizer = get("optimizer", "Choice", "adam", values=OPTIMIZERS, key="optimizer")
    learning_rate = get("learning_rate", "Float", 1e-3, 1e-4, 1e-2, sampling="log")
    augmentation = {}
    if augmentations:
        augment = get("augment", "Boolean", False, values=(True, False))
        with hp.conditional_scope("augment", [True]):
            for kind in augmentations:
                top, step, default = AUGMENTATION_RANGES[kind]
                factor = get(kind, "Float", default, 0.0, top, step=step)
                if augment:
                    augmentation[kind] = factor
    return Architecture(
        conv_blocks=blocks,
        filters=tuple(filters),
        convs_per_block=convs,
        kernel_size=kernel,
        padding=padding,
        pooling=pooling,
        conv_dropout=conv_dropout,
        batch_norm=batch_norm,
        head_dropout=head_dropout,
        dense_units=tuple(units),
        dense_dropout=dense_dropout,
        l1=strengths["l1"],
        l2=strengths["l2"],
        initializer=initializer,
        activation=activation,
        optimizer=optimizer,
        learning_rate=learning_rate,
        augmentation=augmentation,
    )
