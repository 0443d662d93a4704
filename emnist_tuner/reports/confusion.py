"""The confusion matrix of a run's test predictions: computed once, cached in RUN/confusion.json,
and shown as a per-class accuracy table, a terminal heatmap and the most-confused pairs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from rich.console import Console, ConsoleOptions, Group, JustifyMethod, RenderResult
from rich.table import Table

from ..errors import EmnistTunerError, plural
from ..io import read_json_object, write_json_atomic
from ..runfolder.layout import PREDICTIONS, TrainingFolder
from ..runfolder.origin import data_dirs

# Background shades for off-diagonal counts, lightest (few errors) to strongest (many).
SHADES = ("on grey23", "on dark_orange3", "on red3", "on bright_red")
DIAGONAL = "on dark_green"


class ConfusionUnavailable(Exception):
    """The confusion matrix cannot be built (no predictions, or the test labels cannot be loaded)."""


def confusion_matrix(labels, predictions, num_classes: int) -> np.ndarray:
    """Rows are true classes, columns predicted classes."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, dtype=np.int64), np.asarray(predictions, dtype=np.int64)), 1)
    return matrix


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_test_split(run_path: Path | str, config: dict, data_dir=None):
    """The test split of the run's dataset (``config`` as saved, its dataset known), looked for where the run's data is
    (``runfolder.origin.data_dirs``); the data layer's errors go through to the caller."""
    from ..data.datasets import load_dataset

    return load_dataset(
        config["dataset"],
        data_dir=data_dirs(run_path, data_dir, config.get("data_dir")),
        val_fraction=config.get("val_fraction", 0.1),
        seed=config.get("seed", 0),
        test_only=True,
    )


def load_confusion(
    run_path: Path | str, config: dict, data_dir=None, cache: bool = True
) -> tuple[np.ndarray, list[str]]:
    """The run's confusion matrix and class names, from RUN/confusion.json when it matches the
    predictions file, else computed from the dataset's test labels and cached (the only write; none
    when ``cache`` is false)."""
    folder = TrainingFolder(run_path)
    predictions_file = folder.predictions_file
    if not predictions_file.is_file():
        raise ConfusionUnavailable(f"no {PREDICTIONS} in the run (no test predictions saved yet)")
    digest = _digest(predictions_file)
    cached = read_json_object(folder.confusion_file)
    if cached and cached.get("predictions_sha256") == digest and cached.get("matrix"):
        return np.asarray(cached["matrix"], dtype=np.int64), list(cached["class_names"])
    from ..data.datasets import get_info

    name = config.get("dataset")
    try:
        class_names = list(get_info(str(name)).class_names)
    except EmnistTunerError as exc:  # an unknown name, or a user's source no longer where it was
        raise ConfusionUnavailable(f"the dataset {name!r} in config.json: {exc}") from None
    try:
        labels = run_test_split(run_path, config, data_dir).y_test
    except (EmnistTunerError, OSError) as exc:  # missing, unreadable or damaged data files: one line
        raise ConfusionUnavailable(
            f"test labels of {name} could not be loaded ({exc}); pass --data-dir to show per-class accuracy"
        ) from None
    predictions = np.load(predictions_file, allow_pickle=False)
    if len(predictions) != len(labels):
        raise ConfusionUnavailable(
            f"{PREDICTIONS} has {plural(len(predictions), 'prediction')} but the {name} test split has "
            f"{plural(len(labels), 'image')}"
        )
    matrix = confusion_matrix(labels, predictions, len(class_names))
    if not cache:
        return matrix, class_names
    try:
        write_json_atomic(
            folder.confusion_file,
            {"dataset": name, "class_names": class_names, "predictions_sha256": digest, "matrix": matrix.tolist()},
        )
    except OSError:
        pass  # a read-only run folder: recompute next time
    return matrix, class_names


def most_confused(matrix: np.ndarray, names: list[str], top: int = 5) -> list[tuple[str, str, int]]:
    """(true, predicted, count) of the largest off-diagonal cells, largest first."""
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    order = sorted(((int(off[i, j]), i, j) for i, j in zip(*np.nonzero(off))), key=lambda t: (-t[0], t[1], t[2]))
    return [(names[i], names[j], count) for count, i, j in order[:top]]


