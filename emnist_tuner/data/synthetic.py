"""A small generated dataset of 28x28 glyphs, for tests and demos that need no files.

Ten classes of simple strokes (bars, diagonals, box, cross, ring, ...), each drawn at a
random offset and thickness with noise. Learnable in a few epochs, so tests can check
that training really learns. It is not handwriting: never report its accuracy as a result.
"""

from __future__ import annotations

import numpy as np

TRAIN_PER_CLASS = 60
TEST_PER_CLASS = 20


def _glyph(cls: int, rng: np.random.Generator) -> np.ndarray:
    img = np.zeros((28, 28), dtype=np.float32)
    dy, dx = rng.integers(-3, 4, size=2)
    t = int(rng.integers(2, 4))
    r = np.arange(6, 22)
    yy, xx = np.mgrid[0:28, 0:28]
    if cls == 0:
        img[13 : 13 + t, 6:22] = 1
    elif cls == 1:
        img[6:22, 13 : 13 + t] = 1
    elif cls == 2:
        for k in range(t):
            img[r, np.clip(r + k, 0, 27)] = 1
    elif cls == 3:
        for k in range(t):
            img[r, np.clip(27 - r - k, 0, 27)] = 1
    elif cls == 4:
        img[6:22, 6 : 6 + t] = img[6:22, 22 - t : 22] = img[6 : 6 + t, 6:22] = img[22 - t : 22, 6:22] = 1
    elif cls == 5:
        img[13 : 13 + t, 6:22] = img[6:22, 13 : 13 + t] = 1
    elif cls == 6:
        d = np.hypot(yy - 14, xx - 14)
        img[(d > 7) & (d < 7 + t)] = 1
    elif cls == 7:
        img[6:22, 7 : 7 + t] = img[22 - t : 22, 7:21] = 1
    elif cls == 8:
        img[6 : 6 + t, 6:22] = img[6:22, 13 : 13 + t] = 1
    else:
        img[8:12, 8:12] = img[16:20, 16:20] = img[8:12, 16:20] = 1
    img = np.roll(img, (dy, dx), axis=(0, 1))
    img = np.clip(img + rng.normal(0, 0.15, img.shape), 0, 1)
    return (img * 255).astype(np.uint8)


def synthetic_arrays(seed: int = 1234):
    """Return (x_train, y_train, x_test, y_test), uint8 images and int64 labels."""
    rng = np.random.default_rng(seed)

    def make(per_class):
        y = np.repeat(np.arange(10, dtype=np.int64), per_class)
        rng.shuffle(y)
        return np.stack([_glyph(int(c), rng) for c in y]), y

    x_tr, y_tr = make(TRAIN_PER_CLASS)
    x_te, y_te = make(TEST_PER_CLASS)
    return x_tr, y_tr, x_te, y_te
