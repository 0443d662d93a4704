"""The optimization methods an ablation varies, and the variant of a base preset each one gives.

Every method has an *applied* setting (the method as the study's models use it, mostly Model 4's)
and a *plain* one (the usual default without it). A method's variant flips the base preset: a
method the base lacks is added ("+ He-normal init"), one the base has is taken away
("− BatchNorm"). The ``combined`` variant applies every method at once, as the study's Model 4
does on a deeper net. Early stopping belongs to training, so a variant is hyperparameter values
plus an early-stopping patience (None: all epochs are trained and the last weights kept).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import ConfigError

# The method as applied / the plain alternative, for the choice-like methods.
APPLIED_INIT, PLAIN_INIT = "he_normal", "glorot_uniform"  # Model 4's initializer / Keras' default
APPLIED_ACTIVATION, PLAIN_ACTIVATION = "elu", "relu"  # a smooth alternative / the usual default
APPLIED_OPTIMIZER = {"optimizer": "adam", "learning_rate": 1e-3}  # every preset's optimizer
PLAIN_OPTIMIZER = {"optimizer": "sgd", "learning_rate": 1e-2}  # SGD, Nesterov momentum 0.9
APPLIED_AUGMENT = {"rotation": 0.03, "translation": 0.1, "zoom": 0.1}  # the presets' mild augmentation
APPLIED_L1, APPLIED_L2 = 1e-5, 1e-4  # Model 3's strengths
APPLIED_CONV_DROPOUT, APPLIED_DENSE_DROPOUT = 0.2, 0.4  # Model 4's rates
APPLIED_PATIENCE = 3  # Model 4's early stopping
APPLIED_POOLING, PLAIN_POOLING = "max", "average"  # the study's pooling / the alternative

METHODS = (
    "init",
    "activation",
    "optimizer",
    "batchnorm",
    "augmentation",
    "l1l2",
    "dropout",
    "early-stopping",
    "pooling",
)
COMBINED = "combined"
METHOD_TITLES = {
    "init": "weight initialization",
    "activation": "activation",
    "optimizer": "optimizer",
    "batchnorm": "BatchNorm",
    "augmentation": "data augmentation",
    "l1l2": "L1/L2 regularization",
    "dropout": "dropout",
    "early-stopping": "early stopping",
    "pooling": "pooling",
    COMBINED: "all methods combined",
}


@dataclass
class Variant:
    """One model to train: the base's values with one method (or all) changed."""

    name: str  # "base", a method name, or "combined"
    label: str  # what changed, e.g. "+ He-normal init", "− BatchNorm"
    adds_method: bool  # True: the variant has the method and the base has not
    values: dict  # every active hyperparameter value
    patience: int | None  # early stopping (None: off)

    def to_json(self) -> dict:
        return asdict(self)


def parse_methods(text: str | None) -> list[str]:
    """``--methods`` as a list (comma-separated; default: every method, then ``combined``)."""
    if text is None or not text.strip():
        return [*METHODS, COMBINED]
    names = [name.strip() for name in text.split(",") if name.strip()]
    known = [*METHODS, COMBINED]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ConfigError(f"--methods: unknown method '{unknown[0]}'; known: {', '.join(known)}")
    if len(set(names)) != len(names):
        raise ConfigError(f"--methods lists a method twice: {text}")
    return names


def _has_convs(values: dict) -> bool:
    return values.get("conv_blocks", 0) > 0


def _dropout_keys(values: dict) -> list[str]:
    return [k for k in ("conv_dropout", "head_dropout", "dense_dropout") if k in values]


def has_method(method: str, values: dict, patience: int | None) -> bool:
    """Whether a point (values and patience) applies ``method``."""
    if method == "init":
        return values["initializer"] == APPLIED_INIT
    if method == "activation":
        return values["activation"] == APPLIED_ACTIVATION
    if method == "optimizer":
        return values["optimizer"] == APPLIED_OPTIMIZER["optimizer"]
    if method == "batchnorm":
        return bool(values["batch_norm"])
    if method == "augmentation":
        return bool(values.get("augment"))
    if method == "l1l2":
        return bool(values["l1"] or values["l2"])
    if method == "dropout":
        return any(values[k] for k in _dropout_keys(values))
    if method == "early-stopping":
        return bool(patience)
    if method == "pooling":
        return values.get("pooling") == APPLIED_POOLING
    raise ConfigError(f"unknown method '{method}'")


