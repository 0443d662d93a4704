"""The data layer: formats, orientation, splits, verification and the real files."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib

import numpy as np
import pytest
import scipy.io
from helpers import glyph_f, spec_for, write_idx_gz

from emnist_tuner.data import datasets
from emnist_tuner.data.datasets import load_dataset, read_idx, stratified_split, stratified_subset
from emnist_tuner.data.files import verify_file
from emnist_tuner.errors import ConfigError, DataError


def test_emnist_comes_out_upright_with_labels_from_zero(fake_emnist):
    d = load_dataset("emnist-letters", data_dir=fake_emnist)
    assert d.sizes() == (286, 26, 104)  # 26*12 train+val (1 per class to val), 26*4 test
    for x, y in ((d.x_train, d.y_train), (d.x_test, d.y_test)):
        assert x.dtype == np.uint8 and x.shape[1:] == (28, 28)
        glyph = x[0].copy()
        assert glyph[27, 27] == y[0] + 1  # class marker sits where the upright glyph put it
        glyph[27, 27] = 0
        np.testing.assert_array_equal(glyph, glyph_f())
    assert set(np.unique(d.y_test)) == set(range(26))


def test_validation_split_is_stratified_deterministic_and_disjoint():
    labels = np.repeat(np.arange(5), [10, 20, 30, 40, 1])
    keep_a, take_a = stratified_split(labels, 0.2, seed=3)
    keep_b, take_b = stratified_split(labels, 0.2, seed=3)
    np.testing.assert_array_equal(take_a, take_b)
    assert np.bincount(labels[take_a], minlength=5).tolist() == [2, 4, 6, 8, 0]  # a singleton stays in train
    assert len(np.intersect1d(keep_a, take_a)) == 0
    assert len(keep_a) + len(take_a) == len(labels)
    _, take_c = stratified_split(labels, 0.2, seed=4)
    assert not np.array_equal(take_a, take_c)


def test_subset_keeps_class_proportions():
    labels = np.repeat(np.arange(4), 100)
    idx = stratified_subset(labels, 40, seed=0)
    assert np.bincount(labels[idx]).tolist() == [10, 10, 10, 10]
    with pytest.raises(ConfigError, match="subset"):
        stratified_subset(labels, 0, seed=0)


def test_synthetic_dataset_needs_no_files():
    d = load_dataset("synthetic")
    assert d.sizes() == (540, 60, 200)
    assert d.x_train.dtype == np.uint8


def test_unknown_dataset_names_the_known_ones():
    known = "emnist-letters, emnist-balanced, emnist-byclass, emnist-bymerge, emnist-digits, emnist-mnist, mnist"
    with pytest.raises(ConfigError, match=f"unknown dataset 'emnist'; known: {known}"):
        load_dataset("emnist")


def test_missing_file_names_it_and_the_folders_searched(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset("mnist", data_dir=tmp_path)
    msg = str(err.value)
    assert "train-images-idx3-ubyte.gz" in msg and str(tmp_path) in msg and "--download" in msg


def test_missing_local_only_file_says_it_cannot_be_downloaded(tmp_path):
    with pytest.raises(DataError, match="cannot be downloaded"):
        load_dataset("emnist-letters-sample", data_dir=tmp_path, download=True)


# ---------------------------------------------------------------- corrupt files


def _registered(monkeypatch, name, files):
    info = datasets.DATASETS[name]
    monkeypatch.setitem(datasets.DATASETS, name, dataclasses.replace(info, files=tuple(files)))


def _mnist_like(folder, n_train=20, n_test=10, shape=(28, 28), train_labels=None):
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        train_labels if train_labels is not None else np.arange(n_train, dtype=np.uint8) % 10,
        rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        np.arange(n_test, dtype=np.uint8) % 10,
    ]
    info = datasets.DATASETS["mnist"]
    return [write_idx_gz(folder / f.name, a) for f, a in zip(info.files, arrays)]


def _register_as_mnist(monkeypatch, paths):
    _registered(monkeypatch, "mnist", [spec_for(p, f) for p, f in zip(paths, datasets.DATASETS["mnist"].files)])


def test_wrong_checksum_is_refused(tmp_path, monkeypatch):
    paths = _mnist_like(tmp_path)
    _register_as_mnist(monkeypatch, paths)
    data = bytearray(paths[0].read_bytes())
    data[-5] ^= 0xFF  # same size, different bytes
    paths[0].write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: sha256 .* does not match"):
        load_dataset("mnist", data_dir=tmp_path)


def test_real_mnist_checksum_rejects_a_stand_in(tmp_path):
    _mnist_like(tmp_path)
    with pytest.raises(DataError, match="train-images-idx3-ubyte.gz"):
        load_dataset("mnist", data_dir=tmp_path)


def test_truncated_gzip(tmp_path, monkeypatch):
    paths = _mnist_like(tmp_path)
    paths[0].write_bytes(paths[0].read_bytes()[:200])
    _register_as_mnist(monkeypatch, paths)  # sums of the truncated file: the gzip reader must catch it
    with pytest.raises(DataError, match="not a readable gzip file"):
        load_dataset("mnist", data_dir=tmp_path)


def test_bad_magic(tmp_path, monkeypatch):
    paths = _mnist_like(tmp_path)
    write_idx_gz(paths[0], np.zeros(20, dtype=np.uint8))  # a label file where images belong
    _register_as_mnist(monkeypatch, paths)
    with pytest.raises(DataError, match="IDX magic 0x00000801, expected 0x00000803"):
        load_dataset("mnist", data_dir=tmp_path)


def test_payload_shorter_than_header_says(tmp_path, monkeypatch):
    paths = _mnist_like(tmp_path)
    raw = gzip.decompress(paths[0].read_bytes())
    paths[0].write_bytes(gzip.compress(raw[:-100]))
    _register_as_mnist(monkeypatch, paths)
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_dataset("mnist", data_dir=tmp_path)


def test_wrong_image_shape(tmp_path, monkeypatch):
    _register_as_mnist(monkeypatch, _mnist_like(tmp_path, shape=(20, 16)))
    with pytest.raises(DataError, match="images are 20x16, expected 28x28"):
        load_dataset("mnist", data_dir=tmp_path)


def test_label_count_differs_from_image_count(tmp_path, monkeypatch):
    paths = _mnist_like(tmp_path, train_labels=np.zeros(19, dtype=np.uint8))
    _register_as_mnist(monkeypatch, paths)
    with pytest.raises(DataError, match="20 images but .* has 19 labels"):
        load_dataset("mnist", data_dir=tmp_path)


def test_unreadable_mat_file(tmp_path, monkeypatch):
    bad = tmp_path / "binaryalphadigs.mat"
    bad.write_bytes(b"MATLAB 5.0 MAT-file, but then nothing useful" * 10)
    _registered(monkeypatch, "binary-alphadigits", [spec_for(bad, datasets.DATASETS["binary-alphadigits"].files[0])])
    with pytest.raises(DataError, match="not a readable Binary AlphaDigits .mat file"):
        load_dataset("binary-alphadigits", data_dir=tmp_path)


def test_mat_file_with_wrong_layout(tmp_path, monkeypatch):
    cells = np.empty((10, 39), dtype=object)
    for i in range(10):
        for j in range(39):
            cells[i, j] = np.zeros((20, 16), dtype=np.uint8)
    path = tmp_path / "binaryalphadigs.mat"
    scipy.io.savemat(path, {"dat": cells})
    _registered(monkeypatch, "binary-alphadigits", [spec_for(path, datasets.DATASETS["binary-alphadigits"].files[0])])
    with pytest.raises(DataError, match="expected 36x39 cells"):
        load_dataset("binary-alphadigits", data_dir=tmp_path)


def test_read_idx_on_a_non_gzip_file(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(b"plain text")
    with pytest.raises(DataError, match="not a readable gzip"):
        read_idx(path, 2049)


# ---------------------------------------------------------------- the real files


@pytest.mark.realdata
def test_real_mnist(shared_data):
    d = load_dataset("mnist", data_dir=shared_data)
    assert len(d.y_train) + len(d.y_val) == 60_000 and len(d.y_test) == 10_000
    counts = np.bincount(np.concatenate([d.y_train, d.y_val]))
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(d.y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(len(d.y_val) / 60_000 - 0.1) < 0.001
    assert d.x_train.dtype == np.uint8 and d.x_train.max() == 255


@pytest.mark.realdata
def test_real_files_match_the_published_sums(shared_data):
    for name in ("mnist", "binary-alphadigits", "emnist-letters-sample"):
        for spec in datasets.DATASETS[name].files:
            path = next(shared_data.rglob(spec.name))
            verify_file(spec, path)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == spec.sha256


@pytest.mark.realdata
def test_real_emnist_label_files_verify(shared_data):
    for spec in datasets.DATASETS["emnist-letters"].files:
        if "labels" in spec.name:
            labels = read_idx(next(shared_data.rglob(spec.name)), 2049)
            assert np.bincount(labels).tolist()[1:] == [len(labels) // 26] * 26


@pytest.mark.realdata
def test_real_binary_alphadigits(shared_data):
    d = load_dataset("binary-alphadigits", data_dir=shared_data)
    assert sum(d.sizes()) == 1404 and d.x_test.shape[1:] == (20, 16)
    assert np.bincount(d.y_test).tolist() == [8] * 36  # the fixed held-out 20%
    assert set(np.unique(d.x_train)) == {0, 255}  # 0..255 white ink on black, as every dataset (the .mat: 0/1)
    again = load_dataset("binary-alphadigits", data_dir=shared_data, seed=7)
    np.testing.assert_array_equal(d.y_test, again.y_test)  # the test split does not move with --seed


@pytest.mark.realdata
def test_real_emnist_sample_is_upright(shared_data):
    d = load_dataset("emnist-letters-sample", data_dir=shared_data)
    assert sum(d.sizes()) == 10_013
    assert set(np.unique(d.y_test)) == set(range(13))  # A..M: N..Z have one image each, kept in train
    # The mean 'L' (class 11): the foot is at the bottom and the stem on the left. Transposed
    # (NIST's raw orientation) both comparisons flip.
    mean_l = d.x_train[d.y_train == 11].mean(axis=0)
    assert mean_l[14:].sum() > mean_l[:14].sum()
    assert mean_l[:, 6:14].sum() > mean_l[:, 16:24].sum()


def test_missing_data_names_the_offline_ways(tmp_path):
    with pytest.raises(DataError) as err:
        load_dataset("mnist", data_dir=tmp_path)
    assert "--data-dir DIR" in str(err.value) and "EMNIST_TUNER_DATA=DIR" in str(err.value)


def test_reading_the_test_split_needs_and_names_only_the_test_files(tmp_path, fake_emnist):
    with pytest.raises(DataError) as err:
        load_dataset("mnist", data_dir=tmp_path, test_only=True)
    assert "missing data file t10k-images-idx3-ubyte.gz" in str(err.value)  # not the training images
    for spec in datasets.DATASETS["emnist-letters"].files[:2]:
        (fake_emnist / spec.subdir / spec.name).unlink()  # no training files at all
    d = load_dataset("emnist-letters", data_dir=fake_emnist, test_only=True)
    assert d.sizes() == (0, 0, 26 * 4) and sorted(set(d.y_test.tolist())) == list(range(26))
    assert (d.x_test[:, 27, 27] == d.y_test + 1).all()  # upright, as the full load gives them
