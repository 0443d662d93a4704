"""Binary AlphaDigits for transfer: all 1,404 images, fitted to the backbone's canvas, in K folds.

The images are 20 pixels tall and 16 wide, 0/1. MNIST's digits were size-normalized into a
20x20 box and centred on a 28x28 canvas, so by default (``size`` 20) a glyph keeps its 20-pixel
height, is scaled to 0..255 and centred on the backbone's canvas: the strokes sit where the
backbone learned to look. ``size`` scales the glyph (bilinear, aspect kept) to that height first;
the study instead upsampled to 64x64 because its models took 64x64 inputs, while ours take the
28x28 images they were trained on.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

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
    """0/1 glyphs (N, h, w) scaled to ``size`` pixels tall (aspect kept) and centred on a zero
    ``canvas``, as uint8 0..255."""
    from scipy.ndimage import zoom

    height, width = images.shape[1:]
    new_w = check_size(size, canvas, (height, width))
    glyphs = images.astype(np.float32)
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


def transfer_folds(labels: np.ndarray, k: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the selection fold, the ``k`` reported folds): stratified folds of the other images, each
    held out once; a reported fold trains on every other image, the selection fold's included."""
    selection = selection_fold(labels)
    rest = np.setdiff1d(np.arange(len(labels)), selection)
    return selection, [np.sort(rest[fold]) for fold in stratified_folds(labels[rest], k, SPLIT_SEED)]
