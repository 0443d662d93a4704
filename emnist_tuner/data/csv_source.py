"""``csv:PATH``: images in the EMNIST/MNIST CSV layout, and EMNIST's class mapping files.

One row per image: the label, then the H*W pixels (0..255) row by row; no header, or one header row
(a first row that is not all numbers, as in the Kaggle MNIST CSVs) that is skipped. The rows are read
in blocks with NumPy (a 100 MB file in seconds); a block with anything unusual in it (a sign, a tab, a
word) is read again row by row to name the first bad row and column.

A mapping file (EMNIST's ``*-mapping.txt``) has one line per class: ``label ascii_code [ascii_code]``;
the class is named by the character of the first code (``1 65 97`` is "A").
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import DataError, plural

BLOCK = 8 << 20  # bytes read and parsed at once
_DIGIT0, _DIGIT9, _COMMA, _NEWLINE, _RETURN, _SPACE = 48, 57, 44, 10, 13, 32
_HEADER_BYTES = set(b"0123456789,+- \t\r\n.")


def read_mapping(path: Path) -> dict[int, str]:
    """Label -> class name of an EMNIST mapping file; DataError naming the line of a malformed one."""
    mapping: dict[int, str] = {}
    try:
        lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the mapping file ({exc.strerror or exc})") from None
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        try:
            label, code = int(fields[0]), int(fields[1])
            name = chr(code)
        except (ValueError, IndexError, OverflowError):
            raise DataError(
                f"{path}:{number}: expected 'label ascii_code [ascii_code]' (as EMNIST's *-mapping.txt), got {line!r}"
            ) from None
        if label in mapping:
            raise DataError(f"{path}:{number}: label {label} is mapped twice")
        mapping[label] = name
    if not mapping:
        raise DataError(f"{path}: an empty mapping file; one line per class: 'label ascii_code'")
    return mapping


def _slow_rows(path: Path, block: bytes, first_line: int, width: int | None) -> np.ndarray:
    """The block's rows parsed one by one (the careful path): DataError at the first bad row or value."""
    rows = []
    for offset, raw in enumerate(block.split(b"\n")[:-1]):
        line = first_line + offset
        fields = raw.decode("utf-8", errors="replace").strip().split(",")
        if width is not None and len(fields) != width:
            raise DataError(
                f"{path}:{line}: {plural(len(fields) if raw.strip() else 0, 'value')} in the row, expected "
                f"{width:,} (the label, then {plural(width - 1, 'pixel')}); every row is one image"
            )
        values = []
        for column, text in enumerate(fields, 1):
            try:
                values.append(int(text.strip()))
            except ValueError:
                what = "label" if column == 1 else "pixel"
                raise DataError(
                    f"{path}:{line}: column {column}: {text.strip()[:20]!r} is not a whole number ({what}); a row "
                    "holds the label, then the pixels 0..255"
                ) from None
        rows.append(values)
        width = len(values)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), width or 0)


def _fast_rows(block: bytes, width: int | None) -> np.ndarray | None:
    """The block's rows parsed at once, or None when anything in it is unusual (then parsed slowly)."""
    b = np.frombuffer(block, dtype=np.uint8)
    digit = (b >= _DIGIT0) & (b <= _DIGIT9)
    other = ~digit & (b != _COMMA) & (b != _NEWLINE) & (b != _RETURN) & (b != _SPACE)
    if other.any():
        return None
    line_ends = np.flatnonzero(b == _NEWLINE)
    lines = len(line_ends)
    first = np.flatnonzero(digit & ~np.concatenate(([False], digit[:-1])))  # where each number starts
    length = np.flatnonzero(digit & ~np.concatenate((digit[1:], [False]))) + 1 - first
    tokens = np.diff(np.searchsorted(first, line_ends), prepend=0)  # numbers per row
    fields = np.diff(np.searchsorted(np.flatnonzero(b == _COMMA), line_ends), prepend=0) + 1
    width = width or int(fields[0])
    if lines == 0 or (tokens != fields).any() or (fields != width).any():
        return None
    if length.max(initial=0) > 15:  # a number too long for int64
        return None
    padded = np.append(b, np.uint8(_DIGIT0))  # a digit's next byte is always there
    values = (padded[first] - _DIGIT0).astype(np.int64)
    for k in range(1, int(length.max(initial=1))):  # numbers digit by digit: 0..255 has at most 3
        longer = np.flatnonzero(length > k)
        values[longer] = values[longer] * 10 + (padded[first[longer] + k] - _DIGIT0)
    return values.reshape(lines, width)


