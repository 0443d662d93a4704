"""`emnist-tuner runs` and `compare` over run folders built by the test."""

from __future__ import annotations

import json

from helpers import run_cli


def _search_run(folder, test_accuracy=0.9912):
    (folder / "tuner" / "trial_0000").mkdir(parents=True)
    (folder / "config.json").write_text(
        json.dumps({"dataset": "mnist", "kind": "search", "profile": "quick", "max_epochs": 9, "factor": 3})
    )
    (folder / "tuner" / "trial_0000" / "trial.json").write_text(
        json.dumps({"trial_id": "0000", "status": "COMPLETED", "score": 0.975, "hyperparameters": {"values": {}}})
    )
    (folder / "final.json").write_text(json.dumps({"test_accuracy": test_accuracy, "parameters": 34826, "epochs": 7}))
    (folder / "status.json").write_text(json.dumps({"state": "completed"}))


def _train_run(folder):
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"dataset": "mnist", "kind": "train", "preset": "convnet"}))
    (folder / "metrics.json").write_text(
        json.dumps({"test_accuracy": 0.9917, "best_val_accuracy": 0.9898, "parameters": 34826, "epochs_trained": 15})
    )
    (folder / "status.json").write_text(json.dumps({"state": "running"}))  # a killed run: nobody holds its lock


def test_runs_lists_every_run_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    _search_run(tmp_path / "search-a")
    _train_run(tmp_path / "train-b")
    (tmp_path / "not-a-run").mkdir()
    code, out, err = run_cli(capsys, "runs", str(tmp_path))
    assert code == 0, err
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 2
    assert "search-a" in rows[0] and "1/1" in rows[0] and "97.50 %" in rows[0] and "99.12 %" in rows[0]
    assert "train-b" in rows[1] and "interrupted" in rows[1] and "99.17 %" in rows[1]


def test_compare_puts_runs_side_by_side(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    _search_run(tmp_path / "a")
    _train_run(tmp_path / "b")
    code, out, _ = run_cli(capsys, "compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 0
    test_row = next(line for line in out.splitlines() if "test accuracy" in line)
    assert test_row.split("│")[2].strip() == "99.12 %" and test_row.split("│")[3].strip() == "99.17 %"
    assert "preset convnet" in out


def test_compare_and_runs_errors(tmp_path, capsys):
    code, _, err = run_cli(capsys, "compare", str(tmp_path), str(tmp_path))
    assert code == 1 and "not a run folder" in err
    code, _, err = run_cli(capsys, "compare", str(tmp_path))  # its help says two or more
    assert code == 2 and err == "error: compare needs two or more run folders; for one, see `emnist-tuner report RUN`\n"
    code, _, err = run_cli(capsys, "runs", str(tmp_path / "absent"))
    assert code == 1 and "is not a folder" in err


def test_compare_shows_the_recipe_in_words(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    for name, recipe, subset in (
        ("a", {"epochs": None, "warmup_epochs": 1, "label_smoothing": 0.1, "ema": True, "weight_decay": 0.0}, 10000),
        ("b", {"epochs": 12, "warmup_epochs": 0, "label_smoothing": 0.0, "ema": False, "weight_decay": 5e-4}, None),
    ):
        _search_run(tmp_path / name)
        config = json.loads((tmp_path / name / "config.json").read_text())
        config.update(recipe=recipe, subset=subset, restrict={"pooling": ["max", "average"]} if subset else {})
        (tmp_path / name / "config.json").write_text(json.dumps(config))
    code, out, err = run_cli(capsys, "compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert code == 0, err
    rows = {
        cells[0]: cells[1:]
        for cells in ([c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines())
        if cells
    }
    assert rows["final epochs"] == ["the winner's, as in the search", "12"]
    assert rows["warm-up epochs"] == ["1", "none"] and rows["label smoothing"] == ["0.1", "none"]
    assert rows["weight average (EMA)"] == ["on", "off"]
    assert rows["weight decay"] == ["the optimizer's own", "0.0005"]
    assert rows["subset"] == ["10,000", "all images"] and rows["restrict"] == ["pooling: max, average", "none"]
    for python in ("None", "True", "False", "=", "[", "{"):
        assert python not in out, python


def test_compare_refuses_the_same_run_twice(tmp_path, capsys):
    _search_run(tmp_path / "a")
    _search_run(tmp_path / "b")
    for second in (str(tmp_path / "a"), f"{tmp_path}/./a/"):
        code, out, err = run_cli(capsys, "compare", str(tmp_path / "a"), str(tmp_path / "b"), second)
        assert code == 2 and out == "" and err.startswith("error: compare: ") and err.count("\n") == 1
        assert err.endswith("; give two or more different run folders\n")
