"""`emnist-tuner train`: one preset, trained and evaluated once, its run folder written."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_cli


@pytest.mark.slow
def test_train_convnet_on_synthetic_writes_the_run_folder(tmp_path, capsys):
    run = tmp_path / "run"
    code, out, err = run_cli(
        capsys,
        "train",
        "--preset",
        "convnet",
        "--dataset",
        "synthetic",
        "--run-dir",
        str(run),
        "--epochs",
        "4",
        "--batch-size",
        "32",
    )
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["parameters"] == 34_826 and metrics["dataset"] == "synthetic"
    assert metrics["test_accuracy"] > 0.5  # the glyphs are easy: well above chance (0.1)
    history = json.loads((run / "history.json").read_text())
    assert len(history["val_accuracy"]) == len(history["epoch_seconds"]) == metrics["epochs_trained"] == 4
    config = json.loads((run / "config.json").read_text())
    assert config["preset"] == "convnet" and config["kind"] == "train"
    assert (run / "model.keras").is_file()
    predictions = np.load(run / "test_predictions.npy")
    assert predictions.shape == (200,)
    assert f"test accuracy {metrics['test_accuracy']:.4f}" in " ".join(out.split())
    code, _, err = run_cli(capsys, "train", "--preset", "convnet", "--dataset", "synthetic", "--run-dir", str(run))
    assert code == 1 and "already holds a finished training run" in err  # nothing overwritten


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "model9", "--dataset", "synthetic"], "unknown preset 'model9'; known: dense, convnet"),
        (["--preset", "dense", "--dataset", "emnist"], "unknown dataset 'emnist'"),
        (["--preset", "dense", "--dataset", "synthetic", "--epochs", "0"], "--epochs must be at least 1"),
        (["--preset", "dense", "--dataset", "synthetic", "--seed", "-1"], "--seed must be between 0"),
        (["--preset", "model9", "--dataset", "mnist", "--data-dir", "/nonexistent"], "unknown preset 'model9'"),
    ],
)
def test_bad_values_exit_2_with_one_line(tmp_path, capsys, args, message):
    code, _, err = run_cli(capsys, "train", *args, "--run-dir", str(tmp_path / "run"))
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_missing_data_is_a_one_line_error_naming_the_file(tmp_path, capsys):
    code, _, err = run_cli(
        capsys,
        "train",
        "--preset",
        "dense",
        "--dataset",
        "mnist",
        "--run-dir",
        str(tmp_path / "run"),
        "--data-dir",
        str(tmp_path),
    )
    assert code == 1 and "missing data file train-images-idx3-ubyte.gz" in err
    assert not (tmp_path / "run").exists()  # data is checked before anything is written


def test_train_refuses_a_search_run_folder(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"dataset": "synthetic", "kind": "search"}))
    before = (run / "config.json").read_text()
    code, _, err = run_cli(capsys, "train", "--preset", "dense", "--dataset", "synthetic", "--run-dir", str(run))
    assert code == 1 and "holds a search run" in err
    assert (run / "config.json").read_text() == before
