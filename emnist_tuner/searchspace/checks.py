"""Checks of the search space's inputs: constructor arguments and hyperparameter values.

Every failure is a ``ConfigError`` whose message says what is wrong and what is allowed.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

from keras_tuner import HyperParameters
from keras_tuner.engine.hyperparameters import HyperParameter

from ..errors import ConfigError
from .declared import value_in_range
from .preset_table import AUGMENTATIONS


def describe(param: HyperParameter) -> str:
    """A short text of what ``param`` allows, for error messages."""
    kind = type(param).__name__
    if kind == "Choice":
        return "choices " + ", ".join(repr(v) for v in param.values)
    if kind in ("Int", "Float"):
        step = f" step {param.step}" if param.step else ""
        return f"{param.min_value}..{param.max_value}{step} ({param.sampling})"
    return kind


def value_problems(hp: HyperParameters, values: Mapping[str, object]) -> list[str]:
    """What is wrong with ``values`` as a point of the space declared in ``hp``: unknown
    or inactive names, missing active names, values outside their range or choices."""
    probe = hp.copy()
    probe.values = dict(values)
    declared = {param.name for param in probe.space}
    problems = [f"unknown hyperparameter '{name}'" for name in values if name not in declared]
    for name in values:
        if name in declared and not probe.is_active(name):
            problems.append(f"'{name}' is given but inactive for these values")
    for param in probe.space:
        if not probe.is_active(param):
            continue
        if param.name not in values:
            problems.append(f"'{param.name}' is active but missing")
        elif not value_in_range(param, values[param.name]):
            problems.append(f"'{param.name}' = {values[param.name]!r} is outside {describe(param)}")
    return problems


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_input_shape(shape) -> tuple[int, int]:
    """``shape`` as a (height, width) tuple of ints >= 8, or ConfigError."""
    try:
        dims = tuple(shape)
    except TypeError:
        dims = ()
    if len(dims) != 2 or not all(_is_int(d) and d >= 8 for d in dims):
        raise ConfigError(f"input_shape must be (height, width): 2 ints >= 8 without a channel axis, got {shape!r}")
    return int(dims[0]), int(dims[1])


def check_num_classes(num_classes) -> int:
    """``num_classes`` as an int >= 2, or ConfigError."""
    if not _is_int(num_classes) or num_classes < 2:
        raise ConfigError(f"num_classes must be an int >= 2, got {num_classes!r}")
    return int(num_classes)


def check_augmentations(names) -> tuple[str, ...]:
    """``names`` as a tuple of known augmentation names in canonical order, or ConfigError."""
    if isinstance(names, str):
        raise ConfigError(
            f"augmentations must be a list of names, not the string {names!r}; allowed: {', '.join(AUGMENTATIONS)}"
        )
    chosen = tuple(names)
    for name in chosen:
        if name not in AUGMENTATIONS:
            raise ConfigError(f"unknown augmentation '{name}'; allowed: {', '.join(AUGMENTATIONS)}")
    # Keep the canonical order and drop repeats, so the space does not depend on order.
    return tuple(name for name in AUGMENTATIONS if name in chosen)


def check_restrict(restrict, restrictable) -> dict[str, tuple]:
    """Validate narrower choices: known names, non-empty subsets of the full choices."""
    checked = {}
    for name, values in dict(restrict).items():
        if name not in restrictable:
            raise ConfigError(f"cannot restrict '{name}'; restrictable: {', '.join(restrictable)}")
        values = tuple(values)
        unknown = [v for v in values if v not in restrictable[name]]
        if not values or unknown:
            raise ConfigError(
                f"restriction of '{name}' must be a non-empty subset of {restrictable[name]}, got {list(values)}"
            )
        checked[name] = values
    return checked
