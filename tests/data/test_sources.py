"""A user's own files as a dataset (``csv:``, ``folder:``, ``npz:``): arrays, labels, class names, the
test split, the cache, and each bad input as one error naming the file and row."""

from __future__ import annotations

import numpy as np
import pytest
from source_files import LETTERS, csv_source, folder_source, glyphs, npz_source, write_csv, write_mapping, write_pngs

from emnist_tuner.data import sources
from emnist_tuner.data.datasets import HELD_OUT_SEED, canonical_dataset, get_info, load_dataset, stratified_split
from emnist_tuner.data.glyphs import to_dataset_format
from emnist_tuner.errors import ConfigError, DataError


@pytest.fixture(autouse=True)
def fresh():
    sources.forget()
    yield
    sources.forget()


def test_csv_with_mapping_and_test_file_reads_transposed_rows_upright(tmp_path):
    path = csv_source(tmp_path)
    x, y, xt, yt = glyphs()
    spec = f"csv:{path}"
    info = get_info(spec)
    assert info.name == f"csv:{path}" and info.class_names == tuple(LETTERS) and info.image_shape == (28, 28)
    assert info.files == () and "emnist-glyphs-test.csv" in info.note
    data = load_dataset(spec, seed=3)
    assert np.array_equal(data.x_test, xt) and np.array_equal(data.y_test, yt)
    x_all, y_all = data.train_and_val()
    order = np.lexsort((x_all.reshape(len(x_all), -1).sum(1), y_all))
    expected = np.lexsort((x.reshape(len(x), -1).sum(1), y))
    assert np.array_equal(x_all[order], x[expected]) and np.array_equal(y_all[order], y[expected])
    assert len(data.y_val) == 10  # 10 % of each class of 12 carved as validation, as for the built-ins


def test_csv_without_mapping_names_classes_by_label_and_carves_a_seeded_test_split(tmp_path):
    x, y, _, _ = glyphs()
    path = write_csv(tmp_path / "digits_train.csv", x, y, offset=5)  # labels 5..14, stored upright
    source = sources.load_source(f"csv:{path}")
    assert source.class_names == tuple(str(v) for v in range(5, 15))
    assert np.array_equal(source.x_train, x) and np.array_equal(source.y_train, y)  # 5..14 -> 0..9
    x_all, y_all, x_test, y_test = source.arrays()
    keep, test = stratified_split(y, 0.2, seed=HELD_OUT_SEED)
    assert np.array_equal(x_test, x[test]) and np.array_equal(y_all, y[keep])
    assert source.test_split() == {"origin": "carved", "seed": HELD_OUT_SEED, "fraction": 0.2, "images": len(test)}


def test_csv_header_row_is_skipped_and_the_orientation_can_be_given(tmp_path):
    x, y, _, _ = glyphs()
    path = write_csv(tmp_path / "emnist-upright.csv", x, y)
    path.write_text("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n" + path.read_text())
    assert not np.array_equal(sources.load_source(f"csv:{path}").x_train, x)  # "emnist" in the name: transposed
    assert np.array_equal(sources.load_source(f"csv:{path}#upright").x_train, x)
    plain = write_csv(tmp_path / "plain.csv", x, y, transposed=True)
    assert np.array_equal(sources.load_source(f"csv:{plain}#transposed").x_train, x)


def test_csv_explicit_mapping_and_a_shape_that_is_not_square(tmp_path):
    x = np.arange(6 * 20 * 16, dtype=np.int64).reshape(6, 20, 16) % 256
    path = write_csv(tmp_path / "small.csv", x.astype(np.uint8), np.array([0, 1, 0, 1, 0, 1]), offset=7)
    mapping = tmp_path / "names.txt"
    mapping.write_text("7 48\n8 49\n")
    source = sources.load_source(f"csv:{path}#mapping={mapping},shape=20x16")
    assert source.class_names == ("0", "1") and source.x_train.shape == (6, 20, 16)
    assert np.array_equal(source.x_train, x)


def test_folder_of_pngs_in_a_dataset_format_is_taken_as_it_is(tmp_path):
    root = folder_source(tmp_path / "glyphs", with_test=True)
    x, y, xt, yt = glyphs()
    source = sources.load_source(f"folder:{root}")
    assert source.class_names == tuple(LETTERS) and source.test_from == str(root / "test")
    assert np.array_equal(source.x_train, x[np.argsort(y, kind="stable")])  # read class by class
    assert np.array_equal(source.x_test, xt[np.argsort(yt, kind="stable")])


