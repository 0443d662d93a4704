"""`search`, `train` and `ablate` end to end on a user's own files (csv, folder, npz), tiny settings: the
run's config stores the canonical spec, origin.json the content hash and the test split, and the test
split is the source's own or the seeded 20 %."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import run_cli
from source_files import csv_source, folder_source, npz_source

from emnist_tuner.data import sources

pytestmark = pytest.mark.slow

SOURCES = {
    # (make the source under tmp_path: its spec, test images expected)
    "csv": (lambda tmp: f"csv:{csv_source(tmp)}", 40),  # its own test file: 4 per class
    "folder": (lambda tmp: f"folder:{folder_source(tmp / 'glyphs')}", 20),  # carved: 20 % of 12 per class
    "npz": (lambda tmp: f"npz:{npz_source(tmp / 'glyphs.npz', with_test=False)}", 20),
}
TINY_SEARCH = ("--max-epochs", "1", "--factor", "2", "--no-tensorboard", "--max-params", "120000")


def _check_recorded(run, spec: str, test_images: int) -> None:
    config = json.loads((run / "config.json").read_text())
    assert config["dataset"] == spec
    origin = json.loads((run / "origin.json").read_text())
    assert origin["dataset"] == spec and origin["data"]["sha256"] == sources.source_record(spec)["sha256"]
    assert origin["data"]["test_split"]["images"] == test_images
    assert len(np.load(run / "test_predictions.npy")) == test_images


@pytest.mark.parametrize("kind", SOURCES)
def test_search_on_a_users_source(tmp_path, capsys, monkeypatch, kind):
    make, test_images = SOURCES[kind]
    spec = make(tmp_path)
    monkeypatch.chdir(tmp_path)
    relative = spec.replace(f"{tmp_path}/", "")  # a path relative to the working folder is stored absolute
    code, out, err = run_cli(capsys, "search", "--dataset", relative, "--run-dir", "run", *TINY_SEARCH)
    assert code == 0, err
    final = json.loads((tmp_path / "run" / "final.json").read_text())
    assert final["test_images"] == test_images and 0 <= final["test_accuracy"] <= 1
    _check_recorded(tmp_path / "run", spec, test_images)
    assert f"data: {spec}:" in " ".join(out.split())


@pytest.mark.parametrize("kind", SOURCES)
def test_train_on_a_users_source(tmp_path, capsys, kind):
    make, test_images = SOURCES[kind]
    spec = make(tmp_path)
    run = tmp_path / "run"
    args = ("--preset", "dense", "--dataset", spec, "--run-dir", str(run), "--epochs", "2")
    code, out, err = run_cli(capsys, "train", *args)
    assert code == 0, err
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_images"] == test_images and metrics["dataset"] == spec
    _check_recorded(run, spec, test_images)
    code, out, err = run_cli(capsys, "report", str(run))
    assert code == 0, err


def test_ablate_on_a_users_source(tmp_path, capsys):
    spec = f"npz:{npz_source(tmp_path / 'glyphs.npz')}"
    run = tmp_path / "abl"
    args = ("--base", "dense", "--dataset", spec, "--methods", "dropout", "--seeds", "1", "--epochs", "1")
    code, _, err = run_cli(capsys, "ablate", "--run-dir", str(run), *args)
    assert code == 0, err
    assert json.loads((run / "config.json").read_text())["dataset"] == spec
    assert json.loads((run / "origin.json").read_text())["data"]["test_split"]["origin"] == "own"
