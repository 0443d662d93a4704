"""Datasets from a user's own files: ``csv:PATH``, ``folder:PATH``, ``npz:PATH`` (every ``--dataset``).

A spec may end in options after ``#``, comma-separated (``csv:letters-train.csv#upright,mapping=m.txt``):

- ``csv:PATH`` (``csv_source``): ``transposed`` / ``upright``: how the pixels are stored (default:
  transposed when the file's name contains "emnist", as NIST stores EMNIST, else upright as MNIST);
  ``mapping=FILE``: the class mapping (default: ``<prefix>-mapping.txt`` beside ``<prefix>-train.csv``,
  where there is one); ``shape=HxW`` for images that are not square. The test split: the file named as
  PATH with its last "train" replaced by "test", where there is one (``emnist-letters-train.csv`` ->
  ``emnist-letters-test.csv``, ``mnist_train.csv`` -> ``mnist_test.csv``).
- ``folder:PATH`` (``folder_source``): class sub-folders, or ``train/`` and ``test/`` holding them.
- ``npz:PATH`` (``npz_source``): ``x_train``, ``y_train``, optional ``x_test``, ``y_test``, ``class_names``.

Labels become 0..K-1 in the sorted order of their values (EMNIST letters' 1..26 are 0..25, as the
built-in loader has them). A source without a test split gets a stratified, seeded one: 20 % of each
class (seed ``HELD_OUT_SEED``, whatever ``--seed``), never used for selection; the validation split is
carved from the rest as for the built-in datasets. The first read of a CSV or folder is cached
(``source_cache``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError, plural
from .datasets import HELD_OUT_SEED, DatasetInfo, stratified_split
from .source_cache import Content, cache_file, cache_key, content_of, read_cache, write_cache
from .source_readers import csv_shape

SCHEMES = ("csv", "folder", "npz")
CACHED = ("csv", "folder")  # an .npz is read as fast as the cache would be: not copied into it
TEST_FRACTION = 0.2  # of each class, held out as test where a source has no test split (as Binary AlphaDigits)
CSV_OPTIONS = ("transposed", "upright", "mapping", "shape")
FORMS = "csv:PATH, folder:PATH or npz:PATH"
SEPARATOR = "\x1f"  # between a file's role, name and sha256 in the cache's list of files


def is_source(name: str) -> bool:
    """Whether ``name`` is a source spec (``csv:``, ``folder:``, ``npz:``), not a built-in name."""
    scheme, colon, _ = name.partition(":")
    return bool(colon) and scheme in SCHEMES


@dataclass(frozen=True)
class Spec:
    """A parsed source spec: scheme, absolute path, options (sorted (name, value) pairs)."""

    scheme: str
    path: Path
    options: tuple[tuple[str, str], ...] = ()

    def option(self, name: str) -> str | None:
        """The option's value ("" for a flag), None when not given."""
        return dict(self.options).get(name)

    @property
    def options_text(self) -> str:
        """The options as written after ``#``."""
        return ",".join(f"{k}={v}" if v else k for k, v in self.options)

    @property
    def canonical(self) -> str:
        """The spec as runs store it: scheme, absolute resolved path, options."""
        return f"{self.scheme}:{self.path}" + (f"#{self.options_text}" if self.options else "")


def parse_spec(name: str) -> Spec:
    """The spec ``name``; ConfigError (exit 2, naming --dataset) for a bad option or a missing path."""
    scheme, _, rest = name.partition(":")
    if not rest.strip():
        raise ConfigError(f"--dataset {name}: give a path after '{scheme}:', e.g. {scheme}:data/letters")
    text, options = rest, ""
    if "#" in rest and not Path(rest).expanduser().exists():
        text, _, options = rest.rpartition("#")
    pairs = []
    for option in filter(None, options.split(",")):
        key, _, value = option.partition("=")
        if scheme != "csv" or key not in CSV_OPTIONS or (key in ("mapping", "shape")) != bool(value):
            known = "transposed, upright, mapping=FILE, shape=HxW" if scheme == "csv" else "none"
            raise ConfigError(f"--dataset {name}: unknown option '{option}' for {scheme}: sources (options: {known})")
        if key == "mapping":
            value = str(_existing(name, value, "mapping file"))
        pairs.append((key, value))
    if {"transposed", "upright"} <= {k for k, _ in pairs}:
        raise ConfigError(f"--dataset {name}: give transposed or upright, not both")
    path = _existing(name, text, "folder" if scheme == "folder" else f".{scheme} file")
    if (scheme == "folder") != path.is_dir():
        raise ConfigError(
            f"--dataset {name}: {path} is {'a file' if path.is_file() else 'a folder'}; give a "
            + ("folder of class folders" if scheme == "folder" else f".{scheme} file")
        )
    spec = Spec(scheme, path, tuple(sorted(pairs)))
    csv_shape(spec.option("shape"), name)
    return spec


