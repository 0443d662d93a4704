"""The full report of a tiny run folder built by the test (synthetic dataset, no training)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import render, snapshot

from emnist_tuner.data import datasets
from emnist_tuner.reports.confusion import (
    ConfusionHeatmap,
    confusion_matrix,
    most_confused,
    pairs_text,
    per_class_table,
)
from emnist_tuner.reports.report import build_report, save_report


def _trial(project, trial_id, status, score=None, **values):
    folder = project / f"trial_{trial_id}"
    folder.mkdir(parents=True)
    state = {
        "trial_id": trial_id,
        "status": status,
        "score": score,
        "best_step": 1,
        "hyperparameters": {
            "values": {"tuner/epochs": 3, "tuner/initial_epoch": 0, "tuner/bracket": 1, "tuner/round": 0, **values}
        },
    }
    (folder / "trial.json").write_text(json.dumps(state))


@pytest.fixture(scope="module")
def test_labels():
    return datasets.load_dataset("synthetic", val_fraction=0.1, seed=0).y_test


@pytest.fixture
def run_dir(tmp_path, test_labels):
    run = tmp_path / "run"
    project = run / "tuner"
    _trial(project, "0000", "COMPLETED", 0.81, conv_blocks=2)
    _trial(project, "0001", "COMPLETED", 0.93, conv_blocks=1)
    _trial(project, "0002", "FAILED", None, conv_blocks=4)
    (run / "timings").mkdir()
    (run / "timings" / "0000.json").write_text(json.dumps({"started": 100.0, "ended": 160.0}))
    (run / "timings" / "0001.json").write_text(json.dumps({"started": 200.0, "ended": 275.0}))
    (run / "config.json").write_text(
        json.dumps(
            {
                "dataset": "synthetic",
                "profile": "quick",
                "max_epochs": 3,
                "factor": 3,
                "iterations": 1,
                "subset": None,
                "seed": 0,
                "val_fraction": 0.1,
                "data_dir": None,
                "kind": "search",
            }
        )
    )
    (run / "final.json").write_text(
        json.dumps(
            {
                "trial_id": "0001",
                "val_accuracy": 0.93,
                "epochs": 3,
                "train_images": 600,
                "test_images": 200,
                "test_accuracy": 0.93,
                "parameters": 7850,
                "hyperparameters": {"conv_blocks": 1},
                "model": "best_model.keras",
            }
        )
    )
    predictions = test_labels.copy()
    predictions[np.flatnonzero(test_labels == 3)[:10]] = 8  # g3 half wrong, read as g8
    predictions[np.flatnonzero(test_labels == 1)[:4]] = 7  # g1 → g7 four times
    np.save(run / "test_predictions.npy", predictions.astype(np.int16))
    return run


def _render(renderable, width=80):
    return render(renderable, width)


def _snapshot(folder):
    return snapshot(folder, skip=("confusion.json",))


def _row(text, first_cell):
    return next(
        line for line in text.splitlines() if line.startswith(("│", "┃")) and line.strip("│┃ ").split()[0] == first_cell
    )


@pytest.mark.parametrize("width", [80, 120])
def test_report_key_cells(run_dir, width):
    text = _render(build_report(run_dir), width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "93.00 %" in _row_text(text, "held-out test accuracy")
    assert "3/3, 1 failed" in _row_text(text, "trials done")  # a finished search: every trial it ran
    assert "2:15" in _row_text(text, "total trial time")
    assert "(trial 0001)" in _row_text(text, "best val accuracy")
    g3 = _row(text, "g3").split("│")
    assert g3[2].strip() == "20" and g3[3].strip() == "50.00" and g3[4].strip() == "g8 (10)"
    assert _row(text, "g0").split("│")[3].strip() == "100.00"
    assert "g3 → g8 (10), g1 → g7 (4)" in " ".join(text.split())
    assert "Model file best_model.keras is missing" in text
    assert "validation accuracy; ours are held-out test accuracy" in " ".join(text.split())
    assert "(synthetic) has no study figure" in " ".join(text.split())


def _row_text(text, label):
    return next(line for line in text.splitlines() if line.strip().startswith(label))


def test_confusion_is_cached_once(run_dir, monkeypatch):
    first = _render(build_report(run_dir))
    cache = json.loads((run_dir / "confusion.json").read_text())
    assert cache["class_names"][3] == "g3" and cache["matrix"][3][8] == 10

    def refuse(*args, **kwargs):
        raise AssertionError("the dataset was loaded again")

    monkeypatch.setattr(datasets, "load_dataset", refuse)
    assert _render(build_report(run_dir)) == first


def test_missing_labels_is_one_line(run_dir, monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("no data files")

    monkeypatch.setattr(datasets, "load_dataset", missing)
    text = _render(build_report(run_dir))
    assert "Per-class accuracy not shown: test labels of synthetic could not be loaded" in " ".join(text.split())
    assert not (run_dir / "confusion.json").exists()
    assert "93.00 %" in text  # the rest of the report is still there

    def bug(*args, **kwargs):
        raise TypeError("a bug in our own code")

    monkeypatch.setattr(datasets, "load_dataset", bug)
    with pytest.raises(TypeError, match="a bug in our own code"):  # not passed off as missing data
        build_report(run_dir)


def test_optional_sections_only_when_their_files_exist(run_dir):
    text = _render(build_report(run_dir))
    assert "retrained on MNIST" not in text and "transfer from the MNIST backbone" not in text
    (run_dir / "mnist").mkdir()
    (run_dir / "mnist" / "metrics.json").write_text(
        json.dumps(
            {
                "test_accuracy": 0.9911,
                "parameters": 7850,
                "winner": "trial 0003",
                "test_images": 10000,
                "epochs_trained": 9,
                "best_epoch": 6,
                "train_seconds": 95.0,
            }
        )
    )
    (run_dir / "transfer").mkdir()
    (run_dir / "transfer" / "results.json").write_text(
        json.dumps(
            {
                "transfer": {"mean": 0.912, "std": 0.004, "folds": [0.91, 0.914, 0.912], "seconds": 60.0},
                "scratch": {"mean": 0.881, "std": 0.006, "folds": [0.877, 0.885, 0.881], "seconds": 50.0},
                "difference": {"mean": 0.031, "std": 0.001, "folds": [0.033, 0.029, 0.031], "ci95": [0.022, 0.04]},
                "folds": 3,
                "epochs": 40,
                "size": 20,
                "backbone": "mnist",
                "winner": "trial 0003",
            }
        )
    )
    text = _render(build_report(run_dir), 100)
    assert "The winner retrained on MNIST" in text and "ours: trial 0003" in text
    mean_row = _row_text(text, "│ mean ± std").split("│")
    assert mean_row[2].strip() == "91.20 ± 0.40" and mean_row[3].strip() == "88.10 ± 0.60"
    assert _row_text(text, "│ 95 % CI of the difference").split("│")[4].strip() == "[+2.20, +4.00]"
    assert "beyond the fold-to-fold noise" in " ".join(text.split())
    # two folds (a file written before the rule held an interval from them): no interval, no verdict
    results = json.loads((run_dir / "transfer" / "results.json").read_text())
    for name in ("transfer", "scratch", "difference"):
        results[name]["folds"] = results[name]["folds"][:2]
    (run_dir / "transfer" / "results.json").write_text(json.dumps({**results, "folds": 2}))
    two = _render(build_report(run_dir), 100)
    assert _row_text(two, "│ 95 % CI of the difference").split("│")[4].strip() == "?"
    said = " ".join(two.split())
    assert "No interval and no verdict: fewer than 3 folds" in said and "run with --folds 3 or more" in said
    assert "noise" not in said
    study_row = [line for line in text.splitlines() if "AlphaDigits" in line and "91.00" in line][0].split("│")
    assert study_row[1].strip().startswith("transfer from")
    assert study_row[3].strip() == "91.00" and study_row[4].strip() == "91.20"
    winner_row = [line for line in text.splitlines() if line.startswith("│ winner retrained on MNIST")][0].split("│")
    assert winner_row[2].strip() == "MNIST" and winner_row[4].strip() == "99.11"
    assert "this search's winner" not in text  # synthetic data: no study figure to stand beside
    (run_dir / "transfer" / "results.json").write_text(json.dumps({"transfer": {"mean": 0.9}}))
    assert "is incomplete: rerun `emnist-tuner transfer" in " ".join(_render(build_report(run_dir), 100).split())


def test_reading_changes_no_file(run_dir):
    build_report(run_dir)  # writes the cache
    before = _snapshot(run_dir)
    _render(build_report(run_dir))
    assert _snapshot(run_dir) == before


def test_train_run(tmp_path, test_labels):
    run = tmp_path / "train"
    run.mkdir()
    (run / "config.json").write_text(
        json.dumps({"kind": "train", "preset": "convnet", "dataset": "mnist", "seed": 0, "val_fraction": 0.1})
    )
    (run / "metrics.json").write_text(
        json.dumps({"test_accuracy": 0.9917, "parameters": 34826, "epochs_trained": 15, "best_val_accuracy": 0.9898})
    )
    (run / "confusion.json").write_text(
        json.dumps({"class_names": list("0123456789"), "matrix": np.eye(10).tolist(), "predictions_sha256": "stale"})
    )
    text = _render(build_report(run, data_dir=tmp_path / "nowhere"))
    assert "Training summary" in text and "99.17 %" in text
    assert "Model file model.keras is missing" in text
    assert "no test_predictions.npy" in text
    convnet = [line for line in text.splitlines() if line.startswith("│ keras convnet") and "│ MNIST" in line]
    cells = convnet[0].split("│")
    assert cells[3].strip() == "99.00" and cells[4].strip() == "99.17"


def test_heatmap_of_26_classes_fits_80_columns():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(26), 800)
    predictions = np.where(rng.random(len(labels)) < 0.06, rng.integers(0, 26, len(labels)), labels)
    predictions[:150] = 11  # A read as L 150 times: capped in the compact heatmap
    names = list(datasets.LETTERS)
    matrix = confusion_matrix(labels, predictions, 26)
    text = _render(ConfusionHeatmap(matrix, names), 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "· = correct" in text and "++ = more than 99" in text
    assert most_confused(matrix, names, 1)[0][:2] == ("A", "L")


def test_layer_table_of_a_saved_model(run_dir):
    import keras

    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(name="flat"), keras.layers.Dense(10, name="out")]
    )
    model.save(run_dir / "best_model.keras")
    text = _render(build_report(run_dir), 100)
    out = _row(text, "out").split("│")
    assert out[2].strip() == "Dense" and out[3].strip() == "(·, 10)" and out[4].strip() == "7,850"
    assert _row(text, "flat").split("│")[3].strip() == "(·, 784)"


def test_save_report_writes_svg_and_html(run_dir, tmp_path):
    svg, html = tmp_path / "r.svg", tmp_path / "r.html"
    save_report(build_report(run_dir), svg=svg, html=html, width=100)
    # the SVG lays text out in spans with non-breaking spaces
    assert "93.00" in svg.read_text() and "93.00" in html.read_text()
    assert "<svg" in svg.read_text() and "<html" in html.read_text().lower()


def test_cli_report_prints_and_saves(run_dir, tmp_path, capsys):
    from helpers import run_cli

    svg = tmp_path / "report.svg"
    code, out, err = run_cli(capsys, "report", str(run_dir), "--svg", str(svg))
    assert code == 0, err
    assert "Against the study" in out and svg.read_text().startswith("<svg")
    code, _, err = run_cli(capsys, "report", str(tmp_path / "nothing"))
    assert code == 1 and "not a run folder" in err


def test_the_winners_recipe_and_its_ensemble(run_dir):
    final = json.loads((run_dir / "final.json").read_text())
    final["recipe"] = "3 epochs: 1 warm-up, cosine to 0; label smoothing 0.1; weight EMA"
    final["ensemble"] = {
        "of": "seeds",
        "asked": 3,
        "test_accuracy": 0.955,
        "model": "ensemble.keras",
        "members": [
            {"member": 1, "trial_id": "0001", "seed": 0, "epochs": 3, "test_accuracy": 0.93},
            {"member": 2, "trial_id": "0001", "seed": 1, "epochs": 3, "test_accuracy": 0.94},
            {"member": 3, "trial_id": "0001", "seed": 2, "epochs": 3, "test_accuracy": 0.92},
        ],
    }
    (run_dir / "final.json").write_text(json.dumps(final))
    text = _render(build_report(run_dir), 120)
    assert "label smoothing 0.1; weight EMA" in _row_text(text, "final training")
    assert "Ensemble (seeds)" in text
    assert [c.strip() for c in _row(text, "2").split("│")[1:6]] == ["2", "0001", "1", "3", "94.00"]
    assert "95.50" in _row(text, "mean").split("│")[5]


def test_classes_without_test_images_are_left_out_and_counted():
    # 26 letter classes, test images of the first 13 only (one of them also read as "Z")
    labels = np.repeat(np.arange(13), 5)
    predictions = labels.copy()
    predictions[0] = 25
    names = list(datasets.LETTERS)
    matrix = confusion_matrix(labels, predictions, 26)
    table = _render(per_class_table(matrix, names), 120)
    shown = [c.strip() for line in table.splitlines() if line.startswith("│") for c in line.split("│")[1::4]]
    assert sorted(c for c in shown if c) == names[:13]  # no empty rows for N..Z
    assert all(line.strip("│ ") for line in table.splitlines() if line.startswith("│"))
    assert "13 classes with no test images left out: N, O, P" in " ".join(table.split())
    heatmap = _render(ConfusionHeatmap(matrix, names), 120)
    header = next(line for line in heatmap.splitlines() if line.split()[:1] == ["A"]).split()
    assert header == names[:13] + ["Z"]  # Z was predicted: kept; the other 12 left out
    assert "12 classes with no test images nor predictions left out" in " ".join(heatmap.split())
    one = np.zeros((3, 3), dtype=int)
    one[0, 0] = 4
    assert "2 classes with no test images left out: b, c" in _render(per_class_table(one, ["a", "b", "c"]))
    one[1, 1] = 1
    assert "1 class with no test images left out: c" in _render(per_class_table(one, ["a", "b", "c"]))


def test_most_confused_pairs_are_unambiguous_for_digits():
    text = pairs_text([("5", "3", 12), ("7", "9", 4)])
    assert text == "Most confused, true → predicted (test images): 5 → 3 (12), 7 → 9 (4)"


def test_the_report_needs_only_the_test_files(tmp_path, fake_emnist):
    """report, plot and export read a run's test split only: a data folder without training files does."""
    from emnist_tuner.reports.confusion import run_test_split

    for spec in datasets.DATASETS["emnist-letters"].files[:2]:
        (fake_emnist / spec.subdir / spec.name).unlink()  # the training images and labels
    data = run_test_split(tmp_path, {"dataset": "emnist-letters"}, fake_emnist)
    assert len(data.y_test) == 26 * 4


def test_the_space_a_search_explored(run_dir):
    text = _render(build_report(run_dir), 100)
    assert "full space" in _row_text(text, "search space") and "Search space narrowed" not in text
    config = json.loads((run_dir / "config.json").read_text())
    narrowing = {"fixed": {"batch_norm": True}, "choices": {"conv_blocks": [1, 2]}}
    narrowing["ranges"] = {"head_dropout": [0.1, 0.3]}
    (run_dir / "config.json").write_text(json.dumps({**config, "narrowing": narrowing, "restrict": {"filters": [16]}}))
    text = _render(build_report(run_dir), 100)
    assert "narrowed by --space (below)" in _row_text(text, "search space")
    assert "Search space narrowed by --space (the other hyperparameters as declared)" in text
    assert [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│ ")][:3] == [
        "conv_blocks",
        "batch_norm",
        "head_dropout",
    ]  # only the narrowed ones, in declaration order
    assert "│ 0..0.6 step 0.05 │ 0.1..0.3 step 0.05 │" in _row(text, "head_dropout")
