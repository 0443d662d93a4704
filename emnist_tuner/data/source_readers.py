"""The three readers of a user's source (``sources``): each gives (class names, x_train, y_train, x_test,
y_test, where the test split is from), labels 0..K-1 in the sorted order of their values."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from .csv_source import has_header, label_rows, read_csv, read_mapping
from .source_cache import reading_progress


def csv_shape(text: str | None, name: str) -> tuple[int, int] | None:
    """The images' (H, W) of a CSV's ``shape=HxW`` option (None: not given); ConfigError naming ``name``."""
    if text is None:
        return None
    try:
        height, width = (int(n) for n in text.lower().split("x"))
    except ValueError:
        height = width = 0
    if height < 1 or width < 1:
        raise ConfigError(f"--dataset {name}: shape={text}: give the images' height and width as HxW, e.g. 20x16")
    return height, width


def _classes(labels: list[np.ndarray]) -> tuple[np.ndarray, list[str]]:
    known = np.unique(np.concatenate(labels))
    return known, [str(v) for v in known]


def read_csv_source(spec, paths: dict[str, Path]):
    """A ``csv:`` source: (class names, x_train, y_train, x_test, y_test, test file) (see ``sources``)."""
    data, test, mapping_file = paths["data"], paths.get("test"), paths.get("mapping")
    transposed = spec.option("transposed") is not None or (
        spec.option("upright") is None and "emnist" in data.name.lower()
    )
    mapping = read_mapping(mapping_file) if mapping_file else None
    tables = [p for p in (data, test) if p]
    with reading_progress(f"reading {data.name}", sum(p.stat().st_size for p in tables), unit="bytes") as advance:
        read = [read_csv(p, csv_shape(spec.option("shape"), spec.canonical), transposed, advance) for p in tables]
    if len(read) == 2 and read[1][0].shape[1:] != read[0][0].shape[1:]:
        shapes = [f"{x.shape[1]}x{x.shape[2]}" for x, _ in read]
        raise DataError(f"{test}: its images are {shapes[1]}, those of {data} {shapes[0]}; they must be one size")
    if mapping is not None:
        known = np.asarray(sorted(mapping))
        for p, (_, labels) in zip(tables, read):
            label_rows(p, labels, known, has_header(p), mapping_file)
        names = [mapping[k] for k in known]
    else:
        known, names = _classes([labels for _, labels in read])
    indexed = [(x, np.searchsorted(known, y).astype(np.int64)) for x, y in read]
    x_test, y_test = indexed[1] if test else (None, None)
    return names, *indexed[0], x_test, y_test, str(test or "")


def read_folder_source(spec, paths: dict[str, Path]):
    """A ``folder:`` source, as ``read_csv_source``."""
    from .folder_source import count_images, layout, prepare, read_folders, ready_shape

    parts = layout(spec.path)
    names = [p.name for p in parts["train"]]
    total = count_images(parts)
    with reading_progress(f"reading {spec.path.name}", total) as advance_by:

        def advance(n: float = 1) -> None:  # each image counts half when read, half when prepared
            advance_by(n / 2)

        raw = {split: read_folders(spec.path, folders, names, advance) for split, folders in parts.items()}
        shape = ready_shape([image for images, _ in raw.values() for image in images])
        if shape is not None:
            advance(total)
        x = {split: prepare(images, shape, spec.canonical, advance) for split, (images, _) in raw.items()}
    test = "test" in parts
    return (
        names,
        x["train"],
        raw["train"][1],
        x["test"] if test else None,
        raw["test"][1] if test else None,
        str(spec.path / "test") if test else "",
    )


def read_npz_source(spec, paths: dict[str, Path]):
    """An ``npz:`` source, as ``read_csv_source``."""
    from .npz_source import read_npz

    arrays = read_npz(spec.path)
    labels = [arrays[k] for k in ("y_train", "y_test") if k in arrays]
    if "class_names" in arrays:
        count = len(arrays["class_names"])
        for key in ("y_train", "y_test"):
            bad = np.flatnonzero((arrays.get(key, np.zeros(0)) < 0) | (arrays.get(key, np.zeros(0)) >= count))
            if len(bad):
                raise DataError(
                    f"{spec.path}: {key}[{bad[0]}] is {arrays[key][bad[0]]}, outside 0..{count - 1} "
                    f"(the indexes of its {count} class_names)"
                )
        known, names = np.arange(count), [str(n) for n in arrays["class_names"]]
    else:
        known, names = _classes(labels)
    y = {k: np.searchsorted(known, arrays[k]).astype(np.int64) for k in ("y_train", "y_test") if k in arrays}
    has_test = "x_test" in arrays
    return (
        names,
        arrays["x_train"],
        y["y_train"],
        arrays.get("x_test"),
        y.get("y_test"),
        f"{spec.path} (x_test, y_test)" if has_test else "",
    )