def set_method(method: str, values: dict, patience: int | None, on: bool) -> tuple[dict, int | None]:
    """A copy of the point with ``method`` applied (``on``) or taken away."""
    v = dict(values)
    if method == "init":
        v["initializer"] = APPLIED_INIT if on else PLAIN_INIT
    elif method == "activation":
        v["activation"] = APPLIED_ACTIVATION if on else PLAIN_ACTIVATION
    elif method == "optimizer":
        v.update(APPLIED_OPTIMIZER if on else PLAIN_OPTIMIZER)
    elif method == "batchnorm":
        v["batch_norm"] = on
    elif method == "augmentation":
        for key in ("augment", *APPLIED_AUGMENT):
            v.pop(key, None)
        v["augment"] = on
        if on:
            v.update(APPLIED_AUGMENT)
    elif method == "l1l2":
        v.pop("l1_strength", None), v.pop("l2_strength", None)
        v.update(l1=on, l2=on)
        if on:
            v.update(l1_strength=APPLIED_L1, l2_strength=APPLIED_L2)
    elif method == "dropout":
        for key in _dropout_keys(v):
            v[key] = 0.0
        if on:
            if _has_convs(v):
                v["conv_dropout"] = APPLIED_CONV_DROPOUT
            v["dense_dropout" if "dense_dropout" in v else "head_dropout"] = APPLIED_DENSE_DROPOUT
    elif method == "early-stopping":
        patience = APPLIED_PATIENCE if on else None
    elif method == "pooling":
        v["pooling"] = APPLIED_POOLING if on else PLAIN_POOLING
    return v, patience


def method_label(method: str, on: bool, before: dict, after: dict) -> str:
    """What a variant changes, e.g. "initializer glorot_uniform → he_normal" or "− BatchNorm"."""
    switched = {"init": "initializer", "activation": "activation", "optimizer": "optimizer", "pooling": "pooling"}
    if method in switched:
        key = switched[method]
        label = f"{key} {before[key]} → {after[key]}"
        if method == "optimizer":
            label += f" (lr {after['learning_rate']:g})"
        return label
    named = {
        "batchnorm": "BatchNorm",
        "augmentation": "augmentation (rotation 0.03, shift and zoom 0.1)",
        "l1l2": f"L1 {APPLIED_L1:g} + L2 {APPLIED_L2:g}",
        "dropout": f"dropout (conv {APPLIED_CONV_DROPOUT:g}, dense {APPLIED_DENSE_DROPOUT:g})",
        "early-stopping": f"early stopping (patience {APPLIED_PATIENCE})",
    }
    return ("+ " if on else "− ") + named[method]


def applicable(method: str, values: dict) -> bool:
    """Pooling and conv dropout need conv blocks; everything else applies to every preset."""
    return method != "pooling" or _has_convs(values)


def make_variants(base_values: dict, base_patience: int | None, methods: list[str]) -> list[Variant]:
    """The base first, then one variant per method (in the given order)."""
    variants = [Variant("base", "the base preset", False, dict(base_values), base_patience)]
    for method in methods:
        if method == COMBINED:
            values, patience = dict(base_values), base_patience
            for each in METHODS:
                if applicable(each, values):
                    values, patience = set_method(each, values, patience, True)
            variants.append(Variant(COMBINED, "every method applied", True, values, patience))
            continue
        if not applicable(method, base_values):
            raise ConfigError(f"--methods: {method} does not apply to a base without conv blocks; leave it out")
        on = not has_method(method, base_values, base_patience)
        values, patience = set_method(method, base_values, base_patience, on)
        variants.append(Variant(method, method_label(method, on, base_values, values), on, values, patience))
    return variants
