"""Class names flow from the dataset (``get_info(name).class_names``) to every output: report, per-class
figures, predict, the export's model card; and a user's source of another image size is prepared for
predict on its own canvas."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from helpers import run_cli
from PIL import Image

import emnist_tuner as et
from emnist_tuner.data import datasets

ODD = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa")


@pytest.fixture
def odd_names(monkeypatch):
    """The synthetic dataset with unusual class names (as a user's source would have)."""
    info = datasets.DATASETS["synthetic"]
    monkeypatch.setitem(datasets.DATASETS, "synthetic", dataclasses.replace(info, class_names=ODD))


@pytest.mark.slow
def test_report_plot_predict_and_the_model_card_show_the_datasets_class_names(odd_names, tmp_path, capsys):
    from emnist_tuner.figures.plot import _winner_data
    from emnist_tuner.runfolder.configs import read_run_config

    run = tmp_path / "run"
    et.train("dense", "synthetic", run, epochs=1, console=None)
    code, out, err = run_cli(capsys, "report", str(run))
    assert code == 0, err
    per_class = out.split("Per-class test accuracy")[1]
    assert all(f"│ {name} " in per_class for name in ODD)  # a row per class, by name
    assert "│ 0 " not in per_class and "g0" not in out  # not indices, not the built-in names

    folder, config = read_run_config(run)
    assert _winner_data(folder, config, None)["names"] == list(ODD)  # confusion, per-class, confused images
    assert et.plot(run, tmp_path / "plots", only=["per-class"])

    image = np.full((60, 40), 255, np.uint8)
    image[10:50, 15:22] = 0
    Image.fromarray(image).save(tmp_path / "bar.png")
    code, out, err = run_cli(capsys, "predict", str(run), str(tmp_path / "bar.png"), "--format", "json", "--top", "10")
    assert code == 0, err
    assert sorted(t["class"] for t in json.loads(out)["predictions"][0]["top"]) == sorted(ODD)
    code, out, err = run_cli(capsys, "predict", str(run), str(tmp_path / "bar.png"), "--top", "1")
    assert code == 0 and any(f" {name} " in out for name in ODD), out

    card = et.export(run, "keras", tmp_path / "model.keras")
    assert card["classes"] == list(ODD)
    assert json.loads((tmp_path / "model.keras.card.json").read_text())["classes"] == list(ODD)


def test_a_source_of_another_image_size_is_predicted_on_its_own_canvas_and_its_card_says_so(tmp_path, monkeypatch):
    import keras

    from emnist_tuner.inference import source as source_module
    from emnist_tuner.inference.export import model_card
    from emnist_tuner.inference.predict import predict
    from emnist_tuner.inference.source import ModelSource

    spec = f"npz:{tmp_path / 'odd.npz'}"
    info = datasets.DatasetInfo(spec, "a user's arrays", ("alpha", "beta", "gamma", "delta"), (32, 40))
    real = source_module.get_info
    monkeypatch.setattr(source_module, "get_info", lambda name: info if name == spec else real(name))
    inputs = keras.Input((32, 40))
    model = keras.Model(inputs, keras.layers.Dense(4, activation="softmax")(keras.layers.Flatten()(inputs)))
    model.save(tmp_path / "odd.keras")
    source = ModelSource(tmp_path / "odd.keras", spec, "a model of a user's source")
    image = np.full((90, 70), 255, np.uint8)
    image[20:70, 30:40] = 0
    Image.fromarray(image).save(tmp_path / "bar.png")
    np.save(tmp_path / "wrong.npy", np.zeros((1, 28, 28), np.uint8))
    rows = predict(source, [tmp_path / "bar.png", tmp_path / "wrong.npy"], top=4)
    assert sorted(t["class"] for t in rows[0]["top"]) == sorted(info.class_names)  # read as 32x40: it ran
    assert rows[1]["error"].endswith("a 28x28 array, the model reads 32x40 images")
    card = model_card(source, model.input_shape, "keras", tmp_path / "odd.keras", 1.0, 0.0, "", 0.0)
    assert card["classes"] == list(info.class_names) and card["input"]["style"] == "mnist"
    assert "32x40 black canvas" in card["input"]["preprocessing"] and "28x28" not in card["input"]["preprocessing"]
    assert card["input"]["preprocessing_function"].endswith("style='mnist', shape=(32, 40))")
