"""`emnist-tuner data`: the table, and one-line errors without a traceback."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys

import pytest
from helpers import run_cli, write_split

from emnist_tuner.data import datasets


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
    assert rows["emnist-balanced"] == rows["emnist-bymerge"] == "not downloaded"
    assert "invalid" not in proc.stdout
    errors = proc.stderr.splitlines()
    assert len(errors) == 9 and all(line.startswith("error: ") for line in errors)
    for line in errors:
        assert "--data-dir DIR" in line and "EMNIST_TUNER_DATA=DIR" in line and str(cache) in line
    assert "cannot download" not in proc.stdout  # each reason said once: on stderr, not in the table's notes too
    assert [line.split(":")[1].strip() for line in errors] == [
        "emnist-letters",
        "emnist-balanced",
        "emnist-byclass",
        "emnist-bymerge",
        "emnist-digits",
        "emnist-mnist",
        "mnist",
        "binary-alphadigits",
        "emnist-letters-sample",
    ]
    assert not cache.exists()  # nothing was written: not even an empty folder


SPLITS = ("emnist-balanced", "emnist-byclass", "emnist-bymerge", "emnist-digits", "emnist-mnist")


def _rows(out: str) -> dict[str, list[str]]:
    return {cells[1]: cells[2:] for line in out.splitlines() if (cells := [c.strip() for c in line.split("│")])[1:]}


def test_data_lists_every_emnist_split_and_how_it_is_verified(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    specs = write_split(tmp_path, "emnist-mnist", sha256=False)  # as if no sha256 were published
    info = datasets.DATASETS["emnist-mnist"]
    monkeypatch.setitem(datasets.DATASETS, "emnist-mnist", dataclasses.replace(info, files=tuple(specs)))
    code, out, err = run_cli(capsys, "data", "--data-dir", str(tmp_path))
    assert code == 0, err
    rows = _rows(out)
    assert rows["emnist-mnist"][:5] == ["verified", "20", "0", "10", "size + IDX header"]
    for name in SPLITS[:-1]:
        assert rows[name][0] == "missing" and rows[name][4] == "sha256"
    assert rows["synthetic"][4] == "-"
    flat = " ".join(out.split())
    assert "emnist-mnist: no published sha256: its files are checked by size + IDX header" in flat
    assert "emnist-digits: missing emnist-digits-train-images-idx3-ubyte.gz" in flat


def test_data_refuses_a_split_file_with_a_wrong_header_in_one_line(capsys, tmp_path, monkeypatch):
    specs = write_split(tmp_path, "emnist-balanced", sha256=False)
    specs[3] = dataclasses.replace(specs[3], idx_shape=(48,))  # the file holds 47 labels
    info = datasets.DATASETS["emnist-balanced"]
    monkeypatch.setitem(datasets.DATASETS, "emnist-balanced", dataclasses.replace(info, files=tuple(specs)))
    code, out, err = run_cli(capsys, "data", "--data-dir", str(tmp_path))
    assert code == 1 and "Traceback" not in err
    path = tmp_path / "emnist-balanced" / "emnist-balanced-test-labels-idx1-ubyte.gz"
    assert err.splitlines() == [
        f"error: emnist-balanced: {path}: IDX header says shape (47,), but the real "
        "emnist-balanced-test-labels-idx1-ubyte.gz is (48,); a different or partial file: delete it and "
        "download it again (`emnist-tuner data --download`)"
    ]
    assert _rows(out)["emnist-balanced"][0] == "invalid"
