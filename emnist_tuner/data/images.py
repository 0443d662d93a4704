"""A user's inputs for `predict`: image files (PNG, JPEG, BMP, GIF, TIFF, WebP; any size, grayscale or
colour, with or without alpha, 8 or 16 bits), folders of them (recursive), IDX image files (gzipped or
not) and ``.npy`` arrays of shape (N, H, W) or (H, W).

Each input becomes one or more ``CharacterImage``s; a file that cannot be read becomes one with an
``error`` (one line: what is wrong with it), so the other inputs are still predicted. 28x28 arrays from
IDX and .npy files are taken as they are (already in a dataset's format); IDX files of EMNIST (a name
with "emnist") are stored transposed by NIST and are turned upright.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
IDX_IMAGES = 2051


@dataclass
class CharacterImage:
    """One input image for `predict`: its pixels, or the error that stops it from being predicted."""

    name: str  # the file (and index, for an array of images)
    pixels: np.ndarray | None = None
    ready: bool = False  # already 28x28 in a dataset's format: no preprocessing
    error: str | None = None


def _is_idx(path: Path) -> bool:
    return "idx" in path.name.lower() or path.suffix.lower() == ".idx"


def expand(paths: list[Path]) -> list[tuple[Path, str | None]]:
    """Every input file (folders searched recursively, in name order); (path, error) for a path that
    does not exist or a folder with no input in it."""
    files: list[tuple[Path, str | None]] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and (p.suffix.lower() in IMAGE_SUFFIXES or p.suffix.lower() == ".npy" or _is_idx(p))
            )
            files += [(p, None) for p in found] or [(path, f"no image, .npy or IDX file in the folder {path}")]
        elif path.is_file():
            files.append((path, None))
        else:
            files.append((path, f"{path}: no such file or folder"))
    return files


def _array_images(path: Path, array: np.ndarray, transposed: bool = False) -> list[CharacterImage]:
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or min(array.shape[1:]) < 1:
        return [
            CharacterImage(
                str(path), error=f"{path}: an array of shape {array.shape}; expected (N, H, W) or (H, W) images"
            )
        ]
    if transposed:
        array = array.transpose(0, 2, 1)
    ready = array.shape[1:] == (28, 28)
    if ready and array.dtype != np.uint8:
        ready = False  # other values: preprocessed like an image (scaled, inverted if needed)
    return [
        CharacterImage(f"{path}[{i}]" if len(array) > 1 else str(path), np.ascontiguousarray(a), ready)
        for i, a in enumerate(array)
    ]


class _Upload(io.BytesIO):
    """Bytes read from memory under a name (what a decoding error calls them instead of the buffer's address)."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.label = name

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return repr(self.label)


def _read_image(path: Path | _Upload) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.seek(0)  # an animated GIF: its first frame
            frame: Image.Image = image
            if frame.mode in ("P", "PA"):
                frame = frame.convert("RGBA")
            elif frame.mode == "CMYK":
                frame = frame.convert("RGB")
            pixels = np.asarray(frame)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise DataError(f"{path}: not an image that can be read ({type(exc).__name__}: {exc})") from None
    return pixels


def read_image_bytes(data: bytes, name: str, max_pixels: int | None = None) -> CharacterImage:
    """One image file's bytes (PNG, JPEG, …) decoded in memory, as ``read_inputs`` reads an image file
    (nothing is written to disk); an unreadable one, or one over ``max_pixels`` pixels (its header says;
    checked before decoding), carries its one-line error, under ``name``."""
    from PIL import Image

    try:
        if max_pixels is not None:
            size = "a larger"
            try:
                with Image.open(_Upload(data, name)) as image:
                    width, height = image.size
                    size = f"a {width}x{height}" if width * height > max_pixels else ""
            except Image.DecompressionBombError:
                pass  # far larger than any limit
            except Exception:  # noqa: BLE001 - unreadable: _read_image says why, in predict's words
                size = ""
            if size:
                raise DataError(f"{name}: {size} image; images up to {max_pixels / 1e6:g} megapixels are read")
        return CharacterImage(name, _read_image(_Upload(data, name)))
    except DataError as exc:
        return CharacterImage(name, error=str(exc))


def read_inputs(paths: list[Path]) -> list[CharacterImage]:
    """Every character image of ``paths``, in order; unreadable inputs carry their one-line error."""
    from .idx import read_idx

    images: list[CharacterImage] = []
    for path, problem in expand(paths):
        if problem:
            images.append(CharacterImage(str(path), error=problem))
            continue
        try:
            if path.suffix.lower() == ".npy":
                try:
                    array = np.load(path, allow_pickle=False)
                except (OSError, ValueError) as exc:
                    raise DataError(f"{path}: not a readable .npy array ({exc})") from None
                images += _array_images(path, array)
            elif _is_idx(path):
                images += _array_images(path, read_idx(path, IDX_IMAGES), transposed="emnist" in path.name.lower())
            else:
                images.append(CharacterImage(str(path), _read_image(path)))
        except DataError as exc:
            images.append(CharacterImage(str(path), error=str(exc)))
    return images
