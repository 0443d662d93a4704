"""The target of transfer: all its images, fitted to the backbone's canvas, in K folds.

Binary AlphaDigits (the default target): its 1,404 images are 20 pixels tall and 16 wide, 0/1. MNIST's
digits were size-normalized into a 20x20 box and centred on a 28x28 canvas, so by default (``size`` 20) a
glyph keeps its 20-pixel height, is scaled to 0..255 and centred on the backbone's canvas: the strokes
sit where the backbone learned to look. ``size`` scales the glyph (bilinear, aspect kept) to that height
first; the study instead upsampled to 64x64 because its models took 64x64 inputs, while ours take the
28x28 images they were trained on.

Any other target (``transfer --to DATASET``: a built-in dataset, an EMNIST split, a user's source): every
image it has, its training, validation and test splits together, since the K folds are the evaluation
(each image is held out once); images that already have the backbone's input shape are used as they
are, others are fitted to the canvas as Binary AlphaDigits' are. The one-sixth selection fold is Binary
AlphaDigits' own (the default recipes were chosen there): another target has none, all its images are
in the reported folds.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError, plural
from ..runfolder.layout import DEFAULT_TARGET

GLYPH_SHAPE = (20, 16)


def load_alphadigits(data_dir=None, download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """All Binary AlphaDigits images (1404, 20, 16) as 0/1 uint8 and their labels 0..35
    (no held-out split: the folds are the evaluation)."""
    from ..data.datasets import get_info
    from ..data.files import locate_all
    from ..data.idx import read_alphadigits

    info = get_info("binary-alphadigits")
    files = locate_all(info.files, data_dir=data_dir, download=download)
    return read_alphadigits(files[info.files[0].name])


def load_target(name: str, data_dir=None, download: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Every image of target dataset ``name`` (N, h, w) as uint8 0..255 and its labels: Binary
    AlphaDigits' in its file's order (0/1 scaled to 0/255); another dataset's training, validation and
    test splits together (the validation split carved with seed 0: the same images in the same order
    every time)."""
    if name == DEFAULT_TARGET:
        images, labels = load_alphadigits(data_dir, download)
        return images * np.uint8(255), labels
    from ..data.datasets import load_dataset

    data = load_dataset(name, data_dir=data_dir, download=download, seed=SPLIT_SEED)
    images = np.concatenate([data.x_train, data.x_val, data.x_test])
    return images, np.concatenate([data.y_train, data.y_val, data.y_test]).astype(np.int64)


def on_canvas(images: np.ndarray, canvas: tuple[int, int], size: int) -> np.ndarray:
    """The target's images as the backbone reads them: as they are when they already have its input
    shape, else fitted to ``canvas`` (``fit_to_canvas``)."""
    if tuple(images.shape[1:]) == tuple(canvas):
        return images
    return fit_to_canvas(images, canvas, size)


def check_folds(labels: np.ndarray, k: int, target: str, class_names) -> None:
    """ConfigError (exit 2) unless every class of the target that has images has at least ``k`` of them
    (each fold holds out at least one image of each)."""
    counts = np.bincount(labels, minlength=len(class_names))
    present = np.flatnonzero(counts)
    smallest = present[np.argmin(counts[present])]
    fewest = int(counts[smallest])
    if fewest < k:
        what = f"give --folds {fewest} or fewer, or" if fewest >= 2 else "give"
        raise ConfigError(
            f"--to {target}: its class {class_names[smallest]!r} has only {plural(fewest, 'image')}, fewer than "
            f"--folds {k} (each fold holds out one image of every class); {what} a target with at least "
            f"{plural(k, 'image')} in every class"
        )


def check_size(size: int, canvas: tuple[int, int], glyph: tuple[int, int] = GLYPH_SHAPE) -> int:
    """ConfigError unless a ``glyph``-shaped image scaled to ``size`` pixels tall fits on ``canvas``;
    returns the scaled width."""
    height, width = glyph
    new_w = max(1, round(width * size / height))
    if size < 4 or size > canvas[0] or new_w > canvas[1]:
        raise ConfigError(
            f"--size must be between 4 and {min(canvas[0], canvas[1] * height // width)} for the "
            f"backbone's {canvas[0]}x{canvas[1]} input, got {size}"
        )
    return new_w


def fit_to_canvas(images: np.ndarray, canvas: tuple[int, int], size: int = 20) -> np.ndarray:
    """uint8 0..255 glyphs (N, h, w) scaled to ``size`` pixels tall (aspect kept) and centred on a zero
    ``canvas``, as uint8 0..255."""
    from scipy.ndimage import zoom

    height, width = images.shape[1:]
    new_w = check_size(size, canvas, (height, width))
    glyphs = images.astype(np.float32) / np.float32(255)
    if (size, new_w) != (height, width):
        glyphs = zoom(glyphs, (1, size / height, new_w / width), order=1, grid_mode=True, mode="nearest")
    glyphs = np.clip(glyphs, 0.0, 1.0)
    top, left = (canvas[0] - glyphs.shape[1]) // 2, (canvas[1] - glyphs.shape[2]) // 2
    out = np.zeros((len(images), *canvas), dtype=np.uint8)
    out[:, top : top + glyphs.shape[1], left : left + glyphs.shape[2]] = np.round(glyphs * 255).astype(np.uint8)
    return out


def stratified_folds(labels: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """K disjoint folds of indices covering every image once; each class spread evenly over the
    folds (counts differ by at most one). Deterministic for a given seed."""
    counts = np.bincount(labels)
    if k < 2 or k > counts[counts > 0].min():
        raise ConfigError(
            f"--folds must be between 2 and {counts[counts > 0].min()} (the smallest class's size), got {k}"
        )
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    offset = 0
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        rng.shuffle(idx)
        for j, i in enumerate(idx):
            folds[(j + offset) % k].append(int(i))
        offset += len(idx)  # classes whose size is not a multiple of k fill the folds in turn
    return [np.sort(np.asarray(f, dtype=np.int64)) for f in folds]


SPLIT_SEED = 0  # the folds never change with --seed: only the trainings do
SELECTION_SHARE = 6  # one sixth of the images: the selection fold


def selection_fold(labels: np.ndarray) -> np.ndarray:
    """The images the transfer recipes were chosen on (``bench/transfer_recipes.py``): one of six
    stratified folds, fixed. No reported fold ever holds one of them."""
    return stratified_folds(labels, SELECTION_SHARE, SPLIT_SEED)[0]


def transfer_folds(labels: np.ndarray, k: int, target: str = DEFAULT_TARGET) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the selection fold, the ``k`` reported folds): stratified folds of the other images, each
    held out once; a reported fold trains on every other image, the selection fold's included. A target
    other than Binary AlphaDigits has no selection fold (empty): its K folds cover all its images."""
    if target != DEFAULT_TARGET:
        return np.zeros(0, dtype=np.int64), stratified_folds(labels, k, SPLIT_SEED)
    selection = selection_fold(labels)
    rest = np.setdiff1d(np.arange(len(labels)), selection)
    return selection, [np.sort(rest[fold]) for fold in stratified_folds(labels[rest], k, SPLIT_SEED)]
