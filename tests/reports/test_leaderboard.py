"""Leaderboards read from a run folder built by the test: completed, running and failed trials."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from helpers import render, snapshot

from emnist_tuner.cli import main
from emnist_tuner.reports.leaderboard import leaderboard_table, leaderboard_text
from emnist_tuner.runfolder.trials import read_trials


def _trial(project, trial_id, status, score=None, **values):
    folder = project / f"trial_{trial_id}"
    folder.mkdir(parents=True)
    state = {
        "trial_id": trial_id,
        "status": status,
        "score": score,
        "best_step": 1,
        "hyperparameters": {
            "values": {"tuner/epochs": 3, "tuner/initial_epoch": 0, "tuner/bracket": 1, "tuner/round": 0, **values}
        },
        "message": "Traceback...\nFailedTrialError: image too small for kernel 5" if status == "FAILED" else None,
    }
    (folder / "trial.json").write_text(json.dumps(state))


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    project = run / "tuner"
    _trial(project, "0000", "COMPLETED", 0.91, conv_blocks=2, optimizer="adam", learning_rate=0.001, filters_2=64)
    _trial(project, "0001", "COMPLETED", 0.95, conv_blocks=1, optimizer="adam", learning_rate=0.003)
    _trial(project, "0002", "FAILED", None, conv_blocks=4, optimizer="adam", learning_rate=0.001, filters_2=32)
    _trial(project, "0003", "RUNNING", None, conv_blocks=3, optimizer="adam", learning_rate=0.0001, filters_2=16)
    (run / "timings").mkdir()
    (run / "timings" / "0001.json").write_text(json.dumps({"started": 100.0, "ended": 175.0}))
    (run / "config.json").write_text(json.dumps({"dataset": "synthetic"}))
    return run


_render = render
_snapshot = snapshot


def test_table_ranks_completed_first_and_marks_the_rest(run_dir):
    text = _render(leaderboard_table(read_trials(run_dir)))
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert [row.split("│")[2].strip() for row in rows] == ["0001", "0000", "0003", "0002"]
    assert rows[0].split("│")[1].strip() == "1" and "0.9500" in rows[0] and "1:15" in rows[0]
    # KerasTuner left 0003 "running" but no process holds the run: it is shown as interrupted
    assert "interrupted" in rows[2] and rows[2].split("│")[1].strip() == ""  # no rank for an unfinished trial
    assert "failed" in rows[3] and rows[3].split("│")[5].strip() == "0"  # a failed trial trained no epoch
    assert "trials 2/4" in text
    assert "same in every trial shown: optimizer=adam" in " ".join(text.split())  # constant column collapsed


def test_inactive_hyperparameter_is_blank(run_dir):
    text = _render(leaderboard_table(read_trials(run_dir)), width=140)
    header = next(line for line in text.splitlines() if "filters_2" in line)
    col = [c.strip() for c in header.split("┃")].index("filters_2")
    row_0001 = next(line for line in text.splitlines() if "0001" in line)
    assert row_0001.split("│")[col].strip() == ""


def test_json_and_csv_parse_back_to_the_same_trials(run_dir):
    records = read_trials(run_dir)
    data = json.loads(leaderboard_text(records, "json"))
    assert [d["trial_id"] for d in data] == ["0001", "0000", "0003", "0002"]
    assert data[0]["score"] == 0.95 and data[0]["hyperparameters"]["learning_rate"] == 0.003
    assert data[3]["status"] == "failed" and data[3]["message"] == "image too small for kernel 5"
    rows = list(csv.DictReader(io.StringIO(leaderboard_text(records, "csv"))))
    assert [r["trial_id"] for r in rows] == [d["trial_id"] for d in data]
    assert float(rows[1]["score"]) == 0.91 and rows[1]["filters_2"] == "64" and rows[0]["filters_2"] == ""
    markdown = leaderboard_text(records, "markdown")
    assert markdown.splitlines()[2].startswith("| 1 | 0001 | completed | 0.9500")


def test_cli_leaderboard_reads_without_writing(run_dir, capsys):
    before = _snapshot(run_dir)
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", str(run_dir), "--format", "json"])
    assert (exit_info.value.code or 0) == 0
    assert len(json.loads(capsys.readouterr().out)) == 4
    assert _snapshot(run_dir) == before


def test_cli_leaderboard_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", str(tmp_path), "--format", "xml"])
    assert exit_info.value.code == 2 and "--format must be table, json, csv or markdown" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", str(tmp_path), "--top", "-3"])
    assert exit_info.value.code == 2 and "--top must be 0 (all) or more" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", str(tmp_path)])
    assert exit_info.value.code == 1 and "not a run folder" in capsys.readouterr().err


def test_unreadable_trial_file_is_shown_not_fatal(run_dir):
    (run_dir / "tuner" / "trial_0000" / "trial.json").write_text("")
    statuses = {r.trial_id: r.status for r in read_trials(run_dir)}
    assert statuses["0000"] == "unreadable"
    assert os.path.exists(run_dir / "tuner" / "trial_0000" / "trial.json")


def test_sort_by_a_column_keeps_the_score_ranks(run_dir):
    text = _render(leaderboard_table(read_trials(run_dir), sort="learning_rate"), width=80)
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert [row.split("│")[2].strip() for row in rows] == ["0003", "0000", "0002", "0001"]  # 1e-4, 1e-3 x2, 3e-3
    assert rows[3].split("│")[1].strip() == "1"  # 0001 is still the best by score
    header = next(line for line in text.splitlines() if "trial" in line and "┃" in line)
    assert [c.strip() for c in header.split("┃")][7] == "learning_rate"  # the sorted column is shown first
    by_trial = [d["trial_id"] for d in json.loads(leaderboard_text(read_trials(run_dir), "json", sort="trial"))]
    assert by_trial == ["0000", "0001", "0002", "0003"]


def test_sort_and_all_from_the_cli(run_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", str(run_dir), "--sort", "colour"])
    assert exit_info.value.code == 2 and "unknown column 'colour'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", str(run_dir), "--all"])
    out = capsys.readouterr().out
    assert (exit_info.value.code or 0) == 0
    trial_cells = [line.split("│")[2].strip() for line in out.splitlines() if line.startswith("│")]
    assert sorted(c for c in trial_cells if c) == ["0000", "0001", "0002", "0003"]  # --all: every trial
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert "hyperparameters" in header and "not shown" not in out  # every varying one, folded into one column
    flat = " ".join(out.split())
    assert all(name in flat for name in ("conv_blocks=", "learning_rate=", "filters_2="))
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", str(run_dir), "--all", "--top", "2"])
    out = capsys.readouterr().out
    trial_cells = [line.split("│")[2].strip() for line in out.splitlines() if line.startswith("│")]
    assert [c for c in trial_cells if c] == ["0001", "0000"]  # --top holds with --all too
    assert "2 more trials not shown" in " ".join(out.split()) and "hyperparameters" in out
