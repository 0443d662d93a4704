"""A run folder written by emnist-tuner 0.1 before the restructure (``tests/fixtures/search-v0.1-killed``:
a tiny synthetic search SIGKILLed in its first trial, no tuner0.json yet) is read, resumed and rendered
by this version."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import accuracy_of_saved_predictions, run_cli

import emnist_tuner
from emnist_tuner.runfolder.configs import SearchConfig, load_config

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "search-v0.1-killed"


@pytest.fixture
def old_run(tmp_path) -> Path:
    run = tmp_path / "old-run"
    shutil.copytree(FIXTURE, run)
    return run


def test_an_old_run_folder_is_read_as_it_was(old_run, capsys):
    config = load_config(old_run)
    assert isinstance(config, SearchConfig) and config.dataset == "synthetic" and config.max_params == 60000
    code, out, err = run_cli(capsys, "leaderboard", str(old_run), "--format", "json")
    assert code == 0, err
    assert [(t["trial_id"], t["status"]) for t in json.loads(out)] == [("0000", "interrupted")]
    code, out, err = run_cli(capsys, "runs", str(old_run.parent))
    assert code == 0 and "old-run" in out and "interrupted" in out


@pytest.mark.slow
def test_an_old_run_folder_resumes_and_renders(old_run, capsys):
    proc = subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", "resume", str(old_run)], capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stdout.split())
    assert "took over the lock left by process" in said and "tuner0.json was missing" in said
    final = json.loads((old_run / "final.json").read_text())
    assert final["test_accuracy"] == pytest.approx(accuracy_of_saved_predictions(old_run))
    assert json.loads((old_run / "status.json").read_text())["state"] == "completed"
    origin = json.loads((old_run / "origin.json").read_text())  # recorded from now on, never guessed
    assert origin["created_by"] is None and origin["written_by"] == emnist_tuner.__version__
    code, out, err = run_cli(capsys, "report", str(old_run))
    assert code == 0, err
    assert "Search summary" in out and "held-out test accuracy" in out and "Architecture" in out
