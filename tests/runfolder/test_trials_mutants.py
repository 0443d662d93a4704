"""Reading a search's trials from disk, ranking and sorting them, and counting them: what every
leaderboard, report and progress line is built from. Each test states one rule a user relies on."""

from __future__ import annotations

import json

import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.lifecycle import RunLock
from emnist_tuner.runfolder.trials import (
    TrialCounts,
    TrialRecord,
    failure_reason,
    leaderboard_rows,
    ranked,
    read_trials,
    score_ranks,
    sort_records,
    trial_counts,
)


def _trial(run: RunFolder, trial_id, status, score=None, message=None, timing=None, **values):
    folder = run.project / f"trial_{trial_id}"
    folder.mkdir(parents=True)
    tuner = {"tuner/epochs": 9, "tuner/initial_epoch": 3, "tuner/bracket": 2, "tuner/round": 1}
    state = {
        "trial_id": trial_id,
        "status": status,
        "score": score,
        "best_step": 4,
        "hyperparameters": {"values": {**tuner, **values}},
        "message": message,
    }
    (folder / "trial.json").write_text(json.dumps(state))
    if timing is not None:
        run.timings.mkdir(exist_ok=True)
        run.timing_file(trial_id).write_text(json.dumps(timing))


def _record(trial_id, status, score=None, **kw) -> TrialRecord:
    return TrialRecord(trial_id, status, score, **kw)


def test_a_completed_trial_is_read_with_its_schedule_timing_and_epoch_log(tmp_path):
    run = RunFolder(tmp_path)
    timing = {
        "started": 1000.0,
        "ended": 1090.5,
        "parameters": 12345,
        "preset": "model1",
        "epochs_trained": 4,
        "epoch_log": [{"epoch": 3, "seconds": 2.0, "val_accuracy": 0.8}, {"seconds": 1.0}, "junk"],
    }
    _trial(run, "0007", "COMPLETED", 0.93, timing=timing, filters=32, **{"tuner/trial_id": "0002"})
    (record,) = read_trials(tmp_path)
    assert record.trial_id == "0007" and record.status == "completed" and record.score == 0.93
    assert record.hyperparameters == {"filters": 32}  # KerasTuner's own keys are not hyperparameters
    assert (record.epochs, record.initial_epoch, record.bracket, record.round) == (9, 3, 2, 1)
    assert record.continued_from == "0002" and record.best_step == 4
    assert record.seconds == 90.5 and record.started == 1000.0 and record.parameters == 12345
    assert record.preset == "model1" and record.preset_recorded is True
    assert record.epoch_log == [{"epoch": 3, "seconds": 2.0, "val_accuracy": 0.8}]  # entries without an epoch dropped
    assert record.trained == 4 and record.reached == 7 and record.new_epochs == 6  # continued from epoch 3
    assert record.message == ""


def test_a_trial_without_timings_or_tuner_values(tmp_path):
    run = RunFolder(tmp_path)
    folder = run.project / "trial_0001"
    folder.mkdir(parents=True)
    (folder / "trial.json").write_text(json.dumps({"status": "COMPLETED", "score": 0.5}))
    (record,) = read_trials(tmp_path)
    assert record.trial_id == "0001"  # from the folder's name when trial.json has none
    assert record.initial_epoch == 0 and record.epochs is None and record.hyperparameters == {}
    assert record.seconds is None and record.started is None and record.trained is None
    assert record.preset is None and record.preset_recorded is False and record.epoch_log == []


def test_a_timing_without_an_end_has_no_duration_and_older_runs_have_no_preset_recorded(tmp_path):
    run = RunFolder(tmp_path)
    _trial(run, "0000", "COMPLETED", 0.9, timing={"started": 5.0, "epochs_trained": 2})
    (record,) = read_trials(tmp_path)
    assert record.seconds is None and record.started == 5.0 and record.preset_recorded is False
    assert record.reached == 5  # initial epoch 3 + 2 trained


def test_failed_and_invalid_trials_trained_nothing_and_say_why(tmp_path):
    run = RunFolder(tmp_path)
    timing = {"started": 1.0, "ended": 2.0, "epochs_trained": 3}
    _trial(run, "0000", "FAILED", message="Traceback\nValueError: kernel too large", timing=timing)
    _trial(run, "0001", "INVALID", message="Oversized model: 6000000 parameters", timing=timing)
    _trial(run, "0002", "FAILED")
    failed, invalid, bare = read_trials(tmp_path)
    assert failed.status == "failed" and failed.message == "kernel too large" and failed.trained == 0
    assert invalid.status == "invalid" and invalid.trained == 0
    assert invalid.message == "model too large: 6,000,000 parameters (over --max-params)"
    assert bare.message == "could not be built or trained" and bare.trained is None
    assert failed.reached == 3 and bare.reached == 3  # ended where it started (initial epoch 3)


