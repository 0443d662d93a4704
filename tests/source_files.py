"""Tiny user sources for tests: the synthetic glyphs written as a CSV (with a mapping), a class folder of
PNGs and an ``.npz``, each with its own test split or without."""

from __future__ import annotations

from pathlib import Path

import numpy as np

LETTERS = "ABCDEFGHIJ"


def glyphs(per_class: int = 12, test_per_class: int = 4):
    """(x_train, y_train, x_test, y_test): the synthetic dataset's first images of each class, labels 0..9."""
    from emnist_tuner.data.synthetic import synthetic_arrays

    x, y, xt, yt = synthetic_arrays()
    keep = np.concatenate([np.flatnonzero(y == c)[:per_class] for c in range(10)])
    keep_test = np.concatenate([np.flatnonzero(yt == c)[:test_per_class] for c in range(10)])
    return x[keep], y[keep], xt[keep_test], yt[keep_test]


def write_csv(path: Path, x: np.ndarray, y: np.ndarray, transposed: bool = False, offset: int = 1) -> Path:
    """One row per image: label + ``offset``, then the pixels (column by column when ``transposed``)."""
    stored = x.transpose(0, 2, 1) if transposed else x
    rows = np.concatenate([(y + offset)[:, None], stored.reshape(len(x), -1)], axis=1)
    path.write_text("".join(",".join(map(str, row)) + "\n" for row in rows))
    return path


def write_mapping(path: Path, classes: int = 10, offset: int = 1) -> Path:
    """An EMNIST-style mapping: label, upper-case code, lower-case code (labels ``offset``.. named A..)."""
    path.write_text("".join(f"{i + offset} {65 + i} {97 + i}\n" for i in range(classes)))
    return path


def csv_source(folder: Path, with_test: bool = True, **sizes) -> Path:
    """``emnist-glyphs-train.csv`` (stored transposed, as NIST's), its mapping and test file: the spec's path."""
    x, y, xt, yt = glyphs(**sizes)
    write_mapping(folder / "emnist-glyphs-mapping.txt")
    if with_test:
        write_csv(folder / "emnist-glyphs-test.csv", xt, yt, transposed=True)
    return write_csv(folder / "emnist-glyphs-train.csv", x, y, transposed=True)


def write_pngs(folder: Path, x: np.ndarray, y: np.ndarray, names=LETTERS) -> None:
    """Each image as ``folder/<class name>/<index>.png``."""
    from PIL import Image

    for i, (image, label) in enumerate(zip(x, y)):
        (folder / names[label]).mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(folder / names[label] / f"{i:04d}.png")


def folder_source(folder: Path, with_test: bool = False, **sizes) -> Path:
    """A class folder of PNGs (28x28, white on black: taken as they are), with train/ and test/ or not."""
    x, y, xt, yt = glyphs(**sizes)
    if with_test:
        write_pngs(folder / "train", x, y)
        write_pngs(folder / "test", xt, yt)
    else:
        write_pngs(folder, x, y)
    return folder


def npz_source(path: Path, with_test: bool = True, **sizes) -> Path:
    """x_train, y_train (and x_test, y_test), class_names A..J."""
    x, y, xt, yt = glyphs(**sizes)
    arrays = {"x_train": x, "y_train": y, "class_names": np.asarray(list(LETTERS))}
    if with_test:
        arrays.update(x_test=xt, y_test=yt)
    np.savez(path, **arrays)
    return path