def _is_header(first: bytes) -> bool:
    return bool(set(first) - _HEADER_BYTES)


def read_csv(path: Path, shape: tuple[int, int] | None, transposed: bool, advance) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W) uint8, upright, and their labels as written (int64) of one CSV file.
    ``shape``: the images' (H, W), else square (the pixel count's square root); ``transposed``: stored
    column by column (EMNIST's files); ``advance(n)``: told the bytes read."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise DataError(f"{path}: cannot read the CSV file ({exc.strerror or exc})") from None
    blocks, line, width = [], 1, None
    with handle:
        size, rest = os.fstat(handle.fileno()).st_size, b""
        while True:
            chunk = handle.read(BLOCK)
            advance(len(chunk))
            data = rest + chunk
            last = not chunk or handle.tell() >= size
            if last:  # blank lines at the end are no rows
                data = data.rstrip()
                data += b"\n" if data else b""
            cut = data.rfind(b"\n") + 1
            block, rest = data[:cut], data[cut:]
            if line == 1 and block and _is_header(block[: block.find(b"\n")]):
                block, line = block[block.find(b"\n") + 1 :], 2
            if width is None and block:
                width = block[: block.find(b"\n")].count(b",") + 1
                shape = _check_shape(path, line, width - 1, shape)
            if block:
                rows = _fast_rows(block, width)
                if rows is None:
                    rows = _slow_rows(path, block, line, width)
                _check_pixels(path, rows, line)
                blocks.append(rows)
                line += len(rows)
            if last:
                break
    if not blocks or shape is None:
        raise DataError(f"{path}: no rows; one row per image: the label, then its pixels")
    table = np.concatenate(blocks)
    stored = (shape[1], shape[0]) if transposed else shape
    images = table[:, 1:].astype(np.uint8).reshape(len(table), *stored)
    if transposed:
        images = np.ascontiguousarray(images.transpose(0, 2, 1))
    return images, table[:, 0].astype(np.int64)


def _check_shape(path: Path, line: int, pixels: int, shape: tuple[int, int] | None) -> tuple[int, int]:
    """The images' (H, W): ``shape`` when it holds ``pixels``, else square."""
    if shape is not None:
        if shape[0] * shape[1] != pixels:
            raise DataError(
                f"{path}:{line}: {plural(pixels, 'pixel')} in the row, but the shape given is "
                f"{shape[0]}x{shape[1]} = {shape[0] * shape[1]:,}"
            )
        return shape
    side = int(round(pixels**0.5))
    if pixels < 1 or side * side != pixels:
        raise DataError(
            f"{path}:{line}: {plural(pixels, 'pixel')} after the label: not a square image (28x28 is 784); "
            "give the shape as csv:PATH#shape=HxW"
        )
    return side, side


def _check_pixels(path: Path, rows: np.ndarray, first_line: int) -> None:
    bad = np.argwhere((rows[:, 1:] < 0) | (rows[:, 1:] > 255))
    if len(bad):
        row, column = bad[0]
        raise DataError(
            f"{path}:{first_line + row}: column {column + 2}: pixel value {rows[row, column + 1]:g} is outside 0..255 "
            "(8-bit gray levels)"
        )


def label_rows(path: Path, labels: np.ndarray, known: np.ndarray, header: bool, mapping: Path | None) -> None:
    """DataError naming the first row whose label is not one of ``known`` (the mapping's labels)."""
    outside = np.flatnonzero(~np.isin(labels, known))
    if len(outside):
        row = int(outside[0])
        where = f"the mapping {mapping}" if mapping else "the class names"
        raise DataError(
            f"{path}:{row + 1 + int(header)}: label {labels[row]} is not in {where} "
            f"(labels {known.min()}..{known.max()}); wrong mapping file, or a label column that is not first"
        )


def has_header(path: Path) -> bool:
    """Whether the CSV's first row is a header (skipped)."""
    with open(path, "rb") as handle:
        return _is_header(handle.readline())