def test_a_running_trial_is_interrupted_unless_a_process_holds_the_run(tmp_path):
    run = RunFolder(tmp_path)
    _trial(run, "0000", "RUNNING", timing={"started": 1.0, "epochs_trained": 2})
    (record,) = read_trials(tmp_path)
    assert record.status == "interrupted" and record.trained == 2
    with RunLock(run):
        (record,) = read_trials(tmp_path)
    assert record.status == "running" and record.trained is None and record.reached is None
    assert record.message == ""


def test_an_unreadable_trial_file_is_listed_not_fatal(tmp_path):
    run = RunFolder(tmp_path)
    _trial(run, "0000", "COMPLETED", 0.9)
    (run.project / "trial_0001").mkdir()
    (run.project / "trial_0001" / "trial.json").write_text("{")
    records = read_trials(tmp_path)
    assert [(r.trial_id, r.status) for r in records] == [("0000", "completed"), ("0001", "unreadable")]
    assert records[1].message == "trial.json could not be read"


def test_a_run_without_trials_reads_as_none(tmp_path):
    assert read_trials(tmp_path) == []


@pytest.mark.parametrize(
    "message, status, reason",
    [
        ("Traceback (most recent call last):\n  ...\nkeras.errors.ResourceExhaustedError: OOM", "failed", "OOM"),
        ("some line\nplain words at the end  ", "failed", "plain words at the end"),
        ("", "invalid", "could not be built or trained"),
        ("", "completed", ""),
        (
            "Oversized model: 123456789 parameters",
            "failed",
            "model too large: 123,456,789 parameters (over --max-params)",
        ),
    ],
)
def test_why_a_trial_failed_in_one_line(message, status, reason):
    assert failure_reason(message, status) == reason


def test_ranked_puts_completed_first_best_score_first_then_the_rest_by_status():
    records = [
        _record("0005", "unreadable"),
        _record("0001", "failed"),
        _record("0002", "completed", 0.90),
        _record("0003", "running"),
        _record("0004", "invalid"),
        _record("0006", "completed", 0.95),
        _record("0007", "interrupted"),
        _record("0000", "completed", 0.90),  # ties with 0002: the lower id first
        _record("0008", "mystery"),  # an unknown status goes last, with the unreadable ones
    ]
    order = [r.trial_id for r in ranked(records)]
    assert order == ["0006", "0000", "0002", "0003", "0007", "0004", "0001", "0005", "0008"]
    assert score_ranks(records) == {"0006": 1, "0000": 2, "0002": 3}


def test_a_completed_trial_without_a_score_ranks_after_the_scored_ones():
    records = [_record("0000", "completed", None), _record("0001", "completed", 0.1)]
    assert [r.trial_id for r in ranked(records)] == ["0001", "0000"]


def _sortable():
    return [
        _record("0002", "completed", 0.80, hyperparameters={"lr": 0.01}, seconds=30.0, epochs=9, initial_epoch=0),
        _record("0000", "failed", hyperparameters={"lr": 0.001}, seconds=5.0, epochs=3, initial_epoch=0),
        _record("0001", "completed", 0.90, hyperparameters={}, seconds=None, epochs=3, initial_epoch=0),
        _record("0003", "running", hyperparameters={"lr": 0.1}, seconds=1.0, epochs=9, initial_epoch=3),
    ]


@pytest.mark.parametrize(
    "column, order",
    [
        (None, ["0001", "0002", "0003", "0000"]),
        ("score", ["0001", "0002", "0003", "0000"]),
        ("val acc", ["0001", "0002", "0003", "0000"]),
        ("#", ["0001", "0002", "0003", "0000"]),
        ("trial", ["0000", "0001", "0002", "0003"]),
        ("time", ["0003", "0000", "0002", "0001"]),  # shortest first, unknown last
        ("epochs", ["0000", "0001", "0002", "0003"]),  # reached: 0, 3, 9, then unknown (running)
        ("status", ["0001", "0002", "0003", "0000"]),
        ("lr", ["0000", "0002", "0003", "0001"]),  # a hyperparameter; inactive last
    ],
)
def test_sorting_by_each_column(column, order):
    assert [r.trial_id for r in sort_records(_sortable(), column)] == order


