"""The datasets: EMNIST Letters and EMNIST's other splits, MNIST, Binary AlphaDigits, the real EMNIST
sample, synthetic.

``load_dataset(name)`` returns uint8 image arrays (N, H, W), upright like MNIST, with
integer labels from 0, split into train / validation / test. The validation split is
carved from train (stratified, seeded); the test split is never used for model selection.
Every file is verified before it is read: by sha256, or where none is published by its size and IDX
header (see ``files`` and ``emnist_splits``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from .emnist_splits import EMNIST_SPLITS, EMNIST_ZIP
from .files import DataFile, locate_all
from .idx import read_alphadigits, read_idx, read_idx_pair  # noqa: F401 - read_idx: re-exported
from .union import is_union

_MNIST_URLS = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)
_ALPHADIGITS_URL = ("https://cs.nyu.edu/~roweis/data/binaryalphadigs.mat",)


def _mnist(name: str, sha256: str, size: int) -> DataFile:
    return DataFile(name, "mnist", sha256, size, tuple(base + name for base in _MNIST_URLS))


def _emnist(name: str, sha256: str, size: int) -> DataFile:
    return DataFile(name, "emnist-letters", sha256, size, EMNIST_ZIP, archive_member=f"gzip/{name}")


def _local(name: str, subdir: str, sha256: str, size: int) -> DataFile:
    return DataFile(name, subdir, sha256, size)


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset: its name, description, class names, image size and files (none: generated)."""

    name: str
    description: str
    class_names: tuple[str, ...]
    image_shape: tuple[int, int]
    files: tuple[DataFile, ...] = ()
    note: str = ""
    transposed: bool = False  # images stored transposed (NIST's EMNIST files): read upright
    label_offset: int = 0  # the files' first label (EMNIST Letters: 1), read as 0
    own_test_split: bool = False  # files: train images, train labels, test images, test labels

    @property
    def num_classes(self) -> int:
        """The number of classes (labels 0 .. num_classes - 1)."""
        return len(self.class_names)


LETTERS = tuple(string.ascii_uppercase)
DIGITS = tuple(string.digits)

DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo(
            "emnist-letters",
            "EMNIST Letters (NIST): 124,800 train / 20,800 test, 26 classes",
            LETTERS,
            (28, 28),
            (
                _emnist(
                    "emnist-letters-train-images-idx3-ubyte.gz",
                    "6288f418a917e007bf5fddb823a2dc7a5c6a35031401b93292a539cb12bd881f",
                    30_804_864,
                ),
                _emnist(
                    "emnist-letters-train-labels-idx1-ubyte.gz",
                    "9759af91ea6bccdf07a6040fd085861f2ec88e37f7c3f5760f6feb57106fbe5c",
                    79_283,
                ),
                _emnist(
                    "emnist-letters-test-images-idx3-ubyte.gz",
                    "50f0e93d75b99b463e9760b8345866f22587fa2c2fba472730a5ba09c693412d",
                    5_039_157,
                ),
                _emnist(
                    "emnist-letters-test-labels-idx1-ubyte.gz",
                    "924955c31fe7fd809b7303b5c0141282955f4b8390c74cdfd5d80435e0f4b4cb",
                    144,
                ),
            ),
            transposed=True,
            label_offset=1,
            own_test_split=True,
        ),
        *(
            DatasetInfo(s.name, s.description, s.class_names, (28, 28), s.files(), transposed=True, own_test_split=True)
            for s in EMNIST_SPLITS
        ),
        DatasetInfo(
            "mnist",
            "MNIST digits: 60,000 train / 10,000 test, 10 classes",
            DIGITS,
            (28, 28),
            (
                _mnist(
                    "train-images-idx3-ubyte.gz",
                    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                    9_912_422,
                ),
                _mnist(
                    "train-labels-idx1-ubyte.gz",
                    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
                    28_881,
                ),
                _mnist(
                    "t10k-images-idx3-ubyte.gz",
                    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
                    1_648_877,
                ),
                _mnist(
                    "t10k-labels-idx1-ubyte.gz",
                    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
                    4_542,
                ),
            ),
            own_test_split=True,
        ),
        DatasetInfo(
            "binary-alphadigits",
            "Binary AlphaDigits (Roweis): 1,404 binary 20x16 images, 36 classes x 39",
            DIGITS + LETTERS,
            (20, 16),
            (
                DataFile(
                    "binaryalphadigs.mat",
                    "binaryalphadigits",
                    "3ee9392e64e4e3bb7b35502b69bf2555a0b4197c1b31048c4189b84bc0bc6ea7",
                    532_304,
                    _ALPHADIGITS_URL,
                ),
            ),
            note="no official test split: a seeded stratified 20% is held out as test",
        ),
        DatasetInfo(
            "emnist-letters-sample",
            "10,013 real EMNIST Letters test images (800 each of A-L, 400 M, 1 each N-Z)",
            LETTERS,
            (28, 28),
            (
                _local(
                    "emnist-letters-sample-images-idx3-ubyte.gz",
                    "emnist-letters",
                    "6df9c6b410a1c0d97aa4a74abb39546ff1f820443977beaa3a11f5324c4c38ce",
                    2_352_920,
                ),
                _local(
                    "emnist-letters-sample-labels-idx1-ubyte.gz",
                    "emnist-letters",
                    "46587a95c0e67a24bcb1d7d73ebb4d27eb6abedae983ae159fbcf7e0f35f2cf7",
                    132,
                ),
            ),
            note="a partial real sample, not the full EMNIST: its own train/val/test split, test covers A-M",
            transposed=True,
            label_offset=1,
        ),
        DatasetInfo(
            "synthetic",
            "generated 28x28 glyphs, 10 classes (for tests and demos; no files)",
            tuple(f"g{i}" for i in range(10)),
            (28, 28),
            note="not handwriting: never report its accuracy as a result",
        ),
    )
}