def test_folder_of_scans_goes_through_predicts_glyph_function(tmp_path):
    rng = np.random.default_rng(0)
    scans = []
    for c in range(2):
        for i in range(3):
            scan = np.full((40, 30), 250, np.uint8)  # dark ink on white paper, not a model's size
            scan[8 + i : 30, 5 + 10 * c : 12 + 10 * c] = rng.integers(0, 40)
            scans.append(scan)
    write_pngs(tmp_path / "scans", np.stack(scans), np.repeat([0, 1], 3), names="xy")
    source = sources.load_source(f"folder:{tmp_path / 'scans'}")
    assert source.x_train.shape == (6, 28, 28) and source.class_names == ("x", "y")
    assert np.array_equal(source.x_train[4], to_dataset_format(scans[4], "mnist"))


def test_npz_with_and_without_test_arrays(tmp_path):
    x, y, xt, yt = glyphs()
    source = sources.load_source(f"npz:{npz_source(tmp_path / 'a.npz')}")
    assert source.class_names == tuple(LETTERS) and np.array_equal(source.x_test, xt) and source.test_from
    np.savez(tmp_path / "b.npz", x_train=(x[..., None] / 255.0).astype(np.float32), y_train=y[:, None] + 1)
    floats = sources.load_source(f"npz:{tmp_path / 'b.npz'}")
    assert np.array_equal(floats.x_train, x) and np.array_equal(floats.y_train, y)
    assert floats.class_names == tuple(str(v) for v in range(1, 11)) and floats.x_test is None


def test_canonical_spec_is_absolute_and_keeps_its_options(tmp_path, monkeypatch):
    path = csv_source(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert canonical_dataset("csv:./emnist-glyphs-train.csv#upright") == f"csv:{path}#upright"
    assert canonical_dataset("mnist") == "mnist"
    assert get_info("csv:emnist-glyphs-train.csv").name == f"csv:{path}"


def test_a_second_load_reads_the_cache_not_the_files(tmp_path, monkeypatch):
    from emnist_tuner.data import source_readers

    path = csv_source(tmp_path)
    first = sources.load_source(f"csv:{path}")
    assert not first.cached and sources.cache_entry(f"csv:{path}").is_file()
    sources.forget()

    def fail(*args):
        raise AssertionError("the files were read again")

    monkeypatch.setattr(source_readers, "read_csv", fail)
    second = sources.load_source(f"csv:{path}")
    assert second.cached and np.array_equal(second.x_train, first.x_train) and second.class_names == first.class_names


def test_a_damaged_cache_entry_is_read_again_and_rewritten(tmp_path):
    root = folder_source(tmp_path / "f")
    sources.load_source(f"folder:{root}")
    entry = sources.cache_entry(f"folder:{root}")
    entry.write_bytes(b"not an npz")
    sources.forget()
    again = sources.load_source(f"folder:{root}")
    assert not again.cached and again.x_train.shape == (120, 28, 28)
    sources.forget()
    assert sources.load_source(f"folder:{root}").cached


def test_an_npz_is_not_copied_into_the_cache(tmp_path):
    path = npz_source(tmp_path / "a.npz")
    sources.load_source(f"npz:{path}")
    sources.forget()
    assert not sources.load_source(f"npz:{path}").cached and not sources.cache_entry(f"npz:{path}").exists()


def test_a_changed_file_is_read_anew_and_named(tmp_path):
    path = csv_source(tmp_path)
    record = sources.source_record(f"csv:{path}")
    assert sources.source_changed(f"csv:{path}", record) is None
    (tmp_path / "emnist-glyphs-mapping.txt").write_text("".join(f"{i + 1} {97 + i}\n" for i in range(10)))
    assert "emnist-glyphs-mapping.txt (changed)" in sources.source_changed(f"csv:{path}", record)
    assert sources.load_source(f"csv:{path}").class_names == tuple("abcdefghij")
    path.unlink()
    assert sources.source_changed(f"csv:{path}", record) == f"whose file is gone ({path} does not exist)"


def _error(spec: str) -> str:
    sources.forget()
    with pytest.raises(DataError) as caught:
        sources.load_source(spec)
    return str(caught.value)


def test_bad_csv_rows_name_the_file_row_and_column(tmp_path):
    path = csv_source(tmp_path, with_test=False)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:4]) + lines[4].rsplit(",", 1)[0] + "\n" + "".join(lines[5:]))
    assert _error(f"csv:{path}") == (
        f"{path}:5: 784 values in the row, expected 785 (the label, then 784 pixels); every row is one image"
    )
    path.write_text("".join(lines[:2]) + lines[2].replace(",0,", ",x1,", 1) + "".join(lines[3:]))
    message = _error(f"csv:{path}")
    assert message.startswith(f"{path}:3: column ") and "'x1' is not a whole number (pixel)" in message
    path.write_text("".join(lines[:6]) + lines[6].replace(",0,", ",256,", 1) + "".join(lines[7:]))
    message = _error(f"csv:{path}")
    assert message.startswith(f"{path}:7: column ") and "pixel value 256 is outside 0..255" in message
    path.write_text("".join(lines[:8]) + "11" + lines[8][lines[8].index(",") :] + "".join(lines[9:]))
    assert _error(f"csv:{path}").startswith(f"{path}:9: label 11 is not in the mapping {tmp_path}")