@pytest.mark.parametrize(
    "column, descending, order",
    [
        ("score", False, ["0002", "0001", "0003", "0000"]),  # worst completed first; unscored last
        ("score", True, ["0001", "0002", "0003", "0000"]),
        ("rank", True, ["0002", "0001", "0003", "0000"]),  # rank 2 before rank 1; unranked last
        ("time", True, ["0002", "0000", "0003", "0001"]),  # longest first, unknown still last
        ("lr", True, ["0003", "0002", "0000", "0001"]),
        ("trial", True, ["0003", "0002", "0001", "0000"]),
        ("epochs_scheduled", True, ["0002", "0003", "0001", "0000"]),  # 9, 9, 3, 3: ties in ranked order
        ("epochs_scheduled", False, ["0001", "0000", "0002", "0003"]),
        ("initial_epoch", None, ["0001", "0002", "0000", "0003"]),
    ],
)
def test_sorting_either_way(column, descending, order):
    assert [r.trial_id for r in sort_records(_sortable(), column, descending)] == order


def test_equal_values_keep_the_ranked_order():
    records = [
        _record("0000", "completed", 0.5, hyperparameters={"opt": "adam"}),
        _record("0001", "completed", 0.9, hyperparameters={"opt": "adam"}),
        _record("0002", "completed", 0.7, hyperparameters={"opt": "adam"}),
    ]
    assert [r.trial_id for r in sort_records(records, "opt")] == ["0001", "0002", "0000"]


def test_an_unknown_sort_column_lists_the_known_ones():
    with pytest.raises(ConfigError) as error:
        sort_records(_sortable(), "colour")
    message = str(error.value)
    assert message.startswith("--sort: unknown column 'colour'; known: #, bracket, duration, epochs, epochs_scheduled,")
    assert message.endswith("status, time, trial, trial_id, val acc, val_acc, val_accuracy")


def test_leaderboard_rows_hold_every_field_in_order():
    rows = leaderboard_rows(_sortable())
    assert [r["trial_id"] for r in rows] == ["0001", "0002", "0003", "0000"]
    assert rows[1] == {
        "rank": 2,
        "trial_id": "0002",
        "status": "completed",
        "score": 0.80,
        "epochs": 9,
        "initial_epoch": 0,
        "epochs_trained": None,
        "epochs_scheduled": 9,
        "bracket": None,
        "round": None,
        "seconds": 30.0,
        "hyperparameters": {"lr": 0.01},
        "message": "",
    }
    assert rows[3]["rank"] is None and rows[3]["epochs"] == 0  # failed: no rank, trained nothing
    assert [r["trial_id"] for r in leaderboard_rows(_sortable(), "trial")] == ["0000", "0001", "0002", "0003"]


def test_counts_of_a_running_search_against_its_schedule():
    records = [
        _record("0", "completed", 0.5),
        _record("1", "completed", 0.6),
        _record("2", "failed"),
        _record("3", "invalid"),
        _record("4", "running"),
        _record("5", "interrupted"),
        _record("6", "unreadable"),
    ]
    counts = trial_counts(records, scheduled=10, finished=False)
    assert (counts.completed, counts.failed, counts.recorded, counts.done) == (2, 2, 7, 4)
    assert counts.total == 10 and counts.text() == "4/10, 2 failed"
    assert trial_counts(records, scheduled=None, finished=False).text() == "4/?, 2 failed"
    assert trial_counts(records, scheduled=5, finished=False).total == 7  # more recorded than planned
    assert trial_counts(records, scheduled=10, finished=True).text() == "4/7, 2 failed"  # over: what it ran


def test_counts_without_failures_say_none():
    counts = TrialCounts(completed=5, failed=0, recorded=5, scheduled=5, finished=True)
    assert counts.text() == "5/5" and counts.total == 5 and counts.done == 5


def test_every_trial_is_read_past_an_unreadable_one_with_its_own_id_and_status(tmp_path):
    run = RunFolder(tmp_path)
    (run.project / "trial_0000").mkdir(parents=True)
    (run.project / "trial_0000" / "trial.json").write_text("")
    folder = run.project / "trial_0001"
    folder.mkdir()
    (folder / "trial.json").write_text(json.dumps({"trial_id": "1", "message": "Traceback\nold text"}))
    unreadable, record = read_trials(tmp_path)
    assert unreadable.status == "unreadable"
    assert record.trial_id == "1"  # KerasTuner's own id, not the folder's
    assert record.status == "unknown" and record.message == ""  # no status recorded; only failures say why


def test_sorting_by_status_puts_an_unknown_status_after_unreadable():
    records = [_record("0000", "idle"), _record("0001", "unreadable"), _record("0002", "completed", 0.5)]
    assert [r.trial_id for r in sort_records(records, "status")] == ["0002", "0001", "0000"]
