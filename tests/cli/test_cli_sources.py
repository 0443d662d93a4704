"""`--dataset csv:… / folder:… / npz:…` through the CLI: each bad input is one line naming the file (and
row), exit 1 (a missing path: exit 2), nothing written; `data --dataset` describes a source; a run whose
source changed since is refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import run_cli, snapshot
from source_files import csv_source, folder_source, npz_source

from emnist_tuner.data import sources


@pytest.fixture(autouse=True)
def fresh():
    sources.forget()
    yield
    sources.forget()


def _csv_with(tmp_path, row: int, edit) -> str:
    path = csv_source(tmp_path, with_test=False, per_class=3)
    lines = path.read_text().splitlines(keepends=True)
    lines[row - 1] = edit(lines[row - 1])
    path.write_text("".join(lines))
    return str(path)


def _short_row(tmp_path):
    path = _csv_with(tmp_path, 2, lambda line: line.rsplit(",", 1)[0] + "\n")
    return f"csv:{path}", f"{path}:2: 784 values in the row, expected 785"


def _word(tmp_path):
    path = _csv_with(tmp_path, 3, lambda line: line.rsplit(",", 1)[0] + ",ab\n")
    return f"csv:{path}", f"{path}:3: column 785: 'ab' is not a whole number (pixel)"


def _pixel(tmp_path):
    path = _csv_with(tmp_path, 4, lambda line: line.rsplit(",", 1)[0] + ",999\n")
    return f"csv:{path}", f"{path}:4: column 785: pixel value 999 is outside 0..255"


def _label(tmp_path):
    path = _csv_with(tmp_path, 5, lambda line: "40" + line[line.index(",") :])
    return f"csv:{path}", f"{path}:5: label 40 is not in the mapping {tmp_path / 'emnist-glyphs-mapping.txt'}"


def _one_class(tmp_path):
    (tmp_path / "f" / "A").mkdir(parents=True)
    (tmp_path / "f" / "A" / "1.png").write_bytes(b"")
    return f"folder:{tmp_path / 'f'}", f"{tmp_path / 'f'}: a dataset folder needs two or more class sub-folders"


def _empty_class(tmp_path):
    root = folder_source(tmp_path / "f", per_class=2)
    (root / "Z").mkdir()
    return f"folder:{root}", f"{root / 'Z'}: an empty class folder (no image in it)"


def _unreadable(tmp_path):
    root = folder_source(tmp_path / "f", per_class=2)
    (root / "B" / "0005.png").write_bytes(b"\x89PNG broken")
    return f"folder:{root}", f"{root / 'B' / '0005.png'}: not an image that can be read"


def _mixed(tmp_path):
    np.savez(tmp_path / "a.npz", x_train=np.zeros((4, 28, 28), np.uint8), y_train=np.arange(3))
    return f"npz:{tmp_path / 'a.npz'}", f"{tmp_path / 'a.npz'}: y_train holds 3 labels but x_train 4 images"


def _missing_key(tmp_path):
    np.savez(tmp_path / "a.npz", images=np.zeros((4, 28, 28), np.uint8))
    return f"npz:{tmp_path / 'a.npz'}", f"{tmp_path / 'a.npz'}: no x_train or y_train"


BAD = [_short_row, _word, _pixel, _label, _one_class, _empty_class, _unreadable, _mixed, _missing_key]


@pytest.mark.parametrize("make", BAD, ids=[f.__name__.strip("_") for f in BAD])
@pytest.mark.parametrize("command", ["train", "search"])
def test_bad_input_is_one_line_exit_1_and_no_run_folder(tmp_path, capsys, make, command):
    spec, expected = make(tmp_path)
    run = tmp_path / "run"
    args = ("--preset", "dense") if command == "train" else ()
    code, _, err = run_cli(capsys, command, *args, "--dataset", spec, "--run-dir", str(run))
    assert code == 1, err
    assert err.startswith(f"error: {expected}") and err.count("\n") == 1, err
    assert not run.exists()


def test_data_describes_a_bad_source_in_one_line_too(tmp_path, capsys):
    spec, expected = _pixel(tmp_path)
    code, out, err = run_cli(capsys, "data", "--dataset", spec)
    assert code == 1 and err.startswith(f"error: {expected}") and out == ""


def _subprocess(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    return subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_real_process_a_missing_path_exits_2_and_a_bad_row_exits_1(tmp_path):
    done = _subprocess("search", "--dataset", "csv:nowhere/letters.csv", "--run-dir", "run", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr == (
        f"error: --dataset csv:nowhere/letters.csv: {tmp_path / 'nowhere' / 'letters.csv'} does not exist; "
        "give an existing .csv file\n"
    )
    spec, expected = _word(tmp_path)
    done = _subprocess("train", "--preset", "dense", "--dataset", spec, "--run-dir", "run", cwd=tmp_path)
    assert done.returncode == 1 and done.stderr.startswith(f"error: {expected}") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr and not (tmp_path / "run").exists()


def test_data_describes_classes_shape_test_split_and_cache(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = npz_source(tmp_path / "a.npz", with_test=False)
    code, out, err = run_cli(capsys, "data", "--dataset", f"npz:{path}")
    assert code == 0, err
    text = " ".join(out.split())
    assert f"datasetnpz:{path}" in "".join(out.split())  # a long temporary path may be folded over two lines
    assert "images 28x28, uint8 0..255" in text and "classes 10" in text
    assert "test 20; none of its own: 20% of each class held out (stratified, seed 20813)" in text
    assert "cache none: an .npz is read directly" in text
    assert "│ 0 │ A │ 10 │ 2 │" in text and "│ 9 │ J │ 10 │ 2 │" in text  # 12 per class: 10 train + val, 2 test
    root = folder_source(tmp_path / "f", per_class=3)
    for said in ("read from the files in", "(read from it)"):
        sources.forget()
        code, out, _ = run_cli(capsys, "data", "--dataset", f"folder:{root}")
        assert code == 0 and said in " ".join(out.split()) and "test 10; none of its own" in " ".join(out.split())


def test_data_describes_a_built_in_dataset_too(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run_cli(capsys, "data", "--dataset", "synthetic")
    text = " ".join(out.split())
    assert code == 0 and "dataset synthetic" in text and "train + validation 600" in text
    assert "│ 9 │ g9 │ 60 │ 20 │" in text


def _fake_run(tmp_path, spec: str, kind: str = "train"):
    """A train (or search) run folder made from ``spec``: its config and origin, as the command writes them."""
    from emnist_tuner.runfolder.configs import SearchConfig
    from emnist_tuner.runfolder.origin import remember_origin

    run = tmp_path / "run"
    run.mkdir()
    if kind == "search":
        SearchConfig.from_profile(spec).save(run)
    else:
        (run / "config.json").write_text(json.dumps({"kind": "train", "preset": "dense", "dataset": spec}))
    remember_origin(run, spec)
    return run


@pytest.mark.parametrize("command", ["report", "plot", "export", "predict", "resume"])
def test_a_run_whose_source_changed_is_refused(tmp_path, capsys, command):
    path = csv_source(tmp_path)
    spec = f"csv:{path}"
    run = _fake_run(tmp_path, spec, "search" if command == "resume" else "train")
    origin = json.loads((run / "origin.json").read_text())
    assert origin["dataset"] == spec and origin["data"]["test_split"] == {
        "origin": "own",
        "from": str(tmp_path / "emnist-glyphs-test.csv"),
        "images": 40,
    }
    test_file = tmp_path / "emnist-glyphs-test.csv"
    test_file.write_text(test_file.read_text() + test_file.read_text().splitlines(keepends=True)[0])  # one more
    before = sorted(p.name for p in run.iterdir())
    extra = {"export": ("--format", "keras", "--out", str(tmp_path / "m.keras")), "predict": (str(tmp_path),)}
    code, _, err = run_cli(capsys, command, str(run), *extra.get(command, ()))
    assert code == 1 and err == (
        f"error: {run} was made from {spec}, whose files changed since (emnist-glyphs-test.csv (changed); content "
        f"sha256 {origin['data']['sha256'][:12]}… then, {sources.source_record(spec)['sha256'][:12]}… now); put "
        "back the files it was made from, or start a new run on the data as it is now\n"
    )
    assert sorted(p.name for p in run.iterdir()) == before


def test_a_train_run_again_on_a_changed_source_is_refused_before_anything_is_written(tmp_path, capsys):
    root = folder_source(tmp_path / "f", per_class=3)
    run = _fake_run(tmp_path, f"folder:{root}")
    (root / "C" / "0006.png").unlink()
    before = snapshot(run)
    code, _, err = run_cli(capsys, "train", "--preset", "dense", "--dataset", f"folder:{root}", "--run-dir", str(run))
    assert code == 1 and "whose files changed since (C/0006.png (removed);" in err
    assert snapshot(run) == before
