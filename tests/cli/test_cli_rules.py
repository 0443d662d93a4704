"""Rules that hold for every command (issue: what a new user trips on): one line per error with the
README's exit code, one count per run, complete exports, every visible name sortable, no wrapping
when piped, conflicting options refused."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest
from helpers import run_cli


def _trial(run, trial_id, status, score=None, epochs=3, trained=3, **values):
    folder = run / "tuner" / f"trial_{trial_id}"
    folder.mkdir(parents=True)
    state = {
        "trial_id": trial_id,
        "status": status,
        "score": score,
        "best_step": 0,
        "hyperparameters": {
            "values": {"tuner/epochs": epochs, "tuner/initial_epoch": 0, "tuner/bracket": 1, "tuner/round": 0, **values}
        },
        "message": "Traceback ...\nkeras_tuner.src.errors.FailedTrialError: Oversized model: 465402 "
        "parameters. Skip model.\n"
        if status == "FAILED"
        else None,
    }
    (folder / "trial.json").write_text(json.dumps(state))
    (run / "timings").mkdir(exist_ok=True)
    (run / "timings" / f"{trial_id}.json").write_text(json.dumps({"started": 0, "ended": 9, "epochs_trained": trained}))


def _search(run, trials: int, failed: int = 0, finished: bool = False):
    """A search run folder (max_epochs 2, factor 2: 5 trials scheduled)."""
    run.mkdir(parents=True)
    (run / "config.json").write_text(
        json.dumps(
            {
                "kind": "search",
                "dataset": "synthetic",
                "profile": "quick",
                "max_epochs": 2,
                "factor": 2,
                "iterations": 1,
                "subset": 1000,
            }
        )
    )
    for i in range(trials):
        if i < failed:
            _trial(run, f"{i:04d}", "FAILED", conv_blocks=4, initializer="glorot_uniform", pooling="average")
        else:
            _trial(
                run,
                f"{i:04d}",
                "COMPLETED",
                0.5 + i / 100,
                trained=2 if i % 2 else 3,
                conv_blocks=i % 3,
                initializer="lecun_normal" if i % 2 else "glorot_uniform",
                pooling="average",
                learning_rate=0.001,
            )
    if finished:
        (run / "final.json").write_text(json.dumps({"trial_id": f"{trials - 1:04d}", "test_accuracy": 0.9}))
        (run / "status.json").write_text(json.dumps({"state": "completed"}))
    return run


@pytest.mark.parametrize(
    "argv",
    [
        ["leaderbord"],
        ["leaderboard", "x", "--top"],
        ["leaderboard", "--bogus", "x"],
        ["search", "--dataset"],
        ["runs", "a", "b"],
        ["train", "--preset", "dense", "--preset", "convnet"],
        ["search", "--dataset", "synthetic", "--run-dir", "r", "--subset", "100", "--all-data"],
    ],
)
def test_usage_errors_are_one_line_exit_2(capsys, argv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    assert "╭" not in err and "Traceback" not in err and not (tmp_path / "r").exists()


def test_help_and_version(capsys):
    for argv in (["-h"], ["leaderboard", "-h"], ["--version"]):
        code, out, err = run_cli(capsys, *argv)
        assert code == 0 and err == "" and out
    assert run_cli(capsys, "--version")[1] == "emnist-tuner 0.4.0\n"
    code, out, _ = run_cli(capsys, "-h")
    commands = out.split("Commands:", 1)[1]
    listed = [line.split()[0] for line in commands.splitlines() if line.startswith("  ") and line[2] != " "]
    assert listed == [
        "data",
        "presets",
        "train",
        "search",
        "resume",
        "leaderboard",
        "report",
        "plot",
        "runs",
        "compare",
        "serve",
        "retrain",
        "transfer",
        "ablate",
        "predict",
        "export",
        "mlflow",
    ]  # the README's order


def test_an_output_file_that_cannot_be_written_is_one_line(tmp_path, capsys):
    run = _search(tmp_path / "run", 3, finished=True)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for option in ("--html", "--svg"):
        code, _, err = run_cli(capsys, "report", str(run), option, str(a_file / "report"))
        assert (
            code == 2
            and err.startswith(f"error: {option} {a_file / 'report'}: {a_file} is a file, not a folder")
            and err.count("\n") == 1
        )
    assert a_file.read_text() == "x"


@pytest.mark.parametrize("finished, expected", [(False, "3/5, 1 failed"), (True, "3/3, 1 failed")])
def test_every_command_counts_a_run_the_same(tmp_path, capsys, finished, expected):
    run = _search(tmp_path / "runs" / "s", 3, failed=1, finished=finished)
    other = _search(tmp_path / "runs" / "t", 2)
    outputs = {}
    for argv in (
        ["leaderboard", str(run)],
        ["runs", str(tmp_path / "runs")],
        ["compare", str(run), str(other)],
        ["report", str(run)],
    ):
        code, out, err = run_cli(capsys, *argv)
        assert code == 0, err
        outputs[argv[0]] = " ".join(out.split())
    assert f"trials {expected}" in outputs["leaderboard"]
    for command in ("runs", "compare", "report"):
        assert expected in outputs[command], command


def test_exports_hold_every_trial_with_full_values(tmp_path, capsys):
    run = _search(tmp_path / "run", 15, failed=2)
    for fmt in ("json", "csv", "markdown"):
        code, out, _ = run_cli(capsys, "leaderboard", str(run), "--format", fmt)
        assert code == 0
        if fmt == "json":
            rows = json.loads(out)
            assert len(rows) == 15 and {r["status"] for r in rows} == {"completed", "failed"}
            failed = [r for r in rows if r["status"] == "failed"]
            assert failed[0]["message"] == "model too large: 465,402 parameters (over --max-params)"
            assert failed[0]["epochs"] == 0 and failed[0]["epochs_scheduled"] == 3
        elif fmt == "csv":
            assert len(list(csv.DictReader(io.StringIO(out)))) == 15
        else:
            assert len(out.splitlines()) == 2 + 15 and "glorot_uniform" in out and "lecun_normal" in out
    code, out, _ = run_cli(capsys, "leaderboard", str(run), "--format", "json", "--top", "3")
    assert len(json.loads(out)) == 3


def test_every_name_the_leaderboard_shows_sorts(tmp_path, capsys):
    run = _search(tmp_path / "run", 6, failed=1)
    code, out, _ = run_cli(capsys, "leaderboard", str(run))
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    names = [cell.strip() for cell in header.strip("┃").split("┃")]
    notes = " ".join(out.split())
    assert "stopped early, M scheduled" in notes and "2 of 3" in out  # trained epochs, not the schedule
    exported = set()
    for fmt in ("csv", "markdown", "json"):
        out = run_cli(capsys, "leaderboard", str(run), "--format", fmt)[1]
        if fmt == "json":
            exported |= {k for k in json.loads(out)[0] if k != "hyperparameters"}  # its keys: sorted by their names
        else:
            first = out.splitlines()[0]
            exported |= set(first.split(",") if fmt == "csv" else first.strip("| ").split(" | "))
    assert {"epochs_scheduled", "message", "initial_epoch", "epochs_trained", "bracket", "round"} <= exported
    for name in names + sorted(exported):
        for direction in ([], ["--descending"], ["--ascending"]):
            code, _, err = run_cli(capsys, "leaderboard", str(run), "--sort", name, *direction)
            assert code == 0, f"--sort {name!r} {direction}: {err}"


def test_descending_and_ascending_sorts(tmp_path, capsys):
    run = _search(tmp_path / "run", 4)

    def order(*args):
        out = run_cli(capsys, "leaderboard", str(run), "--format", "csv", *args)[1]
        return [row["trial_id"] for row in csv.DictReader(io.StringIO(out))]

    assert order() == order("--descending") == ["0003", "0002", "0001", "0000"]  # the score: best first
    assert order("--ascending") == ["0000", "0001", "0002", "0003"]
    assert order("--sort", "trial") == order("--sort", "trial", "--ascending") == ["0000", "0001", "0002", "0003"]
    assert order("--sort", "trial_id", "--descending") == ["0003", "0002", "0001", "0000"]
    assert order("--sort", "rank", "--descending", "--top", "1") == ["0000"]


def test_all_keeps_top_and_folds_between_values_at_80_columns(tmp_path, capsys, monkeypatch):
    run = _search(tmp_path / "run", 6)
    from emnist_tuner.cli.common import console

    monkeypatch.setattr(console, "width", 80)  # a terminal's
    code, out, _ = run_cli(capsys, "leaderboard", str(run), "--all", "--top", "3")
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert code == 0 and len([r for r in rows if r.split("│")[2].strip()]) == 3
    assert "3 more trials not shown" in " ".join(out.split())
    folded = [r.split("│")[-2].strip() for r in rows]
    assert all(len(line) <= 80 for line in out.splitlines() if line.startswith(("│", "┃")))
    for pair in ("initializer=glorot_uniform", "initializer=lecun_normal"):  # whole on one line
        assert any(pair in cell.split() for cell in folded), pair


def test_leaderboard_of_another_kind_of_run_says_what_shows_it(tmp_path, capsys):
    run = tmp_path / "train-run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "train", "preset": "dense", "dataset": "mnist"}))
    code, out, err = run_cli(capsys, "leaderboard", str(run))
    assert (
        code == 1 and err == f"error: {run} is a train run: it has no trials to rank; see `emnist-tuner report {run}`\n"
    )


@pytest.mark.slow
def test_piped_output_is_not_wrapped(tmp_path):
    name = "a-search-with-a-rather-long-descriptive-name-" + "x" * 40
    _search(tmp_path / "runs" / name, 3)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    out = subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", "runs", str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert any(name in line for line in out.splitlines())
    assert any("synthetic" in line.split() or "synthetic" in line for line in out.splitlines())


def test_a_subset_has_exactly_the_images_asked_for():
    from emnist_tuner.data.prepare import prepare_data

    for size in (101, 99, 333):
        assert len(prepare_data("synthetic", size, seed=3).y_train) == size


def test_report_says_what_it_wrote(tmp_path, capsys):
    run = _search(tmp_path / "run", 3, finished=True)
    svg, html = tmp_path / "r.svg", tmp_path / "r.html"
    code, out, err = run_cli(capsys, "report", str(run), "--svg", str(svg), "--html", str(html))
    assert code == 0, err
    assert out.splitlines()[-2:] == [f"wrote {svg}", f"wrote {html}"] and svg.is_file() and html.is_file()