def _existing(name: str, text: str, what: str) -> Path:
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise ConfigError(f"--dataset {name}: {path} does not exist; give an existing {what}")
    return path


def csv_partner(path: Path, word: str, suffix: str) -> Path | None:
    """The file beside ``path`` named with its last "train" (or "test") replaced by ``word``."""
    for part in ("train", "test"):
        at = path.stem.rfind(part)
        if at >= 0:
            other = path.with_name(path.stem[:at] + word + path.stem[at + len(part) :] + suffix)
            return other if other != path and other.is_file() else None
    return None


def source_files(spec: Spec) -> list[tuple[str, str, Path]]:
    """The files the source reads, as (role, name, path): what its content hash covers."""
    if spec.scheme == "folder":
        from .folder_source import image_files, layout

        parts, root = layout(spec.path), len(str(spec.path)) + 1
        return [
            (split, str(p)[root:].replace(os.sep, "/"), p)
            for split, folders in parts.items()
            for folder in folders
            for p in image_files(folder)
        ]
    files = [("data", spec.path.name, spec.path)]
    if spec.scheme == "csv":
        test = csv_partner(spec.path, "test", ".csv")
        mapping = Path(spec.option("mapping") or "") if spec.option("mapping") else None
        mapping = mapping or csv_partner(spec.path, "mapping", ".txt")
        files += [("test", test.name, test)] if test else []
        files += [("mapping", mapping.name, mapping)] if mapping else []
    return files


