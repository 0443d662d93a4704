"""EMNIST's other splits: read upright with labels from 0 and their class names; files without a
published sha256 checked by size and IDX header; the test-only load."""

from __future__ import annotations

import dataclasses
import string

import numpy as np
import pytest
from helpers import glyph_f, write_idx_gz, write_split

from emnist_tuner.data import datasets
from emnist_tuner.data.datasets import load_dataset
from emnist_tuner.data.files import verify_file
from emnist_tuner.errors import DataError

SPLITS = {
    "emnist-balanced": (47, 112_800, 18_800),
    "emnist-byclass": (62, 697_932, 116_323),
    "emnist-bymerge": (47, 697_932, 116_323),
    "emnist-digits": (10, 240_000, 40_000),
    "emnist-mnist": (10, 60_000, 10_000),
}
MERGED = list(string.digits + string.ascii_uppercase + "abdefghnqrt")


def _register(monkeypatch, name, specs):
    info = datasets.DATASETS[name]
    monkeypatch.setitem(datasets.DATASETS, name, dataclasses.replace(info, files=tuple(specs)))


def test_every_split_is_registered_with_its_classes_counts_and_nist_files():
    assert list(datasets.DATASETS)[:6] == ["emnist-letters", *SPLITS]
    names = {name: list(datasets.DATASETS[name].class_names) for name in SPLITS}
    assert names["emnist-balanced"] == names["emnist-bymerge"] == MERGED
    assert names["emnist-byclass"] == list(string.digits + string.ascii_uppercase + string.ascii_lowercase)
    assert names["emnist-digits"] == names["emnist-mnist"] == list(string.digits)
    for name, (classes, train, test) in SPLITS.items():
        info = datasets.DATASETS[name]
        assert info.num_classes == classes and info.image_shape == (28, 28)
        assert f"{train:,} train / {test:,} test, {classes} classes" in info.description
        assert [f.idx_shape[0] for f in info.files] == [train, train, test, test]
        for spec in info.files:
            assert spec.urls == ("https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip",)
            assert spec.archive_member == f"gzip/{spec.name}" and spec.name.startswith(name + "-")
            assert len(spec.sha256) == 64 and spec.verified_by == "sha256"


@pytest.mark.parametrize("name", list(SPLITS))
def test_a_split_comes_out_upright_with_labels_from_zero(name, tmp_path, monkeypatch):
    _register(monkeypatch, name, write_split(tmp_path, name))
    d = load_dataset(name, data_dir=tmp_path)
    k = SPLITS[name][0]
    assert sorted(set(d.y_test.tolist())) == list(range(k))
    assert sorted(set(np.concatenate([d.y_train, d.y_val]).tolist())) == list(range(k))
    for x, y in ((d.x_train, d.y_train), (d.x_test, d.y_test)):
        assert (x[:, 27, 27] == y + 1).all()  # the label sits where the upright glyph put it
        glyph = x[0].copy()
        glyph[27, 27] = 0
        np.testing.assert_array_equal(glyph, glyph_f())


def test_the_test_only_load_reads_only_the_test_files(tmp_path, monkeypatch):
    specs = write_split(tmp_path, "emnist-balanced", per_class=(2, 3))
    _register(monkeypatch, "emnist-balanced", specs)
    for spec in specs[:2]:
        (tmp_path / spec.subdir / spec.name).unlink()  # no training files at all
    d = load_dataset("emnist-balanced", data_dir=tmp_path, test_only=True)
    assert d.sizes() == (0, 0, 47 * 3) and (d.x_test[:, 27, 27] == d.y_test + 1).all()
    assert sorted(d.files) == [specs[2].name, specs[3].name]
    with pytest.raises(DataError, match="missing data file emnist-balanced-train-images-idx3-ubyte.gz"):
        load_dataset("emnist-balanced", data_dir=tmp_path)


# ------------------------------------------------------------------ no published sha256


def _unpublished(tmp_path, monkeypatch, name="emnist-digits"):
    specs = write_split(tmp_path, name, sha256=False)
    _register(monkeypatch, name, specs)
    return specs, [tmp_path / s.subdir / s.name for s in specs]


def test_without_a_sha256_a_good_file_verifies_by_size_and_header(tmp_path, monkeypatch):
    specs, paths = _unpublished(tmp_path, monkeypatch)
    assert [s.verified_by for s in specs] == ["size + IDX header"] * 4
    assert dataclasses.replace(specs[0], size=0).verified_by == "IDX header"
    assert load_dataset("emnist-digits", data_dir=tmp_path).sizes() == (20, 0, 10)


@pytest.mark.parametrize(
    "damage, phrase",
    [
        ("magic", "IDX magic 0x00000803, expected 0x00000801 for labels (idx1)"),
        ("count", "IDX header says shape (21,), but the real emnist-digits-train-labels-idx1-ubyte.gz is (20,)"),
        ("size", "but the real emnist-digits-train-labels-idx1-ubyte.gz has"),
        ("not gzip", "not a readable gzip file"),
    ],
)
def test_without_a_sha256_a_wrong_file_is_refused_naming_it(damage, phrase, tmp_path, monkeypatch):
    specs, paths = _unpublished(tmp_path, monkeypatch)
    spec, path = specs[1], paths[1]  # the train labels: 20 of them
    if damage == "magic":
        write_idx_gz(path, np.zeros((20, 1, 1), np.uint8))
        spec = dataclasses.replace(spec, size=path.stat().st_size)
    elif damage == "count":
        write_idx_gz(path, np.zeros(21, np.uint8))
        spec = dataclasses.replace(spec, size=path.stat().st_size)
    elif damage == "size":
        write_idx_gz(path, np.zeros(2000, np.uint8))
    else:
        path.write_bytes(b"\x1f\x8bnot gzip at all")
        spec = dataclasses.replace(spec, size=0)
    with pytest.raises(DataError) as err:
        verify_file(spec, path)
    assert str(err.value).startswith(f"{path}: ") and phrase in str(err.value)


def test_without_a_sha256_or_size_a_truncated_file_is_refused_when_read(tmp_path, monkeypatch):
    specs, paths = _unpublished(tmp_path, monkeypatch)
    specs[2] = dataclasses.replace(specs[2], size=0)  # size unknown: the header alone cannot see the cut
    _register(monkeypatch, "emnist-digits", specs)
    noise = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    data = write_idx_gz(paths[2], noise).read_bytes()
    paths[2].write_bytes(data[: len(data) // 2])
    verify_file(specs[2], paths[2])  # its header is whole
    with pytest.raises(DataError) as err:
        load_dataset("emnist-digits", data_dir=tmp_path)
    assert str(err.value).startswith(f"{paths[2]}: not a readable gzip file")
