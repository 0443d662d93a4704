"""What `emnist-tuner data` reports: for each dataset, where its files are and whether they verify."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError
from .datasets import DATASETS, load_dataset
from .files import (
    OFFLINE,
    DataFile,
    cache_dir,
    download_files,
    find_file,
    mirror_url,
    one_download_per_archive,
    search_folders,
    verify_file,
)


@dataclass
class DatasetStatus:
    """What `data` reports for one dataset: verified, missing, not downloaded or invalid, where, its split sizes."""

    name: str
    description: str
    state: str  # "verified", "missing", "not downloaded" (a download asked for failed) or "invalid"
    folders: list[Path] = field(default_factory=list)
    sizes: tuple[int, int, int] | None = None
    message: str = ""
    note: str = ""
    verified_by: str = "-"  # "sha256", "size + IDX header" (no published sha256), ...; "-": no files

    @property
    def unpublished(self) -> bool:
        """Whether a file of the dataset has no published sha256 (checked by size and IDX header only)."""
        return self.verified_by not in ("sha256", "-")

    @property
    def failed(self) -> bool:
        """Whether a file of the dataset is invalid (corrupt or another file), or its download failed."""
        return self.state in ("invalid", "not downloaded")


def _offline(missing: list[DataFile], named: bool = True) -> str:
    """How to get ``missing`` without a download: copy the files into the cache, or name their folder
    (``named``: the files' names are said here; else they were said before)."""
    names = ", ".join(m.name for m in missing) if named else "them"
    return f"copy {names} into {cache_dir() / missing[0].subdir}, or {OFFLINE}"


def check_dataset(name: str, data_dir=None, download: bool = False) -> DatasetStatus:
    """The status of dataset ``name``: its files located and verified (those missing downloaded if
    ``download``), then loaded to count its splits."""
    info = DATASETS[name]
    status = DatasetStatus(name, info.description, "verified", note=info.note)
    status.verified_by = ", ".join(dict.fromkeys(spec.verified_by for spec in info.files)) or "-"
    if not info.files:
        status.sizes = load_dataset(name).sizes()
        status.message = "generated in memory"
        return status
    folders = search_folders(data_dir)
    missing, verified = [], {}
    for spec in info.files:
        path = find_file(spec, folders)
        if path is None:
            missing.append(spec)
            continue
        try:
            verify_file(spec, path)
        except DataError as exc:
            status.state, status.message = "invalid", str(exc)
            return status
        verified[spec.name] = path
        if path.parent not in status.folders:
            status.folders.append(path.parent)
    try:
        fetchable = [m for m in missing if m.downloadable or mirror_url()]
        if download and fetchable:
            try:
                downloaded = download_files(fetchable)
            except DataError as exc:
                status.state = "not downloaded"
                status.message = f"the download failed: {exc}. Without a network: {_offline(missing)}"
                return status
            for path in downloaded.values():
                if path.parent not in status.folders:
                    status.folders.append(path.parent)
            verified.update(downloaded)
            missing = [m for m in missing if m.name not in downloaded]
        if missing:
            status.state = "missing"
            names = ", ".join(m.name for m in missing)
            found = f"; found and verified: {', '.join(verified)}" if verified else ""
            if all(m.downloadable for m in missing):
                how = f"to get it: `emnist-tuner data --download`, or {_offline(missing, named=False)}"
            else:
                how = f"it cannot be downloaded: {_offline(missing, named=False)} (see docs/guides/data.md)"
            status.message = f"missing {names}{found}; {how}"
            return status
        status.sizes = load_dataset(name, files=verified).sizes()  # already verified: not hashed again
    except DataError as exc:
        status.state, status.message = "invalid", str(exc)
    return status


def check_all(data_dir=None, download: bool = False) -> list[DatasetStatus]:
    """``check_dataset`` for every dataset, in ``DATASETS``' order (an archive holding files of several,
    NIST's gzip.zip, downloaded once)."""
    with one_download_per_archive():
        return [check_dataset(name, data_dir, download) for name in DATASETS]
