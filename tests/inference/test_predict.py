"""`predict` on a user's files: every input kind, batched inference, bad inputs as one line each, and the
preprocessing proven on scan-like files made from real MNIST test images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_cli
from PIL import Image

import emnist_tuner as et


@pytest.fixture(scope="module")
def trained(trained_run):
    """A small model trained on the synthetic glyphs (a train run folder; conftest's, shared)."""
    return trained_run


def _scan(image: np.ndarray, size: int, rng, jpeg: bool, folder, name):
    """``image`` as a scan: dark ink on white, ``size`` pixels, off-centre with margins, PNG or JPEG."""
    big = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BICUBIC))
    page = np.zeros((size + 90, size + 70), np.uint8)
    top, left = rng.integers(0, 90), rng.integers(0, 70)
    page[top : top + size, left : left + size] = big
    path = folder / f"{name}.{'jpg' if jpeg else 'png'}"
    Image.fromarray(255 - page).save(path, quality=92) if jpeg else Image.fromarray(255 - page).save(path)
    return path


def test_every_input_kind_and_the_formats(trained, tmp_path, capsys):
    from emnist_tuner.data.datasets import load_dataset

    test = load_dataset("synthetic").x_test
    rng = np.random.default_rng(0)
    folder = tmp_path / "scans" / "nested"
    folder.mkdir(parents=True)
    for i in range(3):
        _scan(test[i], 64 + 40 * i, rng, jpeg=bool(i % 2), folder=folder, name=f"g{i}")
    rgba = np.zeros((80, 60, 4), np.uint8)
    rgba[20:60, 25:35] = (10, 10, 10, 255)
    Image.fromarray(rgba).save(tmp_path / "scans" / "alpha.png")
    deep = np.full((70, 50), 65535, np.uint16)  # a 16-bit grayscale PNG
    deep[15:55, 20:28] = 0
    Image.fromarray(deep).save(tmp_path / "scans" / "deep.png")
    assert Image.open(tmp_path / "scans" / "deep.png").mode.startswith("I")
    np.save(tmp_path / "arrays.npy", test[:4])
    code, out, err = run_cli(
        capsys,
        "predict",
        str(trained),
        str(tmp_path / "scans"),
        str(tmp_path / "arrays.npy"),
        "--format",
        "json",
        "--top",
        "2",
    )
    assert code == 0, err
    rows = json.loads(out)["predictions"]
    assert [r["input"].rsplit("/", 1)[-1] for r in rows] == [
        "alpha.png",
        "deep.png",
        "g0.png",
        "g1.jpg",
        "g2.png",
        *[f"arrays.npy[{i}]" for i in range(4)],
    ]
    for row in rows:
        assert len(row["top"]) == 2 and row["top"][0]["probability"] >= row["top"][1]["probability"]
        assert row["top"][0]["class"] in [f"g{i}" for i in range(10)]
    code, out, _ = run_cli(capsys, "predict", str(trained), str(tmp_path / "arrays.npy"), "--format", "csv")
    assert code == 0 and out.splitlines()[0] == "input,class1,probability1,class2,probability2,class3,probability3"
    assert len(out.splitlines()) == 5


def test_bad_inputs_are_one_line_each_and_the_others_are_predicted(trained, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "text.png").write_text("not an image")
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(tmp_path / "tiny.png")
    Image.fromarray(np.full((40, 40), 255, np.uint8)).save(tmp_path / "white.png")
    np.save(tmp_path / "cube.npy", np.zeros((2, 3, 4, 5), np.uint8))
    Image.fromarray(np.pad(np.full((20, 8), 0, np.uint8), 20, constant_values=255)).save(tmp_path / "ok.png")
    inputs = [str(tmp_path / n) for n in ("empty", "text.png", "tiny.png", "white.png", "cube.npy", "ok.png")]
    code, out, err = run_cli(capsys, "predict", str(trained), *inputs, "--format", "json")
    assert code == 1 and [r["input"].rsplit("/", 1)[-1] for r in json.loads(out)["predictions"]] == ["ok.png"]
    lines = err.splitlines()
    assert len(lines) == 5 and all(line.startswith("error: ") for line in lines)
    for expected in (
        "no image, .npy or IDX file in the folder",
        "text.png: not an image that can be read",
        "tiny.png: the image is 1x1 pixels",
        "white.png: no ink found",
        "cube.npy: an array of shape",
    ):
        assert any(expected in line for line in lines), expected


