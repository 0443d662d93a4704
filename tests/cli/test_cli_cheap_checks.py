"""Cheap checks come first, for every command: a bad option value, preset, dataset, method or count is one
`error:` line before TensorFlow is imported (each case runs the real CLI in a fresh interpreter, which
then says whether TensorFlow is in ``sys.modules``), and no TensorFlow or LiteRT log line reaches the user."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "search-v0.1-killed"
MARK = "tensorflow imported: "
# Runs the CLI's main, then says on stdout whether TensorFlow was imported (main always exits).
RUN_MAIN = f"""
import sys
from emnist_tuner.cli import main
try:
    main(sys.argv[1:])
finally:
    print("\\n{MARK}" + str("tensorflow" in sys.modules))
"""


def run_fresh(*args, cwd=None) -> tuple[int, str, str, bool]:
    """The CLI in a new interpreter: (exit code, stdout, stderr, whether TensorFlow was imported)."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN_MAIN, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd
    )
    out, _, imported = proc.stdout.rpartition(MARK)
    return proc.returncode, out, proc.stderr, imported.strip() == "True"


@pytest.fixture
def search_run(tmp_path) -> Path:
    """A (killed) search run folder whose config says its trial count, so reading it needs no KerasTuner."""
    run = tmp_path / "search"
    shutil.copytree(FIXTURE, run)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "scheduled_trials": 3}))
    return run


TRAIN = ("train", "--preset", "model1", "--dataset", "synthetic", "--run-dir", "{tmp}/new")
ABLATE = ("ablate", "--run-dir", "{tmp}/new", "--dataset", "synthetic")
SEARCH = ("search", "--dataset", "synthetic", "--run-dir", "{tmp}/new")
CASES = [
    (("train", "--preset", "model9", "--dataset", "synthetic", "--run-dir", "{tmp}/new"), 2, "unknown preset 'model9'"),
    (("train", "--preset", "model1", "--dataset", "mnsit", "--run-dir", "{tmp}/new"), 2, "unknown dataset 'mnsit'"),
    ((*TRAIN, "--epochs", "0"), 2, "--epochs must be at least 1"),
    ((*TRAIN, "--precision", "fp8"), 2, "--precision must be one of"),
    ((*SEARCH, "--profile", "huge"), 2, "unknown profile 'huge'"),
    ((*SEARCH, "--factor", "1"), 2, "--factor must be at least 2"),
    ((*SEARCH, "--role", "boss", "--oracle", "127.0.0.1:8000"), 2, "--role must be chief or worker"),
    ((*SEARCH, "--role", "chief", "--oracle", "0.0.0.0:8000"), 2, "on 0.0.0.0, beyond this machine, to anyone"),
    ((*SEARCH, "--workers", "many"), 2, "--workers must be a number from 1 to 64 or auto"),
    ((*SEARCH, "--keep-checkpoints", "some"), 2, "--keep-checkpoints must be one of all, needed, best, got 'some'"),
    (("resume", "{run}", "--keep-checkpoints", "most"), 2, "--keep-checkpoints must be one of all, needed, best"),
    (("resume", "{tmp}/new"), 1, "config.json is missing"),
    ((*ABLATE, "--seeds", "0"), 2, "--seeds must be at least 1"),
    ((*ABLATE, "--methods", "foo"), 2, "unknown method 'foo'"),
    ((*ABLATE, "--base", "model9"), 2, "unknown preset 'model9'"),
    (("retrain", "{run}", "--epochs", "0"), 2, "--epochs must be at least 1"),
    (("retrain", "{run}", "--dataset", "mnsit"), 2, "unknown dataset 'mnsit'"),
    (("transfer", "{run}", "--folds", "1"), 2, "--folds must be at least 2"),
    (("transfer", "{run}", "--epochs", "3"), 2, "--epochs was removed"),
    (("transfer", "{run}", "--ensemble", "0"), 2, "--ensemble must be at least 1, got 0"),
    (("transfer", "{run}", "--ensemble", "x"), 2, "--ensemble"),
    (("transfer", "{run}", "--tta", "0"), 2, "--tta must be at least 1, got 0"),
    (("predict", "{run}", "{tmp}/x.png", "--top", "0"), 2, "--top must be at least 1"),
    (("predict", "{run}", "{tmp}/x.png", "--invert", "maybe"), 2, "--invert must be one of"),
    (("export", "{run}", "--format", "pdf", "--out", "{tmp}/x.pdf"), 2, "--format must be one of"),
    (
        ("export", "{run}", "--format", "keras", "--out", "{tmp}/x.onnx"),
        2,
        "keras exports are .keras files; give a path ending in .keras (or --format onnx",
    ),
    (("report", "{tmp}/new"), 1, "is not a run folder"),
    (("plot", "{run}", "--format", "gif", "--out", "{tmp}/plots"), 2, "--format must be one of png, svg"),
    (("plot", "{run}", "--only", "foo", "--out", "{tmp}/plots"), 2, "unknown figure 'foo'"),
    (("leaderboard", "{run}", "--format", "xml"), 2, "--format must be table, json, csv or markdown"),
    (("leaderboard", "{run}", "--sort", "nope"), 2, "unknown column 'nope'"),
    (("runs", "{tmp}/new"), 1, "is not a folder"),
    (("compare", "{run}"), 2, "two or more run folders"),
    (("data", "--dwnload"), 2, "No such option: --dwnload"),
    (("presets", "--all"), 2, "No such option: --all"),
    (("serve", "{tmp}", "--port", "0"), 2, "--port must be between 1 and 65535"),
    ((*SEARCH, "--mlflow", "bogus://x"), 2, "--mlflow bogus://x: unknown tracking store scheme"),
    (("mlflow", "{run}", "--uri", "ftp://host/x"), 2, "--uri ftp://host/x: unknown tracking store scheme"),
]


@pytest.mark.parametrize("args, code, phrase", CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in CASES])
def test_a_bad_value_is_refused_before_tensorflow_is_imported(tmp_path, search_run, args, code, phrase):
    args = [a.format(tmp=tmp_path, run=search_run) for a in args]
    got, out, err, imported = run_fresh(*args)
    assert got == code, (out, err)
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and phrase in err, err
    assert not imported, f"`emnist-tuner {' '.join(args)}` imported TensorFlow before refusing"
    assert not (tmp_path / "new").exists()


def test_every_command_has_a_case():
    from emnist_tuner.cli.app import app

    commands = {command.name or command.callback.__name__ for command in app.registered_commands}
    assert commands == {args[0] for args, _, _ in CASES}


@pytest.mark.slow
def test_a_litert_export_prints_no_tensorflow_log_line(tmp_path):
    import emnist_tuner as et

    run = tmp_path / "train"
    et.train("convnet", "synthetic", run, epochs=1, subset=100, console=None)
    code, out, err, _ = run_fresh("export", run, "--format", "litert", "--out", tmp_path / "m.tflite")
    assert code == 0 and "verified with LiteRT interpreter" in out, err
    assert err == ""  # e.g. no "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
