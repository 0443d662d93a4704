"""``folder:PATH``: a user's images, one sub-folder per class (the sub-folder's name is the class name).

Any image Pillow reads (PNG, JPEG, BMP, GIF, TIFF, WebP, ...); files whose names start with a dot are
skipped, and so are files directly in PATH. ``PATH/train/`` and ``PATH/test/`` (and nothing else), each
holding the class folders, give the dataset its own test split.

Each image is prepared by ``predict``'s function (``glyphs.to_dataset_format``, the MNIST recipe: 28x28,
white ink on black). A folder whose images are all already in a dataset's format is taken as it is:
8-bit grayscale, every image the same size, that size one the models read (28x28, or Binary AlphaDigits'
20x16), and dark background (the median of all their pixels at most 127): the images of a dataset
written out as PNGs come back as the same arrays.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError
from .glyphs import STYLE_SHAPES, style_of, to_dataset_format

SPLITS = ("train", "test")
SKIPPED = ("thumbs.db", "desktop.ini")


def class_folders(root: Path) -> list[Path]:
    """The class sub-folders of ``root``, sorted by name; DataError for fewer than two or an empty one."""
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(folders) < 2:
        found = f"only one, {folders[0].name}" if folders else "none"
        raise DataError(
            f"{root}: a dataset folder needs two or more class sub-folders (one per class, named by the class), "
            f"found {found}"
        )
    for folder in folders:
        if not _has_a_file(folder):
            raise DataError(f"{folder}: an empty class folder (no image in it); add its images or remove it")
    return folders


def _has_a_file(folder: Path) -> bool:
    for _top, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        if any(not name.startswith(".") and name.lower() not in SKIPPED for name in files):
            return True
    return False


def image_files(folder: Path) -> list[Path]:
    """The files of one class folder (any depth below it), sorted; hidden files and system files skipped."""
    found = []
    for top, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [
            os.path.join(top, name)
            for name in files
            if not name.startswith(".") and name.lower() not in SKIPPED and os.path.isfile(os.path.join(top, name))
        ]
    return [Path(name) for name in sorted(found)]


def layout(root: Path) -> dict[str, list[Path]]:
    """``{"train": class folders, "test": class folders}`` for PATH/train + PATH/test, else ``{"train": …}``.
    DataError for a test class that the training images do not have."""
    subs = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    if subs == set(SPLITS):
        parts = {split: class_folders(root / split) for split in SPLITS}
        names = [p.name for p in parts["train"]]
        for folder in parts["test"]:
            if folder.name not in names:
                raise DataError(f"{folder}: class {folder.name!r} has test images but no folder in {root / 'train'}")
        return parts
    return {"train": class_folders(root)}


def _read(path: Path) -> np.ndarray:
    """An image's pixels as Pillow gives them (mode L, 1, I;16, RGB, RGBA, ...)."""
    from .images import _read_image

    try:
        return _read_image(path)
    except DataError as exc:
        raise DataError(f"{exc}; remove it from the class folder or replace it with a readable image") from None


def read_folders(root: Path, folders: list[Path], names: list[str], advance) -> tuple[list, np.ndarray]:
    """The raw pixels of every image in ``folders`` (class ``names.index(folder.name)``) and their labels."""
    images, labels = [], []
    for folder in folders:
        label = names.index(folder.name)
        for path in image_files(folder):
            images.append((path, _read(path)))
            labels.append(label)
            advance(1)
    return images, np.asarray(labels, dtype=np.int64)


def ready_shape(images: list) -> tuple[int, int] | None:
    """The shape every image already has when the folder is in a dataset's format (see the module
    docstring), else None (every image goes through the glyph function)."""
    shapes = {pixels.shape for _, pixels in images}
    if len(shapes) != 1:
        return None
    shape = next(iter(shapes))
    if len(shape) != 2 or shape not in STYLE_SHAPES.values():
        return None
    if any(pixels.dtype not in (np.uint8, np.bool_) for _, pixels in images):
        return None
    stack = np.stack([pixels for _, pixels in images]).astype(np.uint8) * np.uint8(1)
    return shape if float(np.median(stack)) <= 127 else None


def prepare(images: list, shape: tuple[int, int] | None, spec: str, advance) -> np.ndarray:
    """(N, H, W) uint8: the images as they are (``shape`` given: already in a dataset's format) or each
    through ``to_dataset_format``; DataError naming the file of an image that has no character in it."""
    if shape is not None:
        return np.stack([np.where(p, 255, 0).astype(np.uint8) if p.dtype == np.bool_ else p for _, p in images])
    style = style_of(spec)
    out = np.empty((len(images), *STYLE_SHAPES[style]), dtype=np.uint8)
    for i, (path, pixels) in enumerate(images):
        try:
            out[i] = to_dataset_format(pixels, style)
        except DataError as exc:
            raise DataError(f"{path}: {exc}") from None
        advance(1)
    return out


def count_images(parts: dict[str, list[Path]]) -> int:
    """How many image files the folder's splits hold."""
    return sum(len(image_files(folder)) for folders in parts.values() for folder in folders)
