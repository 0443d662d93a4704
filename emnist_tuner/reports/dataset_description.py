"""`emnist-tuner data --dataset NAME`: one dataset described: its classes with their image counts, the
image shape, where its test split comes from and, for a user's source, its cache entry."""

from __future__ import annotations

import time

import numpy as np
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..errors import plural


def describe_dataset(name: str, data_dir=None, download: bool = False) -> Group:
    """The description of dataset ``name`` (a built-in name or a source spec); reading a source the
    first time caches it, which the last line says."""
    from ..data import sources
    from ..data.datasets import get_info, load_dataset

    facts: list[tuple[str, str]] = []
    started = time.perf_counter()
    if sources.is_source(name):
        entry = sources.cache_entry(name)
        was_cached = entry.is_file()
        source = sources.load_source(name)
        x_all, y_all, _, y_test = source.arrays()
        info = get_info(name)
        split = source.test_split()
        if split["origin"] == "own":
            test = f"its own: {split['from']}"
        else:
            test = (
                f"none of its own: {split['fraction']:.0%} of each class held out (stratified, seed {split['seed']}), "
                "never used for selection"
            )
        seconds = time.perf_counter() - started
        cache = f"{entry} ({'read from it' if was_cached else f'read from the files in {seconds:.1f} s and written'})"
        if source.spec.scheme not in sources.CACHED:
            cache = f"none: an .npz is read directly ({seconds:.1f} s)"
        facts += [("files", plural(len(source.content.entries), "file")), ("content sha256", source.content.sha256)]
    else:
        info = get_info(name)
        data = load_dataset(name, data_dir=data_dir, download=download)
        x_all, y_all = data.train_and_val()
        y_test = data.y_test
        test = info.note or "its own test files"
        cache = ""
    facts = [
        ("dataset", info.name),
        ("images", f"{x_all.shape[1]}x{x_all.shape[2]}, uint8 0..255"),
        ("classes", str(info.num_classes)),
        ("train + validation", f"{len(y_all):,} (validation carved from it per run: --seed, 10 %)"),
        ("test", f"{len(y_test):,}; {test}"),
        *facts,
    ]
    if cache:
        facts.append(("cache", cache))
    summary = Table(show_header=False, box=None)
    summary.add_column(style="bold")
    summary.add_column(overflow="fold")
    for key, value in facts:
        summary.add_row(key, value)
    return Group(summary, Text(""), class_table(info.class_names, y_all, y_test))


def class_table(names, y_all: np.ndarray, y_test: np.ndarray) -> Table:
    """One row per class: its label, name, training (and validation) and test images."""
    table = Table(title="Classes")
    for column in ("label", "class", "train + val", "test"):
        table.add_column(column, justify="left" if column == "class" else "right")
    train = np.bincount(y_all, minlength=len(names))
    test = np.bincount(y_test, minlength=len(names))
    for label, class_name in enumerate(names):
        table.add_row(str(label), class_name, f"{train[label]:,}", f"{test[label]:,}")
    return table