@dataclass
class Dataset:
    """Images (N, H, W) uint8 and labels (N,) int64, split three ways."""

    info: DatasetInfo
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The dataset's name (``DATASETS``' key)."""
        return self.info.name

    def sizes(self) -> tuple[int, int, int]:
        """Number of training, validation and test images."""
        return len(self.y_train), len(self.y_val), len(self.y_test)

    def train_and_val(self) -> tuple[np.ndarray, np.ndarray]:
        """Training and validation images and labels together (the final training uses both)."""
        return np.concatenate([self.x_train, self.x_val]), np.concatenate([self.y_train, self.y_val])


def get_info(name: str) -> DatasetInfo:
    """The ``DatasetInfo`` of dataset ``name``, a built-in name or a source spec (``data.sources``: read
    once, then cached); ConfigError for an unknown name, DataError for a source's bad data."""
    from . import sources, union

    if union.is_union(name):
        return union.union_info(name)
    if sources.is_source(name):
        return sources.source_info(name)
    try:
        return DATASETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown dataset '{name}'; known: {', '.join(DATASETS)}; or {sources.FORMS}; or a union, "
            "e.g. mnist+emnist-letters-sample"
        ) from None


def canonical_dataset(name: str) -> str:
    """The form of ``name`` a run's config stores: a source spec with its path absolute and resolved (see
    ``data.sources``), a built-in name unchanged."""
    from . import sources

    return sources.parse_spec(name).canonical if sources.is_source(name) else name


