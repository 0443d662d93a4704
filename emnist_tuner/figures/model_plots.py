"""The final model's figures, from its saved test predictions: the confusion matrix as a heatmap,
per-class accuracy, and a grid of the test images it confused most (true → predicted)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from ..errors import plural
from . import accuracy_data as ad


def confusion_figure(matrix: np.ndarray, names: list[str]) -> Figure:
    """Counts on a log colour scale (errors are rare next to the diagonal), each cell's count written in
    black or white to read on its colour; rows: true class. Classes with neither test images nor
    predictions are left out (a class with no test images has no row), and the title says how many."""
    rows, columns = ad.shown_classes(matrix)
    left_out = len(names) - len(rows)
    shown_matrix = matrix[np.ix_(rows, columns)]
    n = max(len(rows), len(columns))
    width = min(12.0, max(5.0, 0.32 * len(columns) + 2))
    height = min(12.0, max(4.0, 0.32 * len(rows) + 2.5))
    fig = Figure(figsize=(width + 1, height), layout="constrained")
    ax = fig.subplots()
    shown = np.where(shown_matrix > 0, shown_matrix, np.nan)
    image = ax.imshow(shown, cmap="viridis", norm=LogNorm(vmin=1, vmax=max(1, int(shown_matrix.max(initial=1)))))
    ax.set_xticks(range(len(columns)), [names[j] for j in columns], fontsize=8 if n <= 26 else 6)
    ax.set_yticks(range(len(rows)), [names[i] for i in rows], fontsize=8 if n <= 26 else 6)
    if n <= 26:  # counts written in: up to four characters fit a cell at this size
        fontsize = 8 if n <= 12 else 6
        for i, j in zip(*np.nonzero(shown_matrix)):
            count = int(shown_matrix[i, j])
            ax.text(
                j,
                i,
                ad.count_label(count),
                ha="center",
                va="center",
                fontsize=fontsize,
                color=ad.text_colour(image.cmap(image.norm(np.array(count)))),
            )
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    fig.colorbar(image, ax=ax, shrink=0.8, label="test images (log scale; blank: none)")
    errors = int(matrix.sum() - np.trace(matrix))
    title = f"Confusion matrix: {plural(errors, 'error')} in {plural(int(matrix.sum()), 'test image')}"
    if left_out:
        title += f"\n{left_out} of {plural(len(names), 'class', 'classes')} left out: no test images"
        if len(columns) > len(rows):
            title += f" ({len(columns) - len(rows)} kept as columns: the model predicted them)"
    fig.suptitle(title)
    return fig


def per_class_figure(matrix: np.ndarray, names: list[str]) -> Figure:
    """Each class's test accuracy as a dot with its 95 % interval (not a bar: the axis is zoomed to
    the dots), classes without test images left out and counted in the title."""
    data = ad.per_class(matrix, names)
    fig = Figure(figsize=(max(7.0, 0.3 * len(data.names) + 2), 4.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(data.names))
    below = data.accuracy < data.overall
    for mask, color, label in ((~below, "tab:blue", "a class"), (below, "tab:red", "a class below all classes")):
        if mask.any():
            ax.errorbar(
                x[mask],
                100 * data.accuracy[mask],
                yerr=100 * np.vstack([data.accuracy[mask] - data.low[mask], data.high[mask] - data.accuracy[mask]]),
                fmt="o",
                ms=4,
                color=color,
                elinewidth=1,
                capsize=2,
                label=label,
            )
    ax.axhline(100 * data.overall, color="black", lw=1, ls="--", label=f"all classes {100 * data.overall:.2f} %")
    ax.set_xticks(x, data.names, fontsize=8)
    ax.set_xlim(-0.7, len(x) - 0.3)
    ax.set_ylabel("test accuracy (%), 95 % interval")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, frameon=False)
    title = "Per-class test accuracy, each with its 95 % interval"
    if data.left_out:
        title += f"\n{len(data.left_out)} of {plural(len(names), 'class', 'classes')} left out: no test images"
    fig.suptitle(title, fontsize=11)
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