def test_label_smoothing_is_said_under_the_table_and_in_the_json(trained, tmp_path, capsys):
    """The run's recipe smoothed the labels (0.1 of 10 classes): a sure answer is about 91 %, and predict says so."""
    from emnist_tuner.data.datasets import load_dataset

    np.save(tmp_path / "glyphs.npy", load_dataset("synthetic").x_test[:2])
    note = (
        "probabilities are the model's own: it was trained with label smoothing 0.1, so a sure answer shows "
        "about 91.0 % (1 - 0.1 + 0.1/10), not 100 %"
    )
    code, out, err = run_cli(capsys, "predict", str(trained), str(tmp_path / "glyphs.npy"), "--format", "json")
    document = json.loads(out)
    assert code == 0, err
    assert document["label_smoothing"] == 0.1 and document["note"] == note and len(document["predictions"]) == 2
    code, out, err = run_cli(capsys, "predict", str(trained), str(tmp_path / "glyphs.npy"))
    assert code == 0 and " ".join(out.split()).endswith(note), out
    # a model trained without it (a run from before recipes) gets no note
    unsmoothed = tmp_path / "unsmoothed"
    unsmoothed.mkdir()
    for path in trained.iterdir():
        if path.is_file():
            (unsmoothed / path.name).write_bytes(path.read_bytes())
    config = json.loads((unsmoothed / "config.json").read_text())
    del config["recipe"]
    (unsmoothed / "config.json").write_text(json.dumps(config))
    code, out, err = run_cli(capsys, "predict", str(unsmoothed), str(tmp_path / "glyphs.npy"), "--format", "json")
    assert code == 0 and json.loads(out)["label_smoothing"] == 0.0 and json.loads(out)["note"] is None
    code, out, _ = run_cli(capsys, "predict", str(unsmoothed), str(tmp_path / "glyphs.npy"))
    assert code == 0 and "label smoothing" not in out


def test_invert_forced_the_wrong_way_says_what_the_image_looks_like(trained, tmp_path, capsys):
    Image.fromarray(np.pad(np.full((20, 8), 0, np.uint8), 20, constant_values=255)).save(tmp_path / "dark.png")
    code, _, err = run_cli(capsys, "predict", str(trained), str(tmp_path / "dark.png"), "--invert", "no")
    assert code == 1 and err == (
        f"error: {tmp_path / 'dark.png'}: no ink found with --invert no: the image looks like dark ink on a light "
        "background; use --invert auto (or --invert yes)\n"
    )
    assert run_cli(capsys, "predict", str(trained), str(tmp_path / "dark.png"), "--invert", "yes")[0] == 0


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--top", "0"], 2, "--top must be at least 1, got 0"),
        (["--format", "xml"], 2, "--format must be one of table, json, csv, got 'xml'"),
        (["--invert", "maybe"], 2, "--invert must be one of auto, yes, no, got 'maybe'"),
        (["--tta", "0"], 2, "--tta must be at least 1 (1: no test-time augmentation), got 0"),
    ],
)
def test_bad_options(trained, tmp_path, capsys, args, code, message):
    result = run_cli(capsys, "predict", str(trained), str(tmp_path), *args)
    assert result[0] == code and result[2] == f"error: {message}\n"


def test_a_source_that_is_not_a_finished_run(tmp_path, capsys):
    run = tmp_path / "search"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "search", "dataset": "mnist"}))
    code, _, err = run_cli(capsys, "predict", str(run), str(tmp_path))
    assert code == 1 and "best_model.keras is missing: the search has no final model yet; finish it with" in err
    code, _, err = run_cli(capsys, "predict", str(tmp_path / "nothing.keras"), str(tmp_path))
    assert code == 1 and "is neither a run folder nor a .keras model file" in err


