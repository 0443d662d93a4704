"""The numbers behind the accuracy figures (per class, the confusion matrix, runs side by side): each
accuracy with its 95 % Wilson interval, the classes left out because the test set has none of them,
and how a confusion cell is labelled. Accuracies are drawn as dots with intervals, never as bars on a
cut axis (a bar's length would exaggerate small differences)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..io import read_json_object
from ..runfolder.layout import RunFolder

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95 % interval


def wilson(correct: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``correct / n`` (n > 0)."""
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class PerClass:
    names: list[str]  # the classes the test set has, in class order
    accuracy: np.ndarray
    low: np.ndarray  # 95 % Wilson interval
    high: np.ndarray
    images: np.ndarray  # test images of each class
    overall: float
    left_out: list[str]  # classes with no test image (not drawn)


def per_class(matrix: np.ndarray, names: list[str]) -> PerClass:
    """Each class's test accuracy with its interval, over the classes that have test images."""
    totals = matrix.sum(axis=1)
    kept = [i for i in range(len(names)) if totals[i] > 0]
    correct = np.diag(matrix)
    intervals = [wilson(float(correct[i]), int(totals[i])) for i in kept]
    return PerClass(
        [names[i] for i in kept],
        np.array([correct[i] / totals[i] for i in kept], dtype=float),
        np.array([lo for lo, _ in intervals], dtype=float),
        np.array([hi for _, hi in intervals], dtype=float),
        totals[kept].astype(int),
        float(np.trace(matrix) / max(1, matrix.sum())),
        [names[i] for i in range(len(names)) if totals[i] == 0],
    )


def shown_classes(matrix: np.ndarray) -> tuple[list[int], list[int]]:
    """The confusion matrix's rows and columns worth drawing: a row for each class with test images, a
    column for each class with test images or predictions (a class the test set lacks but the model
    predicted keeps its column: those are errors)."""
    rows = [i for i in range(len(matrix)) if matrix[i].sum() > 0]
    columns = [i for i in range(len(matrix)) if matrix[i].sum() > 0 or matrix[:, i].sum() > 0]
    return rows, columns


def count_label(count: int) -> str:
    """A cell's count in at most four characters: 7, 123, 1234, 12k, 120k."""
    if count < 10_000:
        return str(count)
    if count < 1_000_000:
        return f"{count // 1000}k"
    return f"{count // 1_000_000}M"


def text_colour(rgba) -> str:
    """Black or white, whichever reads better on a cell of colour ``rgba`` (relative luminance)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(float(c)) for c in rgba[:3])
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "black" if luminance > 0.179 else "white"


def _test_images(run_path: str, kind: str) -> int | None:
    run = RunFolder(run_path)
    record = read_json_object(run.metrics_file if kind == "train" else run.final_file) or {}
    images = record.get("test_images")
    return int(images) if isinstance(images, (int, float)) and images > 0 else None


def compare_points(summaries: list[dict]) -> list[dict]:
    """Per run: best validation accuracy, held-out test accuracy and, where the run recorded how many
    test images it had, the test accuracy's 95 % Wilson interval (None otherwise)."""
    points = []
    for s in summaries:
        test, n = s.get("test_accuracy"), None
        if test is not None and s.get("kind") in ("search", "train") and s.get("run"):
            n = _test_images(s["run"], s["kind"])
        points.append(
            {
                "name": s["name"],
                "best_val": s.get("best_val"),
                "test_accuracy": test,
                "test_images": n,
                "interval": wilson(round(test * n), n) if test is not None and n else None,
            }
        )
    return points
