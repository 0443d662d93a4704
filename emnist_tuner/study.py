"""The original study's reported figures: validation accuracy in %, by model and dataset.

One source for every table that puts our results beside the study's (``presets``, ``report``).
Transfer and scratch are Binary AlphaDigits figures (the winner's backbone reused there).
"""

from __future__ import annotations

# (preset or method key, row label, dataset, validation accuracy %)
FIGURES: list[tuple[str, str, str, float]] = [
    ("dense", "dense network", "EMNIST letters", 89.0),
    ("dense", "dense network", "MNIST", 98.0),
    ("convnet", "keras convnet", "EMNIST letters", 93.0),
    ("convnet", "keras convnet", "MNIST", 99.0),
    ("model1", "Model 1", "EMNIST letters", 94.37),
    ("model2", "Model 2", "EMNIST letters", 94.0),
    ("model3", "Model 3", "EMNIST letters", 91.0),
    ("transfer", "transfer from MNIST", "AlphaDigits", 91.0),
    ("scratch", "from scratch", "AlphaDigits", 88.0),
]
# What the study said without a figure.
NOTES = {"model4": "best"}


def figures_of(key: str) -> list[float]:
    """The study's figures for ``key``, EMNIST letters first."""
    return [figure for k, _, _, figure in FIGURES if k == key]


# What the study concluded about its optimization methods (no figures given): each alone gave
# a small gain; only all of them together with a deeper net (Model 4) gave a significant one.
ABLATION_QUOTE = (
    'optimization methods "showed small improvements when applied individually"; only combining '
    "them with a deeper architecture (Model 4) gave significant gains"
)
ABLATION_CLAIMS = {"method": "small gain", "combined": "gain needs depth"}


def ablation_claim(variant: str) -> str:
    """The study's claim for an ablation variant (a method, or "combined")."""
    return ABLATION_CLAIMS["combined" if variant == "combined" else "method"]
