"""Data files: where they are looked for, how they are verified, how they are downloaded.

A file is looked for, in order, in the ``--data-dir`` folder, the folder named by
``EMNIST_TUNER_DATA`` and the user cache (``EMNIST_TUNER_CACHE``, else
``$XDG_CACHE_HOME/emnist-tuner``, else ``~/.cache/emnist-tuner``); in each folder both
directly and in the dataset's sub-folder (``mnist/``, ``emnist-letters/``, ...).
Downloads go to the cache and are written atomically: a temporary file is verified by
sha256 and only then renamed into place, so a failed download changes nothing.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import urllib.error
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError, plural
from ..io import temp_beside
from .idx import verify_idx_header

ENV_DATA = "EMNIST_TUNER_DATA"
ENV_CACHE = "EMNIST_TUNER_CACHE"
ENV_MIRROR = "EMNIST_TUNER_MIRROR"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset, with the checksum of the real, official file."""

    name: str
    subdir: str
    sha256: str
    size: int
    urls: tuple[str, ...] = ()
    archive_member: str | None = None  # set when the urls point to a zip archive holding it
    idx_shape: tuple[int, ...] = ()  # the documented IDX dimensions (count first), checked without a sha256

    @property
    def verified_by(self) -> str:
        """How the file is verified: ``sha256``, else ``size + IDX header`` (``IDX header`` with no size)."""
        if self.sha256:
            return "sha256"
        return "size + IDX header" if self.size else "IDX header"

    @property
    def downloadable(self) -> bool:
        """Whether the file has an official source to download it from."""
        return bool(self.urls)


def cache_dir() -> Path:
    """The user cache (``EMNIST_TUNER_CACHE``, else ``$XDG_CACHE_HOME/emnist-tuner``, else
    ``~/.cache/emnist-tuner``), where downloads go."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "emnist-tuner"


def search_folders(data_dir=None) -> list[Path]:
    """The folders searched for data files, in order, without duplicates: ``data_dir`` (a folder, or a
    list of folders searched in their order), ``EMNIST_TUNER_DATA``, the cache."""
    given = list(data_dir) if isinstance(data_dir, list | tuple) else [data_dir]
    folders: list[Path] = []
    for candidate in (*given, os.environ.get(ENV_DATA) or None, cache_dir()):
        if candidate is None:
            continue
        path = Path(candidate).expanduser().resolve()
        if path not in folders:
            folders.append(path)
    return folders


def find_file(spec: DataFile, folders: list[Path]) -> Path | None:
    """The first copy of ``spec`` in ``folders`` (each folder directly, then its dataset sub-folder),
    unverified; None if there is none."""
    for folder in folders:
        for path in (folder / spec.name, folder / spec.subdir / spec.name):
            if path.is_file():
                return path
    return None


def folder_holding(specs, data_dir=None) -> Path | None:
    """The searched folder (``search_folders``) holding the first of ``specs`` found, unverified (no
    checksum: cheap); None when none is found."""
    for folder in search_folders(data_dir):
        if any(find_file(spec, [folder]) is not None for spec in specs):
            return folder
    return None


def sha256_of(path: Path) -> str:
    """The file's sha256, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(spec: DataFile, path: Path) -> None:
    """Raise DataError unless ``path`` has the size and sha256 of the real file. A size of 0 is unknown
    (not checked); without a sha256 the file's IDX header is checked instead (magic, dimensions, count)."""
    size = path.stat().st_size
    if spec.size and size != spec.size:
        raise DataError(
            f"{path}: {plural(size, 'byte')}, but the real {spec.name} has {plural(spec.size, 'byte')} "
            f"(truncated or a different file); delete it and download it again "
            f"(`emnist-tuner data --download`) or copy a good copy there"
        )
    if not spec.sha256:
        verify_idx_header(path, spec.name, spec.idx_shape)
        return
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc}); check its permissions") from None
    if actual != spec.sha256:
        raise DataError(
            f"{path}: sha256 {actual} does not match the real {spec.name} ({spec.sha256}); "
            f"the file is corrupt or not the official one: delete it and download it again "
            f"(`emnist-tuner data --download`)"
        )


OFFLINE = f"give the folder holding the files with --data-dir DIR (or {ENV_DATA}=DIR)"


def missing_message(spec: DataFile, folders: list[Path]) -> str:
    """Why ``spec`` is missing (the folders searched) and how to get it, in one line."""
    searched = ", ".join(str(f) for f in folders)
    if spec.downloadable:
        how = (
            f"if you have it, {OFFLINE}; else run `emnist-tuner data --download` to fetch it from the official "
            f"source ({spec.urls[0]})"
        )
    else:
        how = f"it cannot be downloaded: {OFFLINE}, or copy it into one of those folders (see docs/guides/data.md)"
    return f"missing data file {spec.name} (searched {searched}); {how}"


def locate_all(specs, data_dir=None, download: bool = False, mirror: str | None = None) -> dict[str, Path]:
    """Return the verified path of each file, downloading missing ones into the cache if asked."""
    folders = search_folders(data_dir)
    found: dict[str, Path] = {}
    missing = []
    for spec in specs:
        path = find_file(spec, folders)
        if path is None:
            missing.append(spec)
        else:
            verify_file(spec, path)
            found[spec.name] = path
    if missing:
        cannot = [s for s in missing if not (download and (s.downloadable or mirror_url(mirror)))]
        if cannot:
            raise DataError(missing_message(cannot[0], folders))
        found.update(download_files(missing, mirror=mirror))
    return found


