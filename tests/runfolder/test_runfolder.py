"""Run folders: the single-writer lock and the checks of KerasTuner's state before a resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from emnist_tuner.errors import RunError
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.lifecycle import RunLock
from emnist_tuner.runfolder.repair import check_tuner_state


def test_a_second_writer_is_refused(tmp_path):
    run = RunFolder(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from emnist_tuner.runfolder.layout import RunFolder; "
            "from emnist_tuner.runfolder.lifecycle import RunLock;"
            f"lock = RunLock(RunFolder({str(tmp_path)!r})).acquire(); print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunError, match=f"in use by another emnist-tuner process \\(pid {holder.pid}\\)"):
            RunLock(run).acquire()
    finally:
        holder.kill()
        holder.wait()
    lock = RunLock(run).acquire()  # the dead holder's lock is stale: taken over
    assert lock.took_over_from == holder.pid
    lock.release()


def test_lock_is_reentrant_after_release(tmp_path):
    run = RunFolder(tmp_path)
    with RunLock(run):
        pass
    with RunLock(run) as lock:
        assert (tmp_path / "run.lock").read_text() == str(os.getpid())
        assert lock.took_over_from is None


def _project(tmp_path, oracle="{}", tuner="{}", trials=("0000",)):
    run = RunFolder(tmp_path)
    run.project.mkdir(parents=True)
    if oracle is not None:
        run.oracle_file.write_text(oracle)
    if tuner is not None:
        run.tuner_file.write_text(tuner)
    for trial_id in trials:
        (run.project / f"trial_{trial_id}").mkdir()
        (run.project / f"trial_{trial_id}" / "trial.json").write_text(json.dumps({"trial_id": trial_id}))
    return run


def test_healthy_state_needs_no_repair(tmp_path):
    assert check_tuner_state(_project(tmp_path)) == []


def test_empty_oracle_is_restored_from_the_last_good_copy(tmp_path):
    run = _project(tmp_path, oracle="")
    (run.project / "oracle.json.last-good").write_text('{"good": true}')
    notes = check_tuner_state(run)
    assert json.loads(run.oracle_file.read_text()) == {"good": True}
    assert "restored the last good copy" in notes[0]
    assert (run.project / "oracle.json.damaged").read_text() == ""


def test_damaged_oracle_without_a_good_copy_is_refused_and_nothing_changes(tmp_path):
    run = _project(tmp_path, oracle='{"trunc')
    before = {p: p.read_bytes() for p in run.project.rglob("*") if p.is_file()}
    with pytest.raises(RunError, match="oracle.json is missing or damaged and there is no good copy"):
        check_tuner_state(run)
    assert {p: p.read_bytes() for p in run.project.rglob("*") if p.is_file()} == before


def test_missing_tuner_file_is_recreated_instead_of_starting_over(tmp_path):
    run = _project(tmp_path, tuner=None)
    notes = check_tuner_state(run)
    assert json.loads(run.tuner_file.read_text()) == {}
    assert "resumes instead of starting over" in notes[0]


def test_damaged_trial_file_is_refused(tmp_path):
    run = _project(tmp_path)
    (run.project / "trial_0000" / "trial.json").write_text("")
    with pytest.raises(RunError, match="trial_0000/trial.json is damaged"):
        check_tuner_state(run)


def test_status_file_keeps_the_start_time(tmp_path):
    run = RunFolder(tmp_path)
    run.write_status("running")
    started = run.read_status()["started"]
    run.write_status("interrupted", "stopped")
    status = run.read_status()
    assert status["state"] == "interrupted" and status["started"] == started


def test_state_reads_a_killed_run_as_interrupted(tmp_path):
    run = RunFolder(tmp_path)
    with RunLock(run):
        run.write_status("running")
        assert run.state() == "running"
    assert run.state() == "interrupted"  # "running" on disk, but nobody holds the lock
    run.write_status("completed")
    assert run.state() == "completed"


def test_a_run_killed_before_its_first_trial_was_recorded_starts_afresh(tmp_path):
    run = _project(tmp_path, oracle=None, tuner=None)  # a trial folder, no oracle.json, no copy of it
    (run.project / "trial_0000" / "trial.json").write_text(json.dumps({"trial_id": "0000", "status": "RUNNING"}))
    notes = check_tuner_state(run)
    assert "started it afresh" in notes[0]
    assert not run.project.exists() and len(list(tmp_path.glob("tuner.abandoned-*"))) == 1


def test_a_run_with_an_ended_trial_but_no_oracle_is_refused(tmp_path):
    run = _project(tmp_path, oracle=None)
    (run.project / "trial_0000" / "trial.json").write_text(json.dumps({"trial_id": "0000", "status": "COMPLETED"}))
    with pytest.raises(RunError, match="no good copy"):
        check_tuner_state(run)
    assert run.project.exists()


def test_a_file_is_not_a_run_folder(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(RunError, match="cannot use .* as a run folder"):
        RunLock(RunFolder(path)).acquire()


def test_recipe_trainings_run_their_whole_schedule_unless_asked_to_stop_early():
    from emnist_tuner.runfolder.train_configs import RetrainConfig, TrainConfig

    assert RetrainConfig().patience == 0
    assert TrainConfig(preset="model1", dataset="mnist").effective_patience() == 0  # model1's own is 3
    assert TrainConfig(preset="model1", dataset="mnist", patience=2).effective_patience() == 2
