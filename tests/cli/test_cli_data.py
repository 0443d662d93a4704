"""`emnist-tuner data`: the table, and one-line errors without a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from helpers import run_cli


@pytest.mark.realdata
def test_data_table_on_the_real_folder(capsys, shared_data, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    code, out, err = run_cli(capsys, "data", "--data-dir", str(shared_data))
    assert code == 0, err
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("│")}
    assert "verified" in lines["mnist"] and "54,001" in lines["mnist"] and "10,000" in lines["mnist"]
    assert "verified" in lines["binary-alphadigits"] and "288" in lines["binary-alphadigits"]
    assert "missing" in lines["emnist-letters"]
    assert "emnist-letters: missing emnist-letters-train-images-idx3-ubyte.gz" in " ".join(out.split())


def test_data_on_an_empty_folder_says_missing_and_exits_zero(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run_cli(capsys, "data", "--data-dir", str(tmp_path))
    assert code == 0
    assert "mnist: missing train-images-idx3-ubyte.gz" in out


@pytest.mark.realdata
def test_truncated_mnist_exits_nonzero_with_one_line_and_no_traceback(shared_data, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(shared_data / "mnist", folder / "mnist")
    target = folder / "mnist" / "train-images-idx3-ubyte.gz"
    target.chmod(0o644)
    with open(target, "r+b") as handle:
        handle.truncate(4_000_000)
    env = {k: v for k, v in os.environ.items() if k != "EMNIST_TUNER_DATA"}
    proc = subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", "data", "--data-dir", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "train-images-idx3-ubyte.gz" in error_lines[0]
    assert "truncated" in error_lines[0]


def test_bad_option_value_exits_2(capsys):
    code, _, err = run_cli(capsys, "data", "--no-such-flag")
    assert code == 2 and "No such option" in err


def test_data_download_without_a_network(tmp_path):
    """No route to the sources (here: a mirror that refuses at once): each dataset says `not downloaded`,
    each reason is said once (on stderr), the offline ways are named, and no folder is created."""
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k != "EMNIST_TUNER_DATA"}
    env.update(EMNIST_TUNER_CACHE=str(cache), EMNIST_TUNER_MIRROR="http://127.0.0.1:9", COLUMNS="200")
    proc = subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", "data", "--download"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in proc.stdout.splitlines() if "│" in line}
    assert rows["mnist"] == rows["emnist-letters"] == rows["binary-alphadigits"] == "not downloaded"
    assert "invalid" not in proc.stdout
    errors = proc.stderr.splitlines()
    assert len(errors) == 4 and all(line.startswith("error: ") for line in errors)
    for line in errors:
        assert "--data-dir DIR" in line and "EMNIST_TUNER_DATA=DIR" in line and str(cache) in line
    assert "cannot download" not in proc.stdout  # each reason said once: on stderr, not in the table's notes too
    assert [line.split(":")[1].strip() for line in errors] == [
        "emnist-letters",
        "mnist",
        "binary-alphadigits",
        "emnist-letters-sample",
    ]
    assert not cache.exists()  # nothing was written: not even an empty folder