def mirror_url(given: str | None = None) -> str | None:
    """The mirror to download from: ``given``, else ``EMNIST_TUNER_MIRROR``; None for the official sources."""
    return given or os.environ.get(ENV_MIRROR) or None


def download_files(specs, mirror: str | None = None, dest_root: Path | None = None) -> dict[str, Path]:
    """Download files into the cache (or ``dest_root``), each verified and renamed into place.

    With a mirror (argument or ``EMNIST_TUNER_MIRROR``) each file is fetched as
    ``<mirror>/<file name>``. Otherwise from its official URLs, in order; files that
    live inside one zip archive share a single download of it.
    """
    dest_root = dest_root or cache_dir()
    base = mirror_url(mirror)
    done: dict[str, Path] = {}
    archives: dict[tuple[str, ...], list[DataFile]] = {}
    with _no_new_empty_folders([dest_root / spec.subdir for spec in specs]):
        for spec in specs:
            if base:
                done[spec.name] = _try_sources(spec, [base.rstrip("/") + "/" + spec.name], dest_root)
            elif spec.archive_member is None:
                done[spec.name] = _try_sources(spec, list(spec.urls), dest_root)
            else:
                archives.setdefault(spec.urls, []).append(spec)
        for urls, members in archives.items():
            done.update(_download_from_archive(urls, members, dest_root))
    return done


@contextmanager
def _no_new_empty_folders(folders: list[Path]):
    """Folders created inside the block (``folders`` and their missing parents) that are still empty at
    its end are removed: a failed download leaves the cache as it was."""
    new: set[Path] = set()
    for folder in folders:
        while not folder.exists() and folder != folder.parent:
            new.add(folder)
            folder = folder.parent
    try:
        yield
    finally:
        for folder in sorted(new, key=lambda f: len(f.parts), reverse=True):
            try:
                folder.rmdir()  # only when empty: a folder that received a file is kept
            except OSError:
                pass


def _try_sources(spec: DataFile, urls: list[str], dest_root: Path) -> Path:
    dest = dest_root / spec.subdir / spec.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    problems = []
    for url in urls:
        tmp = temp_beside(dest, ".part")
        try:
            with open(tmp, "wb") as out:
                _stream(url, out, label=spec.name)
            _install_verified(spec, tmp, dest, url)
            return dest
        except DataError as exc:
            problems.append(str(exc))
        finally:
            tmp.unlink(missing_ok=True)
    raise DataError("; ".join(problems) + f"; nothing was written to {dest.parent}")


_kept_archives: dict[tuple[str, ...], tuple[Path, str] | DataError] | None = None


@contextmanager
def one_download_per_archive():
    """Inside the block an archive downloaded for some of its members is kept (in the cache, deleted at
    the end) and read again for the others, and a failed download is not tried again: `data --download`
    fetches NIST's gzip.zip once for every EMNIST split, not once per split."""
    global _kept_archives
    outer, _kept_archives = _kept_archives, {}
    try:
        yield
    finally:
        for kept in _kept_archives.values():
            if not isinstance(kept, DataError):
                kept[0].unlink(missing_ok=True)
        _kept_archives = outer


def _download_from_archive(urls, members: list[DataFile], dest_root: Path) -> dict[str, Path]:
    kept = _kept_archives.get(urls) if _kept_archives is not None else None
    if isinstance(kept, DataError):
        raise kept
    if kept is not None:
        return {spec.name: _extract_verified(kept[0], spec, dest_root, kept[1]) for spec in members}
    dest_root.mkdir(parents=True, exist_ok=True)
    problems = []
    for url in urls:
        archive = temp_beside(dest_root / Path(url).name, ".part")
        keep = False
        try:
            with open(archive, "wb") as out:
                _stream(url, out, label=Path(url).name)
            found = {spec.name: _extract_verified(archive, spec, dest_root, url) for spec in members}
            if _kept_archives is not None:
                _kept_archives[urls], keep = (archive, url), True
            return found
        except DataError as exc:
            problems.append(str(exc))
        finally:
            if not keep:
                archive.unlink(missing_ok=True)
    error = DataError("; ".join(problems) + f"; nothing was written to {dest_root}")
    if _kept_archives is not None:
        _kept_archives[urls] = error
    raise error


def _extract_verified(archive: Path, spec: DataFile, dest_root: Path, url: str) -> Path:
    assert spec.archive_member is not None  # only files inside an archive come here
    dest = dest_root / spec.subdir / spec.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(dest, ".part")
    try:
        try:
            with zipfile.ZipFile(archive) as zf, zf.open(spec.archive_member) as src, open(tmp, "wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            raise DataError(f"{url}: cannot read {spec.archive_member} from the downloaded archive ({exc})") from None
        _install_verified(spec, tmp, dest, url)
        return dest
    finally:
        tmp.unlink(missing_ok=True)


def _install_verified(spec: DataFile, tmp: Path, dest: Path, url: str) -> None:
    try:
        verify_file(spec, tmp)
    except DataError:
        raise DataError(
            f"downloaded {spec.name} from {url}, but it is not the real file "
            f"(its size or {'sha256' if spec.sha256 else 'IDX header'} differ: the server sent something else)"
        ) from None
    os.replace(tmp, dest)


def _stream(url: str, out, label: str) -> None:
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    try:
        response = urllib.request.urlopen(url, timeout=60)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(f"cannot download {url}: {exc}") from None
    with response:
        total = int(response.headers.get("Content-Length") or 0) or None
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            transient=True,
        ) as progress:
            task = progress.add_task(f"downloading {label}", total=total)
            try:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    progress.advance(task, len(chunk))
            except OSError as exc:
                raise DataError(f"download of {url} broke off: {exc}") from None