def test_bad_folders_name_the_folder_or_file(tmp_path):
    (tmp_path / "one" / "a").mkdir(parents=True)
    (tmp_path / "one" / "a" / "1.png").write_bytes(b"")
    assert "found only one, a" in _error(f"folder:{tmp_path / 'one'}")
    root = folder_source(tmp_path / "f", per_class=2, test_per_class=1)
    (root / "K").mkdir()
    expected = f"{root / 'K'}: an empty class folder (no image in it); add its images or remove it"
    assert _error(f"folder:{root}") == expected
    (root / "K" / "broken.png").write_bytes(b"not a png")
    assert _error(f"folder:{root}").startswith(f"{root / 'K' / 'broken.png'}: not an image that can be read")


NO_LABELS = np.zeros(0, np.int64)


@pytest.mark.parametrize(
    "arrays, expected",
    [
        ({"x_train": np.zeros((2, 28, 28))}, "no y_train"),
        ({"x_train": np.zeros((3, 28, 28)), "y_train": np.arange(2)}, "y_train holds 2 labels but x_train 3 images"),
        (
            {"x_train": np.zeros((2, 28, 28)), "y_train": np.arange(2), "x_test": np.zeros((2, 20, 16))},
            "no y_test",
        ),
        (
            {"x_train": np.zeros((2, 8, 8)), "y_train": [0, 1], "x_test": np.zeros((1, 7, 8)), "y_test": [0]},
            "x_train's images are 8x8 but x_test's 7x8",
        ),
        ({"x_train": np.full((2, 8, 8), 300), "y_train": [0, 1]}, "x_train holds values 300..300, outside 0..255"),
        ({"x_train": np.zeros((2, 8, 8)), "y_train": [0, 4], "class_names": ["a", "b"]}, "y_train[1] is 4"),
        ({"x_train": np.zeros((2, 8, 8)), "y_train": [3, 3]}, "every training image is of one class (3)"),
        ({"x_train": np.zeros((4, 8, 8)), "y_train": [0, 0, 1, 1]}, "held out as test, rounds to none; give 3 or more"),
        (
            {"x_train": np.zeros((2, 8, 8)), "y_train": [0, 1], "x_test": np.zeros((0, 8, 8)), "y_test": NO_LABELS},
            "no test images: its test split",
        ),
    ],
)
def test_bad_npz_arrays_name_the_key(tmp_path, arrays, expected):
    np.savez(tmp_path / "bad.npz", **{k: np.asarray(v) for k, v in arrays.items()})
    message = _error(f"npz:{tmp_path / 'bad.npz'}")
    assert message.startswith(f"{tmp_path / 'bad.npz'}: ") and expected in message


def test_bad_specs_are_config_errors_naming_dataset(tmp_path):
    with pytest.raises(ConfigError, match=r"^--dataset csv:nope.csv: .*nope.csv does not exist; give an existing"):
        get_info("csv:nope.csv")
    with pytest.raises(ConfigError, match="unknown option 'sideways' for csv: sources"):
        get_info(f"csv:{csv_source(tmp_path)}#sideways")
    with pytest.raises(ConfigError, match="is a file; give a folder of class folders"):
        get_info(f"folder:{tmp_path / 'emnist-glyphs-train.csv'}")
    write_mapping(tmp_path / "m.txt")
    with pytest.raises(ConfigError, match="unknown dataset 'foo'; known: .*; or csv:PATH, folder:PATH or npz:PATH"):
        get_info("foo")
