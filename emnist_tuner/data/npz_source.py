"""``npz:PATH``: arrays saved with ``numpy.savez``: ``x_train``, ``y_train``, optionally ``x_test`` and
``y_test`` (both or neither) and ``class_names``.

Images: (N, H, W), or (N, H, W, 1) (the channel dropped); uint8 or any integer type with values in
0..255, bool (True is 255), or floats: 0..1 (scaled by 255, the way Keras' datasets are often
normalized) or 0..255, rounded. Labels: (N,) or (N, 1) integers. ``class_names`` (K strings): the labels
are then indexes into it (0..K-1); without it the label values, sorted, are the classes, named by
their values.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError, plural

KEYS = ("x_train", "y_train", "x_test", "y_test", "class_names")


def _images(path: Path, key: str, x: np.ndarray) -> np.ndarray:
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3:
        raise DataError(f"{path}: {key} has shape {x.shape}; expected (N, H, W) or (N, H, W, 1) images")
    if x.dtype == np.bool_:
        return np.where(x, 255, 0).astype(np.uint8)
    if x.dtype.kind == "f":
        if not np.isfinite(x).all():
            raise DataError(f"{path}: {key} holds NaN or infinite values")
        scale = 255.0 if x.size and x.max() <= 1.0 else 1.0
        x = np.round(x * scale)
    elif x.dtype.kind not in "iu":
        raise DataError(f"{path}: {key} is of type {x.dtype}; expected integers 0..255 or floats")
    if x.size and (x.min() < 0 or x.max() > 255):
        raise DataError(f"{path}: {key} holds values {x.min():g}..{x.max():g}, outside 0..255 (or 0..1 for floats)")
    return x.astype(np.uint8)


def _labels(path: Path, key: str, y: np.ndarray, count: int) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise DataError(f"{path}: {key} has shape {y.shape} of type {y.dtype}; expected (N,) integer labels")
    if len(y) != count:
        raise DataError(
            f"{path}: {key} holds {plural(len(y), 'label')} but x_{key[2:]} {plural(count, 'image')}; they must "
            "match one to one"
        )
    return y.astype(np.int64)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file (see the module docstring), checked: images uint8 (N, H, W), labels
    int64 as saved; ``class_names`` when given. DataError naming the key of a missing or bad array."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            found = {key: archive[key] for key in KEYS if key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path}: not a readable .npz file of arrays ({type(exc).__name__}: {exc})") from None
    missing = [key for key in ("x_train", "y_train") if key not in found]
    if ("x_test" in found) != ("y_test" in found):
        missing.append("y_test" if "x_test" in found else "x_test")
    if missing:
        raise DataError(
            f"{path}: no {' or '.join(missing)}; an .npz dataset holds x_train, y_train and optionally x_test, "
            "y_test and class_names"
        )
    out = {}
    for split in ("train", "test"):
        if f"x_{split}" in found:
            out[f"x_{split}"] = _images(path, f"x_{split}", found[f"x_{split}"])
            out[f"y_{split}"] = _labels(path, f"y_{split}", found[f"y_{split}"], len(out[f"x_{split}"]))
    if "x_test" in out and out["x_test"].shape[1:] != out["x_train"].shape[1:]:
        shapes = [f"{out[k].shape[1]}x{out[k].shape[2]}" for k in ("x_train", "x_test")]
        raise DataError(f"{path}: x_train's images are {shapes[0]} but x_test's {shapes[1]}; they must be one size")
    if "class_names" in found:
        names = found["class_names"]
        if names.ndim != 1 or names.dtype.kind not in "US" or len(set(names.tolist())) != len(names):
            raise DataError(
                f"{path}: class_names must be a 1-D array of distinct strings, got {names.dtype} {names.shape}"
            )
        out["class_names"] = names.astype(str)
    return out
