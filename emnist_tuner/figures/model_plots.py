"""The final model's figures, from its saved test predictions: the confusion matrix as a heatmap,
per-class accuracy, and a grid of the test images it confused most (true → predicted)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..errors import plural


def confusion_figure(matrix: np.ndarray, names: list[str]) -> Figure:
    """Counts on a log colour scale (errors are rare next to the diagonal); rows: true class."""
    n = len(names)
    size = min(12.0, max(5.0, 0.32 * n + 2))
    fig = Figure(figsize=(size + 1, size), layout="constrained")
    ax = fig.subplots()
    shown = np.where(matrix > 0, matrix, np.nan)
    image = ax.imshow(shown, cmap="viridis", norm=LogNorm(vmin=1, vmax=max(1, int(matrix.max()))))
    ax.set_xticks(range(n), names, fontsize=8 if n <= 26 else 6)
    ax.set_yticks(range(n), names, fontsize=8 if n <= 26 else 6)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(image, ax=ax, shrink=0.8, label="test images (log scale; blank: none)")
    errors = int(matrix.sum() - np.trace(matrix))
    fig.suptitle(f"Confusion matrix: {plural(errors, 'error')} in {plural(int(matrix.sum()), 'test image')}")
    return fig


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    totals = matrix.sum(axis=1)
    return np.divide(np.diag(matrix), totals, out=np.full(len(totals), np.nan), where=totals > 0)


def per_class_figure(matrix: np.ndarray, names: list[str]) -> Figure:
    accuracy = per_class_accuracy(matrix)
    overall = np.trace(matrix) / max(1, matrix.sum())
    fig = Figure(figsize=(max(6.0, 0.3 * len(names) + 2), 3.8), layout="constrained")
    ax = fig.subplots()
    colors = ["tab:red" if a < overall else "tab:blue" for a in np.nan_to_num(accuracy, nan=1.0)]
    ax.bar(range(len(names)), 100 * accuracy, color=colors)
    ax.axhline(100 * overall, color="black", lw=1, ls="--", label=f"all classes {100 * overall:.2f} %")
    low = np.nanmin(accuracy) if np.isfinite(accuracy).any() else 0.0
    ax.set_ylim(max(0.0, 100 * low - 3), 100.5)
    ax.set_xticks(range(len(names)), names, fontsize=8)
    ax.set_ylabel("test accuracy (%)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Per-class test accuracy (red: below the overall accuracy)")
    return fig


def most_confused_examples(labels, predictions, limit: int = 24) -> list[int]:
    """Indices of misclassified test images, taken in turn from the most frequent (true, predicted)
    pairs first, so the grid shows the model's typical mistakes rather than one pair only."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    wrong = np.flatnonzero(labels != predictions)
    pairs: dict[tuple[int, int], list[int]] = {}
    for i in wrong:
        pairs.setdefault((int(labels[i]), int(predictions[i])), []).append(int(i))
    ordered = sorted(pairs.values(), key=lambda idx: (-len(idx), idx[0]))
    chosen: list[int] = []
    for round_ in range(limit):
        for idx in ordered:
            if round_ < len(idx) and len(chosen) < limit:
                chosen.append(idx[round_])
        if len(chosen) >= limit or all(round_ >= len(idx) for idx in ordered):
            break
    return chosen


def confused_images_figure(images: np.ndarray, labels, predictions, names: list[str], limit: int = 24) -> Figure | None:
    chosen = most_confused_examples(labels, predictions, limit)
    if not chosen:
        return None
    cols = min(8, len(chosen))
    rows = -(-len(chosen) // cols)
    fig = Figure(figsize=(1.3 * cols, 1.5 * rows + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, chosen):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{names[int(labels[i])]} → {names[int(predictions[i])]}", fontsize=9, color="tab:red")
    fig.suptitle("Most confused test images (true → predicted), most frequent mistakes first")
    return fig
