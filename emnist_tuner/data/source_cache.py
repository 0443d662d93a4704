"""A user's source read once: the content hash of the files read, the arrays cached in the user cache,
and a progress bar while a large source is read the first time.

The cache holds one ``.npz`` per source content under ``<cache>/sources/`` (``data.files.cache_dir``),
named by the sha256 of the reader's version, the options that change the arrays and the content hash
(each file's role, name and sha256), so a later run reads it at once and a changed file is read again.
An entry that cannot be read is ignored and written anew.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io import write_atomic
from .files import cache_dir, sha256_of

READER_VERSION = "1"  # bump when a reader's output for the same files changes
CACHE_FOLDER = "sources"
LARGE = 2_000  # images from which the first read shows a progress bar
LARGE_BYTES = 4 << 20  # CSV bytes from which it does


@dataclass(frozen=True)
class Content:
    """The files a source reads, each as (role, name, sha256), in reading order; ``sha256``: of them all."""

    entries: tuple[tuple[str, str, str], ...]

    @property
    def sha256(self) -> str:
        """One hash of every file's role, name and content."""
        digest = hashlib.sha256()
        for role, name, file_hash in self.entries:
            digest.update(f"{role}\0{name}\0{file_hash}\n".encode())
        return digest.hexdigest()

    def changed_file(self, other: Content) -> str | None:
        """The first file whose content differs, that was added or that went missing between ``other``
        (earlier) and this content, as "NAME (changed|added|removed)"; None when they are the same."""
        before = {(r, n): h for r, n, h in other.entries}
        now = {(r, n): h for r, n, h in self.entries}
        for key in sorted(before.keys() | now.keys()):
            if before.get(key) != now.get(key):
                what = "added" if key not in before else "removed" if key not in now else "changed"
                return f"{key[1]} ({what})"
        return None


def content_of(files: list[tuple[str, str, Path]]) -> Content:
    """The content hash of ``files`` given as (role, name shown and hashed, path)."""
    return Content(tuple((role, name, sha256_of(path)) for role, name, path in files))


def cache_file(key: str) -> Path:
    """Where the arrays of the source with cache key ``key`` are kept."""
    return cache_dir() / CACHE_FOLDER / f"{key}.npz"


def cache_key(scheme: str, options: str, content: Content) -> str:
    """The cache entry's name: the reader's version, the options that change the arrays, the content."""
    return hashlib.sha256(f"{READER_VERSION}\0{scheme}\0{options}\0{content.sha256}".encode()).hexdigest()


def read_cache(key: str) -> dict[str, np.ndarray] | None:
    """The arrays cached under ``key``; None when there is no entry or it cannot be read (damaged)."""
    path = cache_file(key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError):
        return None


def write_cache(key: str, arrays: dict[str, np.ndarray]) -> None:
    """Keeps ``arrays`` under ``key`` (atomically); a cache that cannot be written is skipped."""

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy types allow_pickle among the keywords

    try:
        write_atomic(cache_file(key), write, suffix=".npz")
    except OSError:
        pass


@contextmanager
def reading_progress(label: str, total: int, unit: str = "images"):
    """A transient progress bar on stderr while ``total`` images (or bytes) are read; none for a small
    source. Yields ``advance(n)``."""
    if total < (LARGE if unit == "images" else LARGE_BYTES):
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn() if unit == "bytes" else MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        transient=True,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n=1: progress.advance(task, n)
