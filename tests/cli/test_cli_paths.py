"""Every output path of every command is checked before any work: one `error:` line, exit code 2, nothing
written and nothing printed before it (``/proc`` takes no new files even for root; a path under a file)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from helpers import run_cli


@pytest.fixture
def run(tmp_path):
    """A search run folder with nothing in it but its config (enough for every reading command)."""
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"dataset": "synthetic", "kind": "search", "seed_presets": []}))
    (tmp_path / "a-file").write_text("mine")
    return folder


def _assert_refused(result, option, path):
    code, out, err = result
    assert code == 2, err
    assert out == "" and err.startswith(f"error: {option} {path}") and err.count("\n") == 1, (out, err)
    assert "Traceback" not in err


@pytest.mark.parametrize("under", ["/proc", "{tmp}/a-file"])
@pytest.mark.parametrize(
    ("args", "option", "name"),
    [
        (["report", "{run}", "--html"], "--html", "x.html"),
        (["report", "{run}", "--svg"], "--svg", "x.svg"),
        (["plot", "{run}", "--out"], "--out", "plots"),
        (["compare", "{run}", "{other}", "--plot"], "--plot", "x.png"),
        (["export", "{run}", "--format", "onnx", "--out"], "--out", "w.onnx"),
    ],
)
def test_a_reading_command_refuses_an_unwritable_output_first(run, tmp_path, capsys, args, option, name, under):
    path = f"{under.format(tmp=tmp_path)}/{name}"
    other = tmp_path / "other"
    if "{other}" in args:
        shutil.copytree(run, other)  # compare needs two different runs
    argv = [a.format(run=run, other=other) for a in args] + [path]
    _assert_refused(run_cli(capsys, *argv), option, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["a-file", "run"] + (["other"] if other.exists() else [])
    )
    assert (tmp_path / "a-file").read_text() == "mine"


@pytest.mark.parametrize(
    "args",
    [
        ["search", "--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"],
        ["train", "--preset", "dense", "--dataset", "synthetic", "--epochs", "1"],
        ["ablate", "--dataset", "synthetic", "--base", "dense", "--methods", "batchnorm", "--seeds", "1"],
    ],
)
def test_a_run_writing_command_refuses_an_unwritable_run_dir(tmp_path, capsys, args):
    for path in ("/proc/run", str(tmp_path / "a-file" / "run")):
        (tmp_path / "a-file").write_text("mine")
        _assert_refused(run_cli(capsys, *args, "--run-dir", path), "--run-dir", path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_report_refuses_the_html_path_before_printing_anything(run):
    """As the user saw it: a real process, and the refusal before the report (which took 22 s)."""
    env = {k: v for k, v in os.environ.items() if k != "EMNIST_TUNER_DATA"}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", "report", str(run), "--html", "/proc/x.html"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith("error: --html /proc/x.html") and proc.stderr.count("\n") == 1
    assert "tensorflow" not in proc.stderr.lower() and time.monotonic() - started < 60
