"""A run remembers where its data was: after a search made with EMNIST_TUNER_DATA set (as `make run` does),
`report`, `plot` and `export` work in a new shell without it (real subprocesses, a one-trial search on the
real Binary AlphaDigits)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from optional import SHARED_DATA, require

import emnist_tuner

pytestmark = [pytest.mark.slow, pytest.mark.realdata]


def cli(*args, cwd, data: str | None = None, timeout=600):
    env = {k: v for k, v in os.environ.items() if k not in ("EMNIST_TUNER_DATA", "COLUMNS")}
    env["EMNIST_TUNER_CACHE"] = str(cwd / "empty-cache")  # nothing to fall back on
    if data:
        env["EMNIST_TUNER_DATA"] = data
    return subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    require("data", SHARED_DATA is not None, "the real data folder ../shared/data (or EMNIST_TUNER_DATA) is missing")
    home = tmp_path_factory.mktemp("shell")
    proc = cli(
        "search",
        "--dataset",
        "binary-alphadigits",
        "--max-epochs",
        "1",
        "--factor",
        "2",
        "--no-seed-presets",
        "--no-tensorboard",
        "--run-dir",
        "runs/quick",
        cwd=home,
        data=str(SHARED_DATA),
    )
    assert proc.returncode == 0, proc.stderr
    return home


def test_the_run_records_its_data_folder_and_version(searched):
    origin = json.loads((searched / "runs" / "quick" / "origin.json").read_text())
    assert origin == {
        "created_by": emnist_tuner.__version__,
        "written_by": emnist_tuner.__version__,
        "dataset": "binary-alphadigits",
        "data_dir": str(SHARED_DATA),
    }


def test_report_plot_and_export_find_the_data_in_a_new_shell(searched):
    report = cli("report", "runs/quick", cwd=searched)
    assert report.returncode == 0, report.stderr
    assert "Per-class test accuracy" in report.stdout and "could not be loaded" not in report.stdout

    plot = cli("plot", "runs/quick", "--out", "figures", "--only", "confusion,per-class", cwd=searched)
    assert plot.returncode == 0, plot.stderr
    assert sorted(p.name for p in (searched / "figures").iterdir()) == ["confusion.png", "per-class.png"]

    export = cli("export", "runs/quick", "--format", "keras", "--out", "model.keras", cwd=searched)
    assert export.returncode == 0, export.stderr
    card = json.loads((searched / "model.keras.card.json").read_text())
    assert card["verified"]["images"] == "the first 288 binary-alphadigits test images"


def test_data_dir_still_comes_first(searched, tmp_path):
    (tmp_path / "binaryalphadigs.mat").write_bytes(b"not the real file")  # found there first, so it is the one read
    export = cli(
        "export", "runs/quick", "--format", "keras", "--out", "again.keras", "--data-dir", tmp_path, cwd=searched
    )
    assert export.returncode == 1 and not (searched / "again.keras").exists()
    assert f"{tmp_path / 'binaryalphadigs.mat'}: 17 bytes" in export.stderr
