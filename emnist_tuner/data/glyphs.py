"""A user's image of one handwritten character, brought into the format the model was trained on.

The training images are white ink on black, uint8, and were prepared one of three ways:

- MNIST (``style="mnist"``): the character's bounding box scaled (aspect kept, anti-aliased) to fit a
  20x20 box, then placed on the 28x28 canvas so that its centre of mass is the canvas centre;
- EMNIST (``style="emnist"``, as Cohen et al. 2017 prepared NIST's scans): a Gaussian blur (sigma 1), the
  bounding box centred in a square frame (aspect kept), a 2-pixel border, bicubic downsampling to 28x28;
- Binary AlphaDigits (``style="alphadigits"``): 20x16 binary images whose character fills the frame
  (stretched, aspect not kept): the bounding box resized to 20x16, then ink where it is over half the peak.

A user's own source (``csv:``, ``folder:``, ``npz:``) is prepared MNIST-like (``style="mnist"``) on a
canvas of its own image size, the box scaled with it (20x20 on 28x28): the folder loader prepares each
image with ``to_dataset_format(image, style_of(spec))`` (28x28), and ``predict`` does the same; a source
of 20x16 images (Binary AlphaDigits' own size, e.g. its images written out as PNGs) as Binary AlphaDigits.

``to_dataset_format`` does the same to any image: grayscale (alpha composited onto white), values to
0..255 whatever the bit depth, dark ink on a light background inverted (``invert="auto"`` decides per
image from its border), the background level removed, the ink's bounding box cropped, then the
dataset's own recipe. Images already in a dataset's format (28x28 arrays from IDX or .npy files) are
not passed through it.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

CANVAS = 28
MNIST_BOX = 20
EMNIST_BORDER = 2
INVERT = ("auto", "yes", "no")
# per style: the image shape the model reads, and what is done to a user's image (the export's model card)
STYLE_SHAPES = {"mnist": (CANVAS, CANVAS), "emnist": (CANVAS, CANVAS), "alphadigits": (20, 16)}
STYLE_RECIPES = {
    "mnist": "the ink's bounding box scaled (aspect kept) into a 20x20 box and centred by centre of mass on a "
    "28x28 black canvas",
    "emnist": "the ink's bounding box blurred (Gaussian, sigma 1), centred in a square, a 2-pixel border added, "
    "resized (bicubic) to 28x28",
    "alphadigits": "the ink's bounding box stretched to 20x16 (aspect not kept, as the dataset's characters fill "
    "their frame), then binary: 255 where over half the peak, else 0",
}


def style_of(dataset: str, shape: tuple[int, int] | None = None) -> str:
    """How ``dataset``'s training images were prepared: a key of ``STYLE_SHAPES`` (every EMNIST split:
    emnist; Binary AlphaDigits: alphadigits; MNIST, synthetic and a user's source spec: mnist, but a
    source of ``shape`` 20x16, Binary AlphaDigits' size: alphadigits)."""
    if dataset.startswith("emnist"):
        return "emnist"
    if dataset == "binary-alphadigits" or (":" in dataset and shape is not None and tuple(shape) == (20, 16)):
        return "alphadigits"
    return "mnist"


def style_recipe(style: str, shape: tuple[int, int] | None = None) -> str:
    """What ``to_dataset_format`` does in ``style`` onto a ``shape`` canvas (the export's model card)."""
    if style != "mnist" or shape is None or tuple(shape) == STYLE_SHAPES["mnist"]:
        return STYLE_RECIPES[style]
    box = _box_side(shape)
    return (
        f"the ink's bounding box scaled (aspect kept) into a {box}x{box} box and centred by centre of mass on a "
        f"{shape[0]}x{shape[1]} black canvas"
    )


def _box_side(canvas: tuple[int, int]) -> int:
    """The side of the box a glyph is scaled into on ``canvas`` (MNIST: 20 on 28x28)."""
    return max(1, round(MNIST_BOX * min(canvas) / CANVAS))


def grayscale(image: np.ndarray) -> np.ndarray:
    """(H, W), (H, W, 1|2|3|4) of any integer or float dtype -> float (H, W) in 0..255; alpha is
    composited onto white (a transparent background is paper)."""
    image = np.asarray(image)
    if image.dtype == np.uint16 or (image.dtype.kind in "iu" and image.max(initial=0) > 255):
        values = image.astype(np.float64) / 257.0
    elif image.dtype.kind == "f":
        values = image.astype(np.float64) * (255.0 if image.max(initial=0) <= 1.0 else 1.0)
    elif image.dtype == bool:
        values = image.astype(np.float64) * 255.0
    else:
        values = image.astype(np.float64)
    if values.ndim == 3 and values.shape[2] not in (1, 2, 3, 4):
        raise DataError(f"an image must be 2-D (height x width) or have 1-4 channels, got shape {image.shape}")
    if values.ndim == 3:
        alpha = None
        if values.shape[2] in (2, 4):
            alpha, values = values[..., -1:] / 255.0, values[..., :-1]
        gray = values[..., 0] if values.shape[2] == 1 else values[..., :3] @ np.array([0.299, 0.587, 0.114])
        if alpha is not None:
            gray = gray * alpha[..., 0] + 255.0 * (1.0 - alpha[..., 0])
        values = gray
    if values.ndim != 2:
        raise DataError(f"an image must be 2-D (height x width) or have 1-4 channels, got shape {image.shape}")
    return np.clip(values, 0.0, 255.0)