# ---------------------------------------------------------------- splits


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split indices per class: (kept, taken) with round(fraction * n) taken of each class.

    A class keeps at least one image in ``kept``. Deterministic for a given seed.
    """
    rng = np.random.default_rng(seed)
    kept, taken = [], []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        rng.shuffle(idx)
        n_take = min(len(idx) - 1, int(round(fraction * len(idx))))
        taken.append(idx[:n_take])
        kept.append(idx[n_take:])
    return np.sort(np.concatenate(kept)), np.sort(np.concatenate(taken))


def stratified_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices of a stratified subset of exactly ``size`` images (class proportions kept: each class gets
    its share rounded down, the images left over go to the classes with the largest remainders)."""
    if size >= len(labels):
        return np.arange(len(labels))
    if size < 1:
        raise ConfigError(f"--subset must be at least 1, got {size}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    share = size * counts / len(labels)
    take = np.floor(share).astype(int)
    take[np.argsort(-(share - take), kind="stable")[: size - int(take.sum())]] += 1
    taken = []
    for cls, n in zip(classes, take):
        idx = np.flatnonzero(labels == cls)
        rng.shuffle(idx)
        taken.append(idx[:n])
    return np.sort(np.concatenate(taken))


# ---------------------------------------------------------------- loading


HELD_OUT_SEED = 20_813  # fixed: the held-out test split never changes with --seed


def _raw_arrays(info: DatasetInfo, files: dict[str, Path]):
    """Return (x_trainval, y_trainval, x_test, y_test) for a file-backed dataset."""
    p = [files[f.name] for f in info.files]
    if info.own_test_split:
        return (*_idx_split(info, p[0], p[1]), *_idx_split(info, p[2], p[3]))
    if len(p) == 2:  # an IDX pair without a test split (the EMNIST sample): the test split is carved below
        x, y = _idx_split(info, p[0], p[1])
    else:  # binary-alphadigits: the .mat holds 0/1; every dataset is 0..255, white ink on black
        x, y = read_alphadigits(p[0])
        x = x * np.uint8(255)
    keep, test = stratified_split(y, 0.2, seed=HELD_OUT_SEED)
    return x[keep], y[keep], x[test], y[test]


def _idx_split(info: DatasetInfo, images: Path, labels: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of an IDX pair: transposed images (EMNIST's) upright, labels from 0 (EMNIST
    Letters' 1..26 as 0..25)."""
    x, y = read_idx_pair(images, labels, info.image_shape)
    return (_emnist_upright(x) if info.transposed else x), (y - info.label_offset if info.label_offset else y)


def test_files(info: DatasetInfo) -> tuple[DataFile, ...]:
    """The files holding ``info``'s held-out test split: its own test files (MNIST's, EMNIST's); the
    whole dataset where the test split is carved from it."""
    return info.files[2:] if info.own_test_split else info.files


def _emnist_upright(images: np.ndarray) -> np.ndarray:
    """NIST stores EMNIST images transposed; return them upright (MNIST orientation)."""
    return np.ascontiguousarray(images.transpose(0, 2, 1))


def load_dataset(
    name: str,
    data_dir=None,
    download: bool = False,
    val_fraction: float = 0.1,
    seed: int = 0,
    mirror: str | None = None,
    files: dict[str, Path] | None = None,
    test_only: bool = False,
) -> Dataset:
    """Load, verify and split a dataset (see the module docstring). ``files``: paths already located
    and verified (by file name), to skip the search and the checksums. ``test_only``: only the held-out
    test split is needed (reading a run's results): only its files are looked for, and where they are
    the dataset's own test files, the training and validation splits are left empty."""
    info = get_info(name)
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"validation fraction must be between 0 and 1, got {val_fraction}")
    if is_union(name):  # a union (``data.union``): its parts, put together
        from .union import load_union

        load = dict(data_dir=data_dir, download=download, val_fraction=val_fraction, seed=seed, mirror=mirror)
        return load_union(name, files=files, test_only=test_only, **load)  # type: ignore[return-value]
    needed = test_files(info) if test_only else info.files
    if needed != info.files:
        files = files or locate_all(needed, data_dir=data_dir, download=download, mirror=mirror)
        x_test, y_test = _idx_split(info, *(files[f.name] for f in needed))
        empty_x, empty_y = np.zeros((0, *info.image_shape), np.uint8), np.zeros(0, np.int64)
        return Dataset(info, empty_x, empty_y, empty_x, empty_y, x_test, y_test, files)
    if info.files == () and name != "synthetic":  # a user's source (``data.sources``)
        from .sources import load_source

        files = {}
        x_all, y_all, x_test, y_test = load_source(name).arrays()
    elif name == "synthetic":
        from .synthetic import synthetic_arrays

        files = {}
        x_all, y_all, x_test, y_test = synthetic_arrays()
    else:
        files = files or locate_all(info.files, data_dir=data_dir, download=download, mirror=mirror)
        x_all, y_all, x_test, y_test = _raw_arrays(info, files)
    if y_all.min() < 0 or y_all.max() >= info.num_classes:
        raise DataError(f"{name}: labels outside 0..{info.num_classes - 1}; the label file is not for this dataset")
    train, val = stratified_split(y_all, val_fraction, seed)
    return Dataset(info, x_all[train], y_all[train], x_all[val], y_all[val], x_test, y_test, files)
