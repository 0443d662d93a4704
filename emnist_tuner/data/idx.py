"""The datasets' file formats: IDX (MNIST, EMNIST; gzipped or not) and Binary AlphaDigits' ``.mat``."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError, plural


def _read_gzip(path: Path) -> bytes:
    """The file's bytes, decompressed when it is gzipped (the datasets' files are; a user's may not be)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                if path.suffix == ".gz":
                    raise DataError(
                        f"{path}: not a readable gzip file (no gzip header); the file is truncated or corrupt"
                    )
                handle.seek(0)
                return handle.read()
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable gzip file ({exc}); the file is truncated or corrupt") from None


def read_idx(path: Path, expected_magic: int) -> np.ndarray:
    """Read an IDX file, gzipped or not (2049 labels, 2051 images), into a uint8 array."""
    raw = _read_gzip(path)
    kind = {2049: "labels (idx1)", 2051: "images (idx3)"}[expected_magic]
    ndim = expected_magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: only {plural(len(raw), 'byte')} after decompression, too short for an IDX header")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        raise DataError(f"{path}: IDX magic {magic:#010x}, expected {expected_magic:#010x} for {kind}; wrong file")
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(
            f"{path}: header says shape {tuple(dims)} ({plural(expected, 'byte')}) but the file holds "
            f"{plural(len(raw), 'byte')}; "
            "the file is truncated or corrupt"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def verify_idx_header(path: Path, name: str, shape: tuple[int, ...]) -> None:
    """DataError unless ``path`` starts (after decompression) with the IDX header of ``name``: images
    (``idx3`` in the name) or labels, with the dimensions ``shape`` (image or label count first; not
    checked when empty). Reads only the header: a truncated rest is found when the file is read."""
    magic = 2051 if "idx3" in name else 2049
    kind = "images (idx3)" if magic == 2051 else "labels (idx1)"
    size = 4 + 4 * (magic & 0xFF)
    try:
        with open(path, "rb") as handle:
            gzipped = handle.read(2) == b"\x1f\x8b"
        with gzip.open(path, "rb") if gzipped else open(path, "rb") as handle:
            head = handle.read(size)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable gzip file ({exc}); the file is truncated or corrupt") from None
    if len(head) < size:
        raise DataError(f"{path}: only {plural(len(head), 'byte')}, too short for an IDX header; the file is truncated")
    found = int.from_bytes(head[:4], "big")
    if found != magic:
        raise DataError(
            f"{path}: IDX magic {found:#010x}, expected {magic:#010x} for {kind}; not the real {name}: delete it "
            "and download it again (`emnist-tuner data --download`)"
        )
    dims = tuple(int.from_bytes(head[4 + 4 * i : 8 + 4 * i], "big") for i in range(magic & 0xFF))
    if shape and dims != tuple(shape):
        raise DataError(
            f"{path}: IDX header says shape {dims}, but the real {name} is {tuple(shape)}; a different or "
            "partial file: delete it and download it again (`emnist-tuner data --download`)"
        )


def read_idx_pair(images: Path, labels: Path, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Images and int64 labels of an IDX pair; DataError unless the images are ``shape`` and the
    counts match."""
    x = read_idx(images, 2051)
    y = read_idx(labels, 2049)
    if x.shape[1:] != shape:
        raise DataError(f"{images}: images are {x.shape[1]}x{x.shape[2]}, expected {shape[0]}x{shape[1]}")
    if len(x) != len(y):
        raise DataError(
            f"{images} has {plural(len(x), 'image')} but {labels} has {plural(len(y), 'label')}; the pair "
            "does not match"
        )
    return x, y.astype(np.int64)


def read_alphadigits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (1404, 20, 16) uint8 and labels 0..35 (digits, then letters) of Binary AlphaDigits'
    ``.mat`` file; DataError for a file that is not one."""
    import scipy.io

    try:
        mat = scipy.io.loadmat(path)
        cells = mat["dat"]
        images = np.stack(
            [np.asarray(cells[c, j], dtype=np.uint8) for c in range(cells.shape[0]) for j in range(cells.shape[1])]
        )
    except Exception as exc:  # scipy raises many types for a bad .mat
        raise DataError(f"{path}: not a readable Binary AlphaDigits .mat file ({type(exc).__name__}: {exc})") from None
    if cells.shape != (36, 39) or images.shape[1:] != (20, 16):
        raise DataError(f"{path}: expected 36x39 cells of 20x16 images, found {cells.shape} of {images.shape[1:]}")
    labels = np.repeat(np.arange(36, dtype=np.int64), cells.shape[1])
    return images, labels
