"""Faults: a reduced SIGKILL campaign (bench/faults.py, K=3), then damaged state on its run folder,
a read-only run folder and a full disk. Each damage gives one clear line and changes nothing, or is
repaired from a copy with a note."""

from __future__ import annotations

import errno
import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from helpers import run_cli, snapshot

from emnist_tuner.errors import RunError
from emnist_tuner.runfolder import lifecycle as runfolder
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.repair import check_checkpoints, check_tuner_state, checkpoints_still_needed

BENCH = Path(__file__).resolve().parents[2] / "bench" / "faults.py"


def load_faults():
    spec = importlib.util.spec_from_file_location("faults_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    return load_faults().campaign(3, folder, seed=1, say=lambda line: None, per_worker=8), folder


def one_line_error(capsys, *args) -> str:
    code, out, err = run_cli(capsys, *args)
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (out, err)
    return err


@pytest.mark.slow
def test_three_kills_lose_and_retrain_nothing(campaign):
    result, folder = campaign
    assert result["kills"] == 3 and result["problems"] == [], result
    assert all(row["exit"] == -9 for row in result["rows"] if row["kill"])
    assert (folder / "run0" / "final.json").is_file()


@pytest.mark.slow
def test_damaged_state_is_refused_or_restored_and_nothing_is_deleted(campaign, capsys, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(campaign[1] / "run0", run)
    project = run / "tuner"

    # a completed trial's trial.json truncated: restored from its mirror, the damaged one kept
    good = (project / "trial_0001" / "trial.json").read_text()
    (project / "trial_0001" / "trial.json").write_text(good[: len(good) // 2])
    code, out, err = run_cli(capsys, "resume", str(run))
    assert code == 0, err
    assert "trial_0001/trial.jsonwasmissingordamaged;restoreditscopy" in "".join(out.split())  # wrapped lines
    assert (project / "trial_0001" / "trial.json").read_text() == good
    assert (project / "trial_0001" / "trial.json.damaged").read_text() == good[: len(good) // 2]

    # ... and without a good mirror: one line, nothing changed
    (project / "trial_0002" / "trial.json").write_text("")
    (project / "trial_0002" / "trial.json.last-good").write_text("{")
    before = snapshot(run, skip=("run.lock",))
    err = one_line_error(capsys, "resume", str(run))
    assert "trial_0002/trial.json is damaged and has no good copy" in err and "new --run-dir" in err
    assert snapshot(run, skip=("run.lock",)) == before
    shutil.copy(project / "trial_0001" / "trial.json", project / "trial_0002" / "trial.json.last-good")
    err = one_line_error(capsys, "resume", str(run))  # a mirror of another trial is no copy of this one
    assert "has no good copy" in err and snapshot(run, skip=("run.lock",)).keys() == before.keys()

    # oracle.json empty and its copy damaged: one line, nothing changed
    fresh = tmp_path / "fresh"
    shutil.copytree(campaign[1] / "run0", fresh)
    (fresh / "tuner" / "oracle.json").write_text("")
    (fresh / "tuner" / "oracle.json.last-good").write_text('{"ongoing')
    before = snapshot(fresh, skip=("run.lock",))
    err = one_line_error(capsys, "resume", str(fresh))
    assert "oracle.json is missing or damaged and there is no good copy" in err
    assert snapshot(fresh, skip=("run.lock",)) == before
    code, out, _ = run_cli(capsys, "leaderboard", str(fresh), "--format", "json")  # the trials still read
    assert code == 0 and len(json.loads(out)) == 5


def test_missing_checkpoint_of_a_trial_hyperband_may_continue(tmp_path):
    project = tmp_path / "tuner"
    for trial_id, status in (("0000", "COMPLETED"), ("0001", "COMPLETED"), ("0002", "RUNNING"), ("0003", "COMPLETED")):
        (project / f"trial_{trial_id}").mkdir(parents=True)
        (project / f"trial_{trial_id}" / "trial.json").write_text(json.dumps({"trial_id": trial_id, "status": status}))
    # bracket 1: round 0 = 0000, 0001; round 1 = 0002 continues 0000 (still running). Bracket 0: 0003.
    state = {
        "brackets": [
            {
                "bracket_num": 1,
                "rounds": [
                    [{"past_id": None, "id": "0000"}, {"past_id": None, "id": "0001"}],
                    [{"past_id": "0000", "id": "0002"}],
                ],
            },
            {"bracket_num": 0, "rounds": [[{"past_id": None, "id": "0003"}]]},
        ]
    }
    statuses = {"0000": "COMPLETED", "0001": "COMPLETED", "0002": "RUNNING", "0003": "COMPLETED"}
    assert checkpoints_still_needed(state, statuses) == {"0000", "0001"}  # 0003: its bracket's last round
    for trial_id in ("0001", "0003"):
        (project / f"trial_{trial_id}" / "checkpoint.weights.h5").write_bytes(b"weights")
    with pytest.raises(RunError, match=r"trial_0000/checkpoint.weights.h5 is missing: trial 0000 completed"):
        check_checkpoints(project, state)
    (project / "trial_0000" / "checkpoint.weights.h5").write_bytes(b"weights")
    (project / "trial_0003" / "checkpoint.weights.h5").unlink()  # never continued: harmless
    check_checkpoints(project, state)


def test_read_only_run_folder(tmp_path, capsys, monkeypatch):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"dataset": "synthetic", "kind": "search", "space": "x"}))

    def read_only(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(runfolder, "open", read_only, raising=False)  # root may write anywhere: simulate it
    with pytest.raises(RunError, match=r"cannot use .*run as a run folder \(Read-only file system\); make it writable"):
        runfolder.RunLock(RunFolder(run)).acquire()


def test_full_disk_at_a_state_write_keeps_the_old_file(tmp_path, monkeypatch):
    from emnist_tuner import io as atomic
    from emnist_tuner.hyperband.oracle import _write_state

    def _save_json_atomically(path, state):  # how RunOracle saves a trial: atomically, with its mirror
        _write_state(path, state, keep="mirror")

    target = tmp_path / "trial_0000" / "trial.json"
    _save_json_atomically(target, {"trial_id": "0000", "status": "RUNNING"})

    def disk_full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", disk_full)
    with pytest.raises(RunError, match=r"cannot write .*trial.json \(No space left on device\); free space"):
        _save_json_atomically(target, {"trial_id": "0000", "status": "COMPLETED"})
    assert json.loads(target.read_text())["status"] == "RUNNING"
    assert sorted(p.name for p in target.parent.iterdir()) == ["trial.json", "trial.json.last-good"]  # no temp left


@pytest.mark.slow
def test_full_disk_while_saving_a_checkpoint_stops_without_failing_the_trial(tmp_path, monkeypatch):
    import keras

    from emnist_tuner.hyperband.space import fingerprint_for
    from emnist_tuner.hyperband.worker import run_worker
    from emnist_tuner.runfolder.configs import SearchConfig

    config = SearchConfig.from_profile("synthetic", max_epochs=2, factor=2)
    config.space = fingerprint_for(config)
    config.save(tmp_path)

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(keras.Model, "save_weights", disk_full)
    events = []
    with pytest.raises(RunError, match=r"trial 0000 could not save its files \(No space left on device\); free space"):
        run_worker(str(tmp_path), "search", 1, events.append)
    state = json.loads((tmp_path / "tuner" / "trial_0000" / "trial.json").read_text())
    assert state["status"] == "RUNNING"  # not recorded as failed: a resume reruns it
    notes = check_tuner_state(RunFolder(tmp_path))  # killed in its first trial: only tuner0.json is to recreate
    assert len(notes) == 1 and notes[0].startswith("tuner0.json was missing")