def per_class_table(matrix: np.ndarray, names: list[str]) -> Table | Group:
    """Accuracy per true class, with the class it is most often mistaken for; classes with no test image
    are left out (the caption says which). With more than 12 classes the rows are laid out in two halves
    side by side to stay compact."""
    totals = matrix.sum(axis=1)
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    rows = []
    for i, name in enumerate(names):
        if not totals[i]:
            continue
        acc = f"{100 * matrix[i, i] / totals[i]:.2f}"
        j = int(off[i].argmax())
        worst = f"{names[j]} ({off[i, j]})" if off[i, j] else ""
        rows.append([name, str(int(totals[i])), acc, worst])
    halves = 2 if len(names) > 12 else 1
    table = Table(title="Per-class test accuracy", title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("class", "left"),
        ("images", "right"),
        ("acc %", "right"),
        ("mostly as", "left"),
    )
    for _ in range(halves):
        for title, justify in columns:
            table.add_column(title, justify=justify, no_wrap=True)
    per_col = -(-len(rows) // halves)
    for r in range(per_col):
        cells = []
        for h in range(halves):
            k = h * per_col + r
            cells += rows[k] if k < len(rows) else ["", "", "", ""]
        table.add_row(*cells)
    absent = [name for name, total in zip(names, totals) if not total]
    if absent:  # a line of its own below the table (a caption would wrap at the table's width)
        return Group(
            table, f"{plural(len(absent), 'class', 'classes')} with no test images left out: {', '.join(absent)}"
        )
    return table


class ConfusionHeatmap:
    """A confusion matrix as a table of counts with shaded backgrounds, sized at render time: the
    diagonal (correct) counts are hidden and large counts capped when the full matrix would not fit."""

    def __init__(self, matrix: np.ndarray, names: list[str]):
        # a class neither in the test split nor predicted would be an empty row and column: left out
        keep = [i for i in range(len(names)) if matrix[i].any() or matrix[:, i].any()]
        self.left_out = len(names) - len(keep)
        self.matrix = matrix[np.ix_(keep, keep)]
        self.names = [names[i] for i in keep]

    def _table(self, max_width: int) -> Table:
        m, names, n = self.matrix, self.names, len(self.names)
        off = m.copy()
        np.fill_diagonal(off, 0)
        label_w = max(len(s) for s in names)
        show_diag = label_w + 1 + n * (max(label_w, len(str(m.max()))) + 1) <= max_width
        width = max(label_w, len(str(m.max() if show_diag else max(off.max(), 1))))
        fit = max(1, (max_width - label_w - 1) // n - 1)
        width = min(width, max(fit, label_w))
        cap = 10**width - 1
        peak = max(int(off.max()), 1)
        table = Table(
            box=None,
            padding=(0, 1, 0, 0),
            pad_edge=False,
            show_edge=False,
            title="Confusion (rows: true class, columns: predicted)",
            title_justify="left",
        )
        table.add_column("", justify="right", no_wrap=True, style="bold")
        for name in names:
            table.add_column(name, justify="right", no_wrap=True, min_width=width)
        for i in range(n):
            cells = [names[i]]
            for j in range(n):
                count = int(m[i, j])
                if i == j:
                    text = str(count) if show_diag else "·"
                    cells.append(f"[{DIAGONAL}]{text}[/]")
                elif count == 0:
                    cells.append("")
                else:
                    text = str(count) if count <= cap else "+" * width
                    shade = SHADES[min(len(SHADES) - 1, int(len(SHADES) * count / (peak + 1)))]
                    cells.append(f"[{shade}]{text}[/]")
            table.add_row(*cells)
        notes = []
        if not show_diag:
            notes.append("· = correct (see the per-class table)")
        if int(off.max()) > cap:
            notes.append(f"{'+' * width} = more than {cap}")
        if self.left_out:
            notes.append(f"{plural(self.left_out, 'class', 'classes')} with no test images nor predictions left out")
        if notes:
            table.caption, table.caption_justify = "; ".join(notes), "left"
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._table(options.max_width) if self.names else "Confusion: no test images"


def pairs_text(pairs: list[tuple[str, str, int]]) -> str:
    if not pairs:
        return "Most confused: none (every test image classified correctly)"
    return "Most confused, true → predicted (test images): " + ", ".join(f"{t} → {p} ({c})" for t, p, c in pairs)
