"""EMNIST's other splits, from NIST's ``gzip.zip`` (the archive EMNIST Letters comes from): Balanced,
ByClass, ByMerge, Digits and MNIST. Each has its own train and test IDX files, images stored transposed
(like Letters) and labels from 0 (Letters' are 1..26); class names as in EMNIST's ``*-mapping.txt``.

Checksums of the official ``.gz`` files (none is published by NIST itself), from two public lists that
agree on every file both hold, and that give the sha256 this registry already had for EMNIST Letters and
MNIST:

- the Git-LFS pointers (``oid sha256`` and ``size``) of ``aurelienduarte/emnist`` on GitHub, commit
  845f29ee8fb6be30e60b115f638f0eab08bfe469, ``gzip/emnist-*-ubyte.gz`` (every split but ByMerge);
- ``mnists/hashes.py`` of the ``mnists`` package (``notwa/mnists`` on GitHub, commit
  2f0b985acf246e5c960d03e552e3c6e127b1b8a7): sha256 of every split, ByMerge included, no sizes.

ByMerge's sizes are published nowhere we found: its files are checked by sha256 alone (size 0: unknown).
A file without a published sha256 would be checked by its size and IDX header only (see ``files``).
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from ..errors import plural
from .files import DataFile

EMNIST_ZIP = ("https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",)
IMAGE_SHAPE = (28, 28)

DIGITS = tuple(string.digits)
UPPER = tuple(string.ascii_uppercase)
MERGED = DIGITS + UPPER + tuple("abdefghnqrt")  # balanced and bymerge: the 11 lowercase kept apart


@dataclass(frozen=True)
class Split:
    """One EMNIST split: its name, title, classes, image counts and the sha256 / size of its four files
    (train images, train labels, test images, test labels)."""

    name: str
    title: str
    class_names: tuple[str, ...]
    train: int
    test: int
    sums: tuple[tuple[str, int], tuple[str, int], tuple[str, int], tuple[str, int]]

    @property
    def description(self) -> str:
        """The line `data` shows: source, image counts, classes."""
        classes = plural(len(self.class_names), "class", "classes")
        return f"{self.title} (NIST): {self.train:,} train / {self.test:,} test, {classes}"

    def files(self) -> tuple[DataFile, ...]:
        """Its four files, each a member ``gzip/<name>`` of NIST's archive, with its IDX shape."""
        parts = [("train", "images-idx3"), ("train", "labels-idx1"), ("test", "images-idx3"), ("test", "labels-idx1")]
        specs = []
        for (part, kind), (sha256, size) in zip(parts, self.sums):
            name = f"{self.name}-{part}-{kind}-ubyte.gz"
            count = self.train if part == "train" else self.test
            shape = (count, *IMAGE_SHAPE) if kind.startswith("images") else (count,)
            specs.append(DataFile(name, self.name, sha256, size, EMNIST_ZIP, f"gzip/{name}", shape))
        return tuple(specs)


EMNIST_SPLITS = (
    Split(
        "emnist-balanced",
        "EMNIST Balanced",
        MERGED,
        112_800,
        18_800,
        (
            ("74295e75e4e9fa2c102147460ee7eb763653d5132d883a84fb88932bfb8d2db4", 28_207_740),
            ("b46d41e5156a0a8aaaa4d18979fdd1588850fa8571018acffd5d93b325a7d6ed", 80_618),
            ("117fc12b015e37ea98bfb2cbba3f77c3782c056cdbd219b87abfc8661d7135db", 4_714_707),
            ("a67cac948379b67270b9a4d0a01c8ec661598accf2f2b1964340b7c83cb175cd", 13_504),
        ),
    ),
    Split(
        "emnist-byclass",
        "EMNIST ByClass",
        DIGITS + UPPER + tuple(string.ascii_lowercase),
        697_932,
        116_323,
        (
            ("9e21987f03a6eb8b870187e785883ddad96947299587908f1a7ec2ca0f4be5f0", 173_367_313),
            ("f7ef403d48dc18a89dae0d83d11ee69cecb6e1c12c3a961d03712e495c02a8fa", 491_603),
            ("5ec835bd5d5b1a66378a132e727fef20fe994b3cc666899befcca5ac766f50cd", 28_908_322),
            ("501e305eeeacb093b162592d80e8a2632040872360fa6d85cfcb2200d91ca92a", 81_839),
        ),
    ),
    Split(
        "emnist-bymerge",
        "EMNIST ByMerge",
        MERGED,
        697_932,
        116_323,
        (  # sizes unpublished: sha256 only (mnists/hashes.py)
            ("39bf8c68037dad40db35348895f7e4e056e8c0a005ab78869c9fbc2c96e947be", 0),
            ("2c47293b9e62d6abf6ad05fbf67e40baa32adfd380b8d7b44dcc35534b64e1f1", 0),
            ("5e5815ec1b522089134435f7c55e75a00960b58414793593ffff23efc0821683", 0),
            ("8bda1516255683ba9071e141947ca0c91a911176065cdd6259b0b4d8dc5b5f35", 0),
        ),
    ),
    Split(
        "emnist-digits",
        "EMNIST Digits",
        DIGITS,
        240_000,
        40_000,
        (
            ("f7c95004d14d81af89522e67d8f0c781dfb3bd544181c81bfe1eb6b41c35b726", 59_515_779),
            ("6638a6ff5fe2eefd9cca2471995b46c82986b8e4b2a70d2f5ce8e05d7edb319e", 113_859),
            ("20ebe43509264f7639d37c835a3f0b009e90b29e00a099a03101abe1644a3f63", 9_908_519),
            ("bad1834c45d5988e270b99d43b13edc3fd898f658ffbc2caf2846ef27f7b05b0", 19_960),
        ),
    ),
    Split(
        "emnist-mnist",
        "EMNIST MNIST",
        DIGITS,
        60_000,
        10_000,
        (
            ("5f9942f441031c0f1f2e4d162059fd6e19ea808b34c328b6d16cab0ed24c78f2", 14_873_795),
            ("00c6d3c2342fdffb1711e0b5656cac4ce5862d2826399d383a9bac07d612e9f8", 29_480),
            ("b25640fa9e356c618132f5df347c95ef5bae6d9c2596be1de40f7e0ae1c3eac6", 2_484_884),
            ("bcc5385d38f083dba046f5f756e99b32f5ea7fad122c6243c71c2239873065ca", 5_144),
        ),
    ),
)