def ink_on_black(gray: np.ndarray, invert: str = "auto") -> np.ndarray:
    """White ink on black with the background at 0: inverted if the background is light (``auto``: the
    image's median decides, since a character covers less than half of its picture; a frame or a shadow
    at the border does not), then the background level subtracted."""
    if invert == "yes" or (invert == "auto" and np.median(gray) > 127.5):
        gray = 255.0 - gray
    background = float(np.median(gray))
    ink = np.clip(gray - background, 0.0, None)
    peak = ink.max(initial=0.0)
    return ink * (255.0 / peak) if peak > 0 else ink


def ink_box(ink: np.ndarray, threshold: float = 0.2) -> tuple[slice, slice]:
    """The bounding box of the pixels above ``threshold`` x the ink's peak (faint specks ignored)."""
    rows, cols = np.nonzero(ink > threshold * ink.max(initial=0.0))
    if not len(rows):
        raise DataError("no ink found (a blank image)")
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def _why_blank(gray: np.ndarray, invert: str) -> str:
    """Why no ink was found: a blank image, or ``invert`` forced the wrong way (the other way finds ink)."""
    if invert != "auto":
        other = "no" if invert == "yes" else "yes"
        try:
            ink_box(ink_on_black(gray, other))
        except DataError:
            pass
        else:
            looks = "dark ink on a light background" if invert == "no" else "light ink on a dark background"
            return (
                f"no ink found with --invert {invert}: the image looks like {looks}; "
                f"use --invert auto (or --invert {other})"
            )
    return "no ink found (a blank image)"


def _resize(image: np.ndarray, shape: tuple[int, int], resample: str) -> np.ndarray:
    from PIL import Image

    method = {"bicubic": Image.Resampling.BICUBIC, "lanczos": Image.Resampling.LANCZOS}[resample]
    resized = Image.fromarray(image.astype(np.float32), mode="F").resize((shape[1], shape[0]), method)
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, 255.0)


def _mnist(glyph: np.ndarray, shape: tuple[int, int] = (CANVAS, CANVAS)) -> np.ndarray:
    h, w = glyph.shape
    scale = _box_side(shape) / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    small = _resize(glyph, size, "lanczos")
    canvas = np.zeros(shape)
    total = small.sum()
    rows, cols = np.indices(small.shape)
    centre = (rows * small).sum() / total, (cols * small).sum() / total
    top = int(round(shape[0] / 2 - centre[0]))
    left = int(round(shape[1] / 2 - centre[1]))
    top = min(max(top, 0), shape[0] - size[0])  # the glyph stays whole on the canvas
    left = min(max(left, 0), shape[1] - size[1])
    canvas[top : top + size[0], left : left + size[1]] = small
    return canvas


def _emnist(glyph: np.ndarray) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    h, w = glyph.shape
    side = max(h, w)
    square = np.zeros((side, side))
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = glyph
    pad = round(side * EMNIST_BORDER / (CANVAS - 2 * EMNIST_BORDER))
    framed = np.pad(gaussian_filter(square, sigma=1.0), pad)
    return _resize(framed, (CANVAS, CANVAS), "bicubic")


def _alphadigits(glyph: np.ndarray) -> np.ndarray:
    resized = _resize(glyph, STYLE_SHAPES["alphadigits"], "lanczos")
    return np.where(resized > resized.max(initial=0.0) / 2, 255.0, 0.0)


def to_dataset_format(
    image: np.ndarray, style: str = "mnist", invert: str = "auto", shape: tuple[int, int] | None = None
) -> np.ndarray:
    """One character image -> uint8 ``STYLE_SHAPES[style]`` (28x28, or 20x16 for Binary AlphaDigits), white
    ink on black, prepared as ``style``'s training images. ``shape``: the canvas of the mnist style (a
    user's source of another image size; default 28x28); the other styles have their own.
    DataError (one line) for an image with no ink or too small to hold a character."""
    if invert not in INVERT:
        raise DataError(f"invert must be one of {', '.join(INVERT)}, got '{invert}'")
    gray = grayscale(image)
    if min(gray.shape) < 4:
        raise DataError(f"the image is {gray.shape[1]}x{gray.shape[0]} pixels: too small to hold a character")
    ink = ink_on_black(gray, invert)
    try:
        rows, cols = ink_box(ink)
    except DataError:
        raise DataError(_why_blank(gray, invert)) from None
    glyph = ink[rows, cols]
    if style == "mnist" and shape is not None:
        out = _mnist(glyph, (int(shape[0]), int(shape[1])))
    else:
        out = {"emnist": _emnist, "alphadigits": _alphadigits}.get(style, _mnist)(glyph)
    peak = out.max(initial=0.0)
    if peak > 0:
        out *= 255.0 / peak
    return np.round(out).astype(np.uint8)