@dataclass
class Source:
    """A source read: its images (N, H, W) uint8 and labels 0..K-1, its own test split if it has one."""

    spec: Spec
    class_names: tuple[str, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    content: Content
    test_from: str = ""  # the file or folder of its own test split ("": carved)
    cached: bool = False  # read from the cache (not from the files)
    _split: tuple | None = field(default=None, repr=False)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(x_trainval, y_trainval, x_test, y_test): the test split its own or carved (20 %, seeded)."""
        if self.x_test is not None and self.y_test is not None:
            return self.x_train, self.y_train, self.x_test, self.y_test
        if self._split is None:
            keep, test = stratified_split(self.y_train, TEST_FRACTION, seed=HELD_OUT_SEED)
            self._split = (self.x_train[keep], self.y_train[keep], self.x_train[test], self.y_train[test])
        return self._split

    def test_split(self) -> dict:
        """How the test split was made, as ``origin.json`` records it."""
        images = len(self.arrays()[3])
        if self.test_from:
            return {"origin": "own", "from": self.test_from, "images": images}
        return {"origin": "carved", "seed": HELD_OUT_SEED, "fraction": TEST_FRACTION, "images": images}

    def to_cache(self) -> dict[str, np.ndarray]:
        """The arrays the cache keeps."""
        arrays = {"x_train": self.x_train, "y_train": self.y_train, "class_names": np.asarray(self.class_names)}
        arrays["test_from"] = np.asarray(self.test_from)
        arrays["content"] = np.asarray([SEPARATOR.join(entry) for entry in self.content.entries], dtype=str)
        if self.x_test is not None and self.y_test is not None:
            arrays.update(x_test=self.x_test, y_test=self.y_test)
        return arrays


_MEMO: dict[str, tuple[tuple, Source]] = {}  # canonical spec -> (the files' sizes and times, the source)


def forget() -> None:
    """Forget the sources read in this process (the next load checks the files and the cache again)."""
    _MEMO.clear()


def load_source(name: str) -> Source:
    """The source ``name`` (a spec): from this process' memory while its files are unchanged, else from
    the cache when its content was read before, else read (with a progress bar when large) and cached."""
    spec = parse_spec(name)
    files = source_files(spec)
    signature = tuple((str(p), *_size_and_time(p)) for _, _, p in files)
    known = _MEMO.get(spec.canonical)
    if known is not None and known[0] == signature:
        return known[1]
    content = content_of(files)
    key = cache_key(spec.scheme, spec.options_text, content)
    cached = spec.scheme in CACHED
    arrays = read_cache(key) if cached else None
    source = _from_cache(spec, content, arrays) if arrays is not None else None
    if source is None:
        source = _read(spec, files, content)
        if cached:
            write_cache(key, source.to_cache())
    _MEMO[spec.canonical] = (signature, source)
    return source


def _size_and_time(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def cache_entry(name: str) -> Path:
    """Where the source's arrays are (or would be) cached."""
    spec = parse_spec(name)
    return cache_file(cache_key(spec.scheme, spec.options_text, content_of(source_files(spec))))


def _from_cache(spec: Spec, content: Content, arrays: dict[str, np.ndarray]) -> Source | None:
    try:
        has_test = "x_test" in arrays
        return Source(
            spec,
            tuple(str(n) for n in arrays["class_names"]),
            arrays["x_train"],
            arrays["y_train"],
            arrays["x_test"] if has_test else None,
            arrays["y_test"] if has_test else None,
            content,
            str(arrays["test_from"]),
            cached=True,
        )
    except KeyError:  # an entry of another layout: read again
        return None


def _read(spec: Spec, files: list[tuple[str, str, Path]], content: Content) -> Source:
    from .source_readers import read_csv_source, read_folder_source, read_npz_source

    read = {"csv": read_csv_source, "folder": read_folder_source, "npz": read_npz_source}[spec.scheme]
    names, x_train, y_train, x_test, y_test, test_from = read(spec, {role: p for role, _, p in files})
    if len(np.unique(y_train)) < 2:
        raise DataError(
            f"{spec.path}: every training image is of one class ({names[int(y_train[0])] if len(y_train) else '-'}); "
            "a classifier needs two or more"
        )
    source = Source(spec, tuple(names), x_train, y_train, x_test, y_test, content, test_from)
    if not len(source.arrays()[3]):
        raise DataError(
            f"{spec.path}: no test images: "
            + (
                f"its test split {test_from} is empty"
                if test_from
                else f"{TEST_FRACTION:.0%} of each class, held out as test, rounds to none; give 3 or more images "
                "per class, or a test split of its own"
            )
        )
    return source


def source_info(name: str) -> DatasetInfo:
    """The ``DatasetInfo`` of a source (read, or from the cache): canonical name, class names, image shape."""
    source = load_source(name)
    x_all, _, x_test, _ = source.arrays()
    test = f"test split: {source.test_from}" if source.test_from else "no test split of its own: a seeded "
    test += "" if source.test_from else f"stratified {TEST_FRACTION:.0%} is held out as test"
    return DatasetInfo(
        source.spec.canonical,
        f"{source.spec.scheme} source {source.spec.path}: {len(x_all):,} train / {len(x_test):,} test, "
        f"{plural(len(source.class_names), 'class', 'classes')}",
        source.class_names,
        (int(x_all.shape[1]), int(x_all.shape[2])),
        (),
        note=test,
    )


def source_record(name: str) -> dict:
    """What a run records of the source it reads (``runfolder.origin``): the content hash of its files,
    their count, its cache entry, and how its test split was made."""
    source = load_source(name)
    return {
        "sha256": source.content.sha256,
        "files": len(source.content.entries),
        "key": cache_key(source.spec.scheme, source.spec.options_text, source.content),
        "test_split": source.test_split(),
    }


def source_changed(name: str, recorded: dict) -> str | None:
    """How the source's files differ from ``recorded`` (``source_record``), naming the first changed, added or
    removed file where the cache still lists the files it was read from; None when they are the same."""
    try:
        spec = parse_spec(name)
    except ConfigError:
        scheme, _, rest = name.partition(":")
        return f"whose {'folder' if scheme == 'folder' else 'file'} is gone ({rest.split('#')[0]} does not exist)"
    try:
        content = content_of(source_files(spec))
    except DataError as exc:
        return f"which cannot be read as it was ({exc})"
    if content.sha256 == recorded.get("sha256"):
        return None
    before = _cached_content(str(recorded.get("key", "")))
    which = content.changed_file(before) if before is not None else None
    then = str(recorded.get("sha256"))[:12]
    return f"whose files changed since ({which or spec.path}; content sha256 {then}… then, {content.sha256[:12]}… now)"


def _cached_content(key: str) -> Content | None:
    """The files (role, name, sha256) the cache entry ``key`` was read from, if it is still there."""
    import zipfile

    path = cache_file(key) if key.isalnum() else None
    try:
        with np.load(path, allow_pickle=False) as archive:  # type: ignore[arg-type]
            return Content(tuple(tuple(str(e).split(SEPARATOR)) for e in archive["content"]))  # type: ignore[misc]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
