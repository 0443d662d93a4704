"""A dataset's name as a folder name: ``dataset_slug``.

A built-in dataset's name is already safe (``mnist``, ``emnist-balanced``) and is kept as it is, so the
folders of runs made before user sources existed (``RUN/mnist/``, ``RUN/transfer/``) keep their names.
A user's source spec (``csv:PATH``, ``folder:PATH``, ``npz:PATH``) becomes the scheme, the file's or
folder's stem reduced to safe characters, and 8 hex digits of the sha256 of its canonical spec (scheme and
absolute, resolved path), so two sources with the same file name in different folders never share one::

    csv:/data/kaggle/letters-train.csv  ->  csv-letters-train-1a2b3c4d
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

SCHEMES = ("csv", "folder", "npz")  # the source specs' schemes (``data.datasets.get_info``)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
STEM_CHARACTERS = 40  # a long file name is cut: the hash keeps the slug unique


def is_source_spec(name: str) -> bool:
    """Whether ``name`` is a user's source spec (``csv:``, ``folder:``, ``npz:``), not a built-in name."""
    scheme, colon, _ = name.partition(":")
    return bool(colon) and scheme in SCHEMES


def _path_and_options(rest: str) -> tuple[str, str]:
    """A spec's text after the scheme as (path, options): options follow the last ``#`` (``csv:a.csv#transposed``)
    unless the whole text names an existing file."""
    if "#" in rest and not Path(rest).expanduser().exists():
        path, _, options = rest.rpartition("#")
        return path, options
    return rest, ""


def canonical_spec(name: str) -> str:
    """A source spec with its path absolute and resolved (``csv:rel/a.csv`` -> ``csv:/abs/rel/a.csv``), its
    options kept; any other name unchanged. Runs store their dataset in this form (``get_info(name).name``,
    ``data.datasets.canonical_dataset``), which is what the commands pass to ``dataset_slug``."""
    if not is_source_spec(name):
        return name
    scheme, _, rest = name.partition(":")
    path, options = _path_and_options(rest)
    return f"{scheme}:{Path(path).expanduser().resolve()}" + (f"#{options}" if options else "")


def dataset_slug(name: str) -> str:
    """A short, file-name-safe folder name for dataset ``name`` (see the module docstring): a built-in
    name unchanged, a source spec ``<scheme>-<stem>-<8 hex of its canonical spec>``."""
    if not is_source_spec(name):
        return name
    canonical = canonical_spec(name)
    scheme, _, rest = canonical.partition(":")
    path = _path_and_options(rest)[0]
    stem = Path(path).stem if scheme != "folder" else Path(path).name
    stem = _UNSAFE.sub("-", stem).strip("-._")[:STEM_CHARACTERS].strip("-._") or "data"
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:8]
    return f"{scheme}-{stem}-{digest}"
