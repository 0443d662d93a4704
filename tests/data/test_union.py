"""Unions of datasets (``mnist+emnist-letters-sample``): the classes in order of first appearance, each
part's splits put together with its labels renumbered, and one `error:` line (exit 2) for a bad name."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import run_cli
from optional import SHARED_DATA, require

from emnist_tuner.data.datasets import get_info, load_dataset
from emnist_tuner.data.naming import dataset_slug
from emnist_tuner.data.union import is_union
from emnist_tuner.errors import ConfigError


def test_a_union_has_its_parts_classes_in_order_of_first_appearance():
    info = get_info("mnist+emnist-letters-sample")
    assert info.class_names == tuple("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert info.class_names == get_info("binary-alphadigits").class_names  # the target transfer is for
    assert info.image_shape == (28, 28) and info.name == "mnist+emnist-letters-sample"
    assert {f.name for f in info.files} == {
        f.name for f in get_info("mnist").files + get_info("emnist-letters-sample").files
    }
    shared = get_info("emnist-digits+mnist")  # the same class names: one class each
    assert shared.class_names == tuple("0123456789")
    assert dataset_slug("mnist+emnist-letters-sample") == "mnist+emnist-letters-sample"
    assert is_union("mnist+emnist-letters-sample") and not is_union("csv:/data/a+b.csv")  # a '+' in a source path


@pytest.mark.parametrize(
    "name, said",
    [
        ("mnist+", "join two or more datasets with '+'"),
        ("mnist+nosuch", "unknown part 'nosuch'"),
        ("mnist+mnist", "mnist given twice; name each part once"),
        ("mnist+binary-alphadigits", "its parts' images differ in size (mnist 28x28, binary-alphadigits 20x16)"),
        ("synthetic+npz:/x.npz", "npz:/x.npz is a source; a union joins built-in datasets only"),
    ],
)
def test_a_bad_union_is_a_config_error_naming_what_is_wrong(name, said):
    with pytest.raises(ConfigError, match=None) as raised:
        get_info(name)
    assert said in str(raised.value)


def test_the_cli_refuses_a_bad_union_in_one_line_with_exit_2(capsys, tmp_path):
    code, out, err = run_cli(capsys, "data", "--dataset", "mnist+mnist")
    assert code == 2 and err == "error: dataset 'mnist+mnist': mnist given twice; name each part once\n"
    code, _, err = run_cli(
        capsys, "train", "--preset", "dense", "--dataset", "mnist+nosuch", "--run-dir", str(tmp_path / "run")
    )
    assert code == 2 and err.startswith("error: dataset 'mnist+nosuch': unknown part 'nosuch'") and err.count("\n") == 1
    assert not (tmp_path / "run").exists()


def test_a_union_puts_its_parts_splits_together_with_labels_renumbered():
    require("data", SHARED_DATA is not None, "needs the real data folder (../shared/data or EMNIST_TUNER_DATA)")
    union = load_dataset("mnist+emnist-letters-sample", data_dir=SHARED_DATA, seed=3)
    digits = load_dataset("mnist", data_dir=SHARED_DATA, seed=3)
    letters = load_dataset("emnist-letters-sample", data_dir=SHARED_DATA, seed=3)
    for split in ("train", "val", "test"):
        x, y = getattr(union, f"x_{split}"), getattr(union, f"y_{split}")
        xd, yd = getattr(digits, f"x_{split}"), getattr(digits, f"y_{split}")
        xl, yl = getattr(letters, f"x_{split}"), getattr(letters, f"y_{split}")
        assert np.array_equal(x, np.concatenate([xd, xl])), split  # the parts' own splits, in order
        assert np.array_equal(y[: len(yd)], yd) and np.array_equal(y[len(yd) :], yl + 10), split  # A is class 10
        assert y.dtype == np.int64
    assert set(union.files) == set(digits.files) | set(letters.files)
    test_only = load_dataset("mnist+emnist-letters-sample", data_dir=SHARED_DATA, test_only=True)
    assert np.array_equal(test_only.y_test, union.y_test)