@pytest.mark.slow
@pytest.mark.realdata
def test_scan_like_files_read_as_well_as_the_arrays(shared_data, tmp_path, capsys):
    """Real MNIST test digits written as scans (dark on white, 64-300 px, off-centre, PNG and JPEG) are read by
    `predict` within a few points of the same digits given as arrays."""
    from emnist_tuner.data.datasets import load_dataset

    run = tmp_path / "convnet"
    et.train("convnet", "mnist", run, epochs=2, subset=6000, data_dir=shared_data, console=None)
    data = load_dataset("mnist", data_dir=shared_data)
    x, y = data.x_test[:300], data.y_test[:300]
    rng = np.random.default_rng(1)
    folder = tmp_path / "scans"
    folder.mkdir()
    for i, image in enumerate(x):
        _scan(image, int(rng.integers(64, 301)), rng, jpeg=bool(i % 2), folder=folder, name=f"{i:03d}")
    np.save(tmp_path / "arrays.npy", x)
    as_arrays = et.predict(run, tmp_path / "arrays.npy", top=1)
    as_files = et.predict(run, folder, top=1)
    truth = [str(v) for v in y]
    arrays = np.mean([r["top"][0]["class"] == t for r, t in zip(as_arrays, truth)])
    files = np.mean([r["top"][0]["class"] == t for r, t in zip(as_files, truth)])
    assert arrays > 0.9 and abs(arrays - files) <= 0.03, (arrays, files)


def test_test_time_augmentation_averages_copies(trained, tmp_path, capsys):
    from emnist_tuner.data.prepare import prepare_data
    from emnist_tuner.searchspace import CharacterHyperModel, preset_hyperparameters

    images = prepare_data("synthetic", None, 0).x_test[:8]
    np.save(tmp_path / "glyphs.npy", images)
    hypermodel = CharacterHyperModel((28, 28), 10)
    values = dict(
        preset_hyperparameters("convnet", hypermodel).values, augment=True, rotation=0.03, translation=0.1, zoom=0.1
    )
    hypermodel.build(hypermodel.hyperparameters_for(values)).save(tmp_path / "augmented.keras")
    plain = et.predict(tmp_path / "augmented.keras", tmp_path / "glyphs.npy", top=10)
    again = et.predict(tmp_path / "augmented.keras", tmp_path / "glyphs.npy", top=10, tta=1)
    averaged = et.predict(tmp_path / "augmented.keras", tmp_path / "glyphs.npy", top=10, tta=4)
    assert plain == again and len(averaged) == 8
    assert all(abs(sum(c["probability"] for c in row["top"]) - 1) < 1e-4 for row in averaged)
    assert averaged != plain  # transformed copies were averaged in
    code, _, err = run_cli(capsys, "predict", str(trained), str(tmp_path / "glyphs.npy"), "--tta", "4")
    assert code == 2 and err.count("\n") == 1 and "was trained without augmentation" in err  # a dense preset


def test_a_binary_alphadigits_model_reads_20x16_images_and_its_card_says_so(tmp_path):
    import keras

    from emnist_tuner.data.glyphs import to_dataset_format
    from emnist_tuner.inference.export import model_card
    from emnist_tuner.inference.source import open_source

    inputs = keras.Input((20, 16))
    model = keras.Model(inputs, keras.layers.Dense(36, activation="softmax")(keras.layers.Flatten()(inputs)))
    model.save(tmp_path / "alphadigits.keras")
    image = np.full((60, 40), 255, np.uint8)  # dark ink on white paper, 30x10 pixels of it
    image[15:45, 15:25] = 0
    prepared = to_dataset_format(image, "alphadigits")
    assert prepared.shape == (20, 16) and set(np.unique(prepared)) == {255}  # the stroke fills the frame
    Image.fromarray(image).save(tmp_path / "bar.png")
    np.save(tmp_path / "mnist-sized.npy", np.zeros((1, 28, 28), np.uint8))
    source = open_source(tmp_path / "alphadigits.keras")
    rows = et.predict(tmp_path / "alphadigits.keras", [tmp_path / "bar.png", tmp_path / "mnist-sized.npy"])
    assert len(rows[0]["top"]) == 3 and rows[0]["top"][0]["class"] in source.class_names
    assert rows[1]["error"].endswith("a 28x28 array, the model reads 20x16 images")
    card = model_card(source, model.input_shape, "keras", tmp_path / "alphadigits.keras", 1.0, 0.0, "", 0.0)
    assert card["input"]["shape"] == [None, 20, 16] and card["input"]["style"] == "alphadigits"
    assert "stretched to 20x16" in card["input"]["preprocessing"] and "28x28" not in card["input"]["preprocessing"]
