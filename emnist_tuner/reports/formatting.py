"""Shared cell formats: hyperparameter names and values, durations, percentages."""

from __future__ import annotations

# Short column titles for the hyperparameters, so tables stay readable at 80 columns.
SHORT = {
    "conv_blocks": "blocks", "convs_per_block": "convs", "kernel_size": "kernel", "batch_norm": "bn",
    "conv_dropout": "cdrop", "head_dropout": "hdrop", "dense_layers": "dense", "dense_dropout": "ddrop",
    "initializer": "init", "activation": "act", "optimizer": "opt", "learning_rate": "lr",
    "translation": "transl", "rotation": "rot", "l1_strength": "l1_s", "l2_strength": "l2_s",
    **{f"dense_units_{k}": f"units_{k}" for k in range(1, 5)},
}
SHORT_VALUES = {"glorot_uniform": "glorot", "he_normal": "he_n", "he_uniform": "he_u", "lecun_normal": "lecun",
                "leaky_relu": "lrelu", "average": "avg"}


def fmt_value(value) -> str:
    """A hyperparameter value in a table cell (blank when inactive)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2g}"
    return SHORT_VALUES.get(value, str(value)) if isinstance(value, str) else str(value)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}"


def pct(value, digits: int = 2) -> str:
    """A fraction (or a percentage above 1) as a fixed-precision percentage; blank when unknown."""
    if value is None:
        return ""
    value = float(value)
    return f"{100 * value if value <= 1.0 else value:.{digits}f} %"
