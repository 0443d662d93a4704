"""The numbers of the data splits: how many images of each class go to validation, to a subset and
to the held-out test split, that the splits never overlap, and that --seed moves them (except test)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from emnist_tuner.data import datasets
from emnist_tuner.data.datasets import HELD_OUT_SEED, load_dataset, stratified_split, stratified_subset
from emnist_tuner.data.prepare import prepare_data
from emnist_tuner.errors import ConfigError, DataError

_SYNTHETIC = {}


@pytest.fixture(autouse=True)
def synthetic_once(monkeypatch):
    """The synthetic images are drawn once for the module (drawing them is most of each test's time)."""
    from emnist_tuner.data import synthetic

    draw = synthetic.synthetic_arrays

    def cached(seed: int = 1234):
        if seed not in _SYNTHETIC:
            _SYNTHETIC[seed] = draw(seed)
        return tuple(a.copy() for a in _SYNTHETIC[seed])

    monkeypatch.setattr(synthetic, "synthetic_arrays", cached)


def test_each_class_gives_its_rounded_share_to_validation_and_keeps_one():
    labels = np.repeat(np.arange(6), [2, 5, 7, 15, 25, 1])
    kept, taken = stratified_split(labels, 0.3, seed=0)
    # round(0.3 n): 0.6 -> 1, 1.5 -> 2, 2.1 -> 2, 4.5 -> 4 (to even), 7.5 -> 8; a class of one keeps it
    assert np.bincount(labels[taken], minlength=6).tolist() == [1, 2, 2, 4, 8, 0]
    assert np.bincount(labels[kept], minlength=6).tolist() == [1, 3, 5, 11, 17, 1]
    assert np.all(np.diff(kept) > 0) and np.all(np.diff(taken) > 0)  # sorted, so no index twice
    assert sorted(np.concatenate([kept, taken]).tolist()) == list(range(len(labels)))


def test_a_large_fraction_still_keeps_one_image_of_each_class():
    labels = np.repeat(np.arange(3), 4)
    kept, taken = stratified_split(labels, 0.99, seed=1)
    assert np.bincount(labels[kept]).tolist() == [1, 1, 1] and len(taken) == 9


def test_the_split_is_random_within_a_class_and_fixed_by_the_seed():
    labels = np.zeros(1000, dtype=int)
    _, a = stratified_split(labels, 0.1, seed=5)
    _, b = stratified_split(labels, 0.1, seed=5)
    _, c = stratified_split(labels, 0.1, seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and len(a) == 100
    assert a.min() < 500 < a.max()  # drawn from the whole class, not its first images


@pytest.mark.parametrize("size", [1, 7, 10, 33, 99])
def test_a_subset_has_exactly_the_size_asked_for(size):
    labels = np.repeat(np.arange(3), [50, 30, 20])
    assert len(stratified_subset(labels, size, seed=0)) == size


def test_a_subset_gives_the_leftover_images_to_the_largest_remainders():
    labels = np.repeat(np.arange(3), [50, 30, 20])
    # shares of 7: 3.5, 2.1, 1.4 -> floors 3, 2, 1 and the one left over to class 0 (remainder 0.5)
    assert np.bincount(labels[stratified_subset(labels, 7, seed=0)]).tolist() == [4, 2, 1]
    # shares of 9: 4.5, 2.7, 1.8 -> 4, 2, 1; two left: class 2 (0.8) and class 1 (0.7)
    assert np.bincount(labels[stratified_subset(labels, 9, seed=0)]).tolist() == [4, 3, 2]
    # equal remainders: the lower class first
    equal = np.repeat(np.arange(4), 10)
    assert np.bincount(equal[stratified_subset(equal, 6, seed=0)]).tolist() == [2, 2, 1, 1]


def test_a_subset_is_sorted_random_within_classes_and_fixed_by_the_seed():
    labels = np.repeat(np.arange(2), 500)
    a, b, c = (stratified_subset(labels, 100, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and np.all(np.diff(a) > 0)
    assert a[:50].max() > 100  # not the first 50 of class 0


def test_a_subset_as_large_as_the_data_is_all_of_it_and_an_empty_one_is_refused():
    labels = np.array([2, 0, 1, 1])
    np.testing.assert_array_equal(stratified_subset(labels, 4, seed=0), [0, 1, 2, 3])
    np.testing.assert_array_equal(stratified_subset(labels, 10, seed=0), [0, 1, 2, 3])
    with pytest.raises(ConfigError, match="--subset must be at least 1, got 0"):
        stratified_subset(labels, 0, seed=0)


def test_validation_is_carved_from_train_and_the_test_split_ignores_the_seed():
    a = load_dataset("synthetic", seed=0)
    b = load_dataset("synthetic", seed=1, val_fraction=0.25)
    assert a.sizes() == (540, 60, 200) and b.sizes() == (450, 150, 200)
    np.testing.assert_array_equal(a.x_test, b.x_test)
    c = load_dataset("synthetic", seed=1)
    assert not np.array_equal(a.x_val, c.x_val)  # --seed draws another validation split
    assert np.bincount(b.y_val).tolist() == [15] * 10  # stratified: 25% of each class's 60
    x, y = a.train_and_val()
    assert len(x) == len(y) == 600
    np.testing.assert_array_equal(y[:540], a.y_train)
    np.testing.assert_array_equal(x[540:], a.x_val)


@pytest.mark.parametrize("fraction", [0.0, 1.0, 1.5])
def test_a_validation_fraction_outside_0_and_1_is_refused(fraction):
    with pytest.raises(ConfigError, match=f"validation fraction must be between 0 and 1, got {fraction}"):
        load_dataset("synthetic", val_fraction=fraction)


def test_labels_outside_the_dataset_classes_are_refused(monkeypatch):
    from emnist_tuner.data import synthetic

    x, y, xt, yt = synthetic.synthetic_arrays()
    for bad in (-1, 10):
        labels = y.copy()
        labels[3] = bad
        monkeypatch.setattr(synthetic, "synthetic_arrays", lambda labels=labels: (x, labels, xt, yt))
        with pytest.raises(
            DataError, match=r"synthetic: labels outside 0\.\.9; the label file is not for this dataset"
        ):
            load_dataset("synthetic")


def test_datasets_without_a_test_split_hold_out_a_fixed_fifth(monkeypatch):
    # 0/1 as in the .mat, and each image its own (the bits of its index): a split is seen in the images
    images = ((np.arange(200)[:, None] >> np.arange(8)) & 1).astype(np.uint8).reshape(200, 8, 1)
    labels = np.repeat(np.arange(36), 6)[:200].astype(np.int64)
    monkeypatch.setattr(datasets, "read_alphadigits", lambda path: (images, labels))
    info = dataclasses.replace(datasets.DATASETS["binary-alphadigits"])
    x_trainval, y_trainval, x_test, y_test = datasets._raw_arrays(info, {info.files[0].name: "unused.mat"})
    keep, test = stratified_split(labels, 0.2, seed=HELD_OUT_SEED)
    np.testing.assert_array_equal(y_test, labels[test])
    np.testing.assert_array_equal(x_test, images[test] * 255)  # 0..255 as every dataset
    np.testing.assert_array_equal(x_trainval, images[keep] * 255)
    np.testing.assert_array_equal(y_trainval, labels[keep])
    assert len(y_test) == sum(round(0.2 * n) for n in np.bincount(labels))


def test_the_emnist_sample_is_turned_upright_labelled_from_0_and_split(monkeypatch):
    images = np.arange(52 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(52, 28, 28)
    labels = np.repeat(np.arange(1, 27), 2).astype(np.int64)
    monkeypatch.setattr(datasets, "read_idx_pair", lambda a, b, shape: (images, labels))
    info = datasets.DATASETS["emnist-letters-sample"]
    x, y, x_test, y_test = datasets._raw_arrays(info, {f.name: f.name for f in info.files})
    keep, test = stratified_split(labels - 1, 0.2, seed=HELD_OUT_SEED)
    np.testing.assert_array_equal(y, labels[keep] - 1)
    np.testing.assert_array_equal(x_test, images[test].transpose(0, 2, 1))
    assert y.min() == 0 and len(y) + len(y_test) == 52


def test_mnist_files_are_read_as_they_are(monkeypatch):
    pairs = iter([("x-train", "y-train"), ("x-test", "y-test")])
    calls = []

    def read(images, labels, shape):
        calls.append((images, labels, shape))
        return next(pairs)

    monkeypatch.setattr(datasets, "read_idx_pair", read)
    info = datasets.DATASETS["mnist"]
    files = {f.name: f"/d/{f.name}" for f in info.files}
    assert datasets._raw_arrays(info, files) == ("x-train", "y-train", "x-test", "y-test")
    assert calls == [
        ("/d/train-images-idx3-ubyte.gz", "/d/train-labels-idx1-ubyte.gz", (28, 28)),
        ("/d/t10k-images-idx3-ubyte.gz", "/d/t10k-labels-idx1-ubyte.gz", (28, 28)),
    ]


# ------------------------------------------------------------------ prepare_data


def test_a_subset_shrinks_validation_in_proportion_and_keeps_test_whole():
    whole = prepare_data("synthetic")
    d = prepare_data("synthetic", subset=90, seed=2)
    assert d.sizes() == (90, 10, 200)  # 90 * 0.1 / 0.9 = 10
    np.testing.assert_array_equal(d.x_test, whole.x_test)
    assert np.bincount(d.y_train).tolist() == [9] * 10
    d = prepare_data("synthetic", subset=120, seed=2, val_fraction=0.2)
    assert d.sizes() == (120, 30, 200)  # 120 * 0.2 / 0.8 = 30
    assert set(d.y_val.tolist()) == set(range(10))


def test_a_tiny_subset_still_validates_on_every_class():
    d = prepare_data("synthetic", subset=20)
    assert d.sizes() == (20, 10, 200)  # round(2.2) = 2 would leave classes out: one each


def test_the_subset_images_come_from_the_split_they_belong_to():
    whole = prepare_data("synthetic", seed=4)
    d = prepare_data("synthetic", subset=50, seed=4)
    train = {x.tobytes() for x in whole.x_train}
    val = {x.tobytes() for x in whole.x_val}
    assert all(x.tobytes() in train for x in d.x_train) and all(x.tobytes() in val for x in d.x_val)
    for x, y in zip(d.x_train, d.y_train):
        index = next(i for i, w in enumerate(whole.x_train) if np.array_equal(w, x))
        assert whole.y_train[index] == y


def test_a_subset_of_all_training_images_or_more_is_the_whole_split():
    said = []
    whole = prepare_data("synthetic", say=said.append)
    same = prepare_data("synthetic", subset=540, say=said.append)
    assert said == [] and same.sizes() == whole.sizes()
    more = prepare_data("synthetic", subset=5000, say=said.append)
    assert more.sizes() == whole.sizes()
    assert said == ["--subset 5,000 is more than the 540 training images of synthetic: training on all of them"]
    prepare_data("synthetic", subset=5000)  # nobody to tell: fine


def test_the_default_seed_is_0():
    np.testing.assert_array_equal(load_dataset("synthetic").y_val, load_dataset("synthetic", seed=0).y_val)
    a, b = prepare_data("synthetic", subset=50), prepare_data("synthetic", subset=50, seed=0)
    np.testing.assert_array_equal(a.x_train, b.x_train)


def test_prepare_data_passes_the_seed_and_the_validation_fraction_on():
    assert prepare_data("synthetic", val_fraction=0.2).sizes() == (480, 120, 200)
    a, b = prepare_data("synthetic", seed=0), prepare_data("synthetic", seed=1)
    assert not np.array_equal(a.x_val, b.x_val)
    c, d = prepare_data("synthetic", subset=50, seed=3), prepare_data("synthetic", subset=50, seed=3)
    np.testing.assert_array_equal(c.x_train, d.x_train)
    np.testing.assert_array_equal(c.x_val, d.x_val)
    assert len(c.x_val) == len(c.y_val) == 10


def test_prepare_data_reads_from_the_data_folder_given(fake_emnist):
    d = prepare_data("emnist-letters", subset=52, data_dir=fake_emnist)
    assert d.sizes() == (52, 26, 104) and len(d.files) == 4


def test_a_datasets_files_are_kept_with_it(fake_emnist, monkeypatch):
    assert load_dataset("synthetic").files == {}
    assert sorted(load_dataset("emnist-letters", data_dir=fake_emnist).files) == sorted(
        f.name for f in datasets.DATASETS["emnist-letters"].files
    )
    asked = {}

    def locate(files, **kwargs):
        asked.update(kwargs)
        raise DataError("stop here")

    monkeypatch.setattr(datasets, "locate_all", locate)
    with pytest.raises(DataError, match="stop here"):
        load_dataset("mnist", data_dir="/d", download=True, mirror="http://m/")
    assert asked == {"data_dir": "/d", "download": True, "mirror": "http://m/"}


def test_equal_remainders_go_to_the_lower_classes_among_many():
    labels = np.repeat(np.arange(36), 10)  # 40 of 360: 1.11 each, four left over, all remainders equal
    counts = np.bincount(labels[stratified_subset(labels, 40, seed=0)])
    assert counts.tolist() == [2] * 4 + [1] * 32


def test_a_subset_of_exactly_the_training_images_keeps_the_whole_validation_split():
    # 13 %: 8 of each class's 60 to validation (80), 520 left; a subset of 520 "in proportion" would be 78
    whole = prepare_data("synthetic", val_fraction=0.13)
    same = prepare_data("synthetic", subset=520, val_fraction=0.13)
    assert whole.sizes() == same.sizes() == (520, 80, 200)
