"""``--keep-checkpoints``: which trial checkpoints may be deleted (``hyperband.retention``), the record of
deletions that ``repair`` reads, and the disk use shown by ``runs`` and ``report``.

Fast tests on hand-made KerasTuner states (the shapes ``HyperbandOracle.get_state`` writes); the real
searches (a kill and a resume, plain KerasTuner reopening the run) are in ``test_retention_e2e``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import run_cli

from emnist_tuner.errors import RunError
from emnist_tuner.hyperband.retention import best_kept, deletable, may_be_needed, prune, round_sizes
from emnist_tuner.runfolder.checkpoints import deleted_checkpoints, disk_use, human_bytes
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.repair import check_checkpoints

# max_epochs 9, factor 3: bracket 2 has rounds of 9, 3, 1 trials; bracket 1 of 5, 2; bracket 0 of 3
SIZES = {(2, 0): 9, (2, 1): 3, (2, 2): 1, (1, 0): 5, (1, 1): 2, (0, 0): 3}


def trial(status="COMPLETED", score=0.5, parent=None) -> dict:
    values = {"tuner/trial_id": parent} if parent else {}
    return {"status": status, "score": score, "hyperparameters": {"values": values}}


def bracket(number: int, *rounds) -> dict:
    """A bracket whose rounds list (id, past_id) pairs; ``past_id`` None in round 0."""
    return {"bracket_num": number, "rounds": [[{"id": i, "past_id": p} for i, p in entries] for entries in rounds]}


def ids(n: int, start: int = 0) -> list[str]:
    return [f"{i:04d}" for i in range(start, start + n)]


def test_the_round_sizes_are_kerastuners():
    assert round_sizes(9, 3) == SIZES
    assert round_sizes(2, 2) == {(1, 0): 2, (1, 1): 1, (0, 0): 2}


def test_a_trial_is_needed_while_its_next_round_is_not_full():
    first = ids(9)
    trials = {t: trial(score=i / 10) for i, t in enumerate(first)}
    # round 1 holds two continuations (of 0008 and 0007) out of 3: any unpromoted round-0 trial may still go
    trials |= {"0009": trial(parent="0008"), "0010": trial("RUNNING", None, parent="0007")}
    state = {"brackets": [bracket(2, [(t, None) for t in first], [("0009", "0008"), ("0010", "0007")], [])]}
    needed = may_be_needed(state, trials, SIZES)
    # 0007: its continuation is running; 0009 and 0010: round 2 (empty) may take either
    assert needed == set(first) - {"0008"} | {"0007", "0009", "0010"}
    # the third continuation fills round 1: the six left behind can never be promoted
    trials |= {"0010": trial(parent="0007"), "0011": trial(parent="0006")}
    state["brackets"][0]["rounds"][1].append({"id": "0011", "past_id": "0006"})
    assert may_be_needed(state, trials, SIZES) == {"0009", "0010", "0011"}  # round 2 may take any of them
    # 0009-0011 may be promoted to round 2, 0008 is the best (0.8)
    assert deletable(state, trials, SIZES, "needed") == deletable(state, trials, SIZES, "best") == set(ids(8))
    assert deletable(state, trials, SIZES, "all") == set()


def test_the_parent_of_an_unfinished_continuation_is_kept_after_its_bracket_left_the_state():
    # KerasTuner drops a bracket from its state once its last round is full, even while that last
    # continuation still runs (or waits in the retry queue after a kill)
    trials = {"0000": trial(score=0.1), "0001": trial(score=0.2), "0002": trial("RUNNING", None, parent="0000")}
    trials |= {"0003": trial(score=0.9), "0004": trial(score=0.8), "0005": trial(score=0.7)}
    assert deletable({"brackets": []}, trials, SIZES, "needed") == {"0001", "0004", "0005"}
    trials["0002"] = trial(score=0.3, parent="0000")
    assert deletable({"brackets": []}, trials, SIZES, "needed") == {"0000", "0001", "0002", "0004", "0005"}
    # an unreadable trial.json ({}) is never deleted, nor is a failed trial's continuation parent while it runs
    assert "0006" not in deletable({"brackets": []}, trials | {"0006": {}}, SIZES, "needed")


def test_the_best_k_keep_every_tie():
    trials = {"0000": trial(score=0.9), "0001": trial(score=0.5), "0002": trial(score=0.5)}
    trials |= {"0003": trial(score=0.4), "0004": trial("FAILED", None)}
    assert best_kept(trials, 1) == {"0000"}
    assert best_kept(trials, 2) == {"0000", "0001", "0002"}  # KerasTuner may rank either 0.5 second
    assert best_kept({}, 3) == set()


def test_needed_keeps_the_parents_of_the_best_and_best_keeps_the_winner_alone():
    # plain KerasTuner's get_best_models() builds a continued trial from its parent's checkpoint
    trials = {"0000": trial(score=0.1), "0001": trial(score=0.2), "0002": trial(score=0.9, parent="0000")}
    trials |= {"0003": trial(score=0.8), "0004": trial(score=0.7)}
    assert deletable({"brackets": []}, trials, SIZES, "needed") == {"0001", "0003", "0004"}
    assert deletable({"brackets": []}, trials, SIZES, "best") == {"0000", "0001", "0003", "0004"}


def make_run(tmp_path: Path, trials: dict[str, dict], state: dict | None) -> RunFolder:
    run = RunFolder(tmp_path / "run")
    for trial_id, content in trials.items():
        folder = run.project / f"trial_{trial_id}"
        folder.mkdir(parents=True)
        (folder / "trial.json").write_text(json.dumps({"trial_id": trial_id, **content}))
        (folder / "checkpoint.weights.h5").write_bytes(b"w" * 1000)
    if state is not None:
        run.oracle_file.write_text(json.dumps(state))
    return run


def config(mode: str):
    return SimpleNamespace(keep_checkpoints=mode, max_epochs=2, factor=2)


def small_search(round_1=True) -> tuple[dict, dict]:
    """max_epochs 2, factor 2: bracket 1 (2 trials, then 1 continued), bracket 0 (2 trials)."""
    trials = {"0000": trial(score=0.3), "0001": trial(score=0.2), "0002": trial(score=0.4, parent="0000")}
    trials |= {"0003": trial(score=0.1), "0004": trial(score=0.6)}
    rounds = [[("0000", None), ("0001", None)], [("0002", "0000")] if round_1 else []]
    if not round_1:
        del trials["0002"]
    return trials, {"brackets": [bracket(1, *rounds), bracket(0, [("0003", None), ("0004", None)])]}


@pytest.mark.parametrize("mode, kept", [("all", ids(5)), ("needed", ["0004"]), ("best", ["0004"])])
def test_prune_deletes_what_the_mode_lets_go_and_records_it_first(tmp_path, mode, kept):
    run = make_run(tmp_path, *small_search())
    deleted = prune(run, config(mode))
    assert sorted(p.parent.name[6:] for p in run.project.glob("trial_*/checkpoint*")) == kept
    assert sorted(deleted_checkpoints(run.path)) == sorted(deleted) == sorted(set(ids(5)) - set(kept))
    assert all(e == {"bytes": 1000, "mode": mode} for e in deleted.values())
    assert prune(run, config(mode)) == {}  # nothing more to do
    check_checkpoints(run.project, small_search()[1])  # repair finds nothing missing that matters


def test_nothing_is_deleted_without_a_readable_oracle_state(tmp_path):
    trials, _ = small_search()
    run = make_run(tmp_path, trials, None)
    assert prune(run, config("best")) == {} and len(list(run.project.glob("trial_*/checkpoint*"))) == 5
    run.oracle_file.write_text('{"brack')  # damaged (repair restores it before a resume)
    assert prune(run, config("best")) == {} and not deleted_checkpoints(run.path)


def test_a_kill_between_the_record_and_the_deletion_loses_nothing(tmp_path, monkeypatch):
    run = make_run(tmp_path, *small_search(round_1=False))  # 0000 and 0001 may still be promoted
    killed = []

    def kill(self, missing_ok=False):
        killed.append(self)
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs

    monkeypatch.setattr(Path, "unlink", kill)
    with pytest.raises(KeyboardInterrupt):
        prune(run, config("best"))
    monkeypatch.undo()
    assert len(killed) == 1 and (killed[0]).exists()  # listed in the record, still there
    assert set(deleted_checkpoints(run.path)) == {"0003"}  # the record is written before any deletion
    assert (run.project / "trial_0000" / "checkpoint.weights.h5").exists()  # promotable: never touched
    assert (run.project / "trial_0001" / "checkpoint.weights.h5").exists()
    assert set(prune(run, config("best"))) == {"0003"}  # the next pruning finishes the job
    assert not (run.project / "trial_0003" / "checkpoint.weights.h5").exists()


def test_repair_does_not_report_a_checkpoint_deleted_on_purpose(tmp_path):
    # bracket 2's round 1 is full (3 of 3) while round 2 is not: repair's own rule keeps every round-0
    # trial of an incomplete bracket, retention knows the six left behind can no longer be promoted
    first = ids(9)
    trials = {t: trial(score=i / 10) for i, t in enumerate(first)}
    trials |= {"0009": trial(parent="0008"), "0010": trial(parent="0007"), "0011": trial(parent="0006")}
    rounds = [[(t, None) for t in first], [("0009", "0008"), ("0010", "0007"), ("0011", "0006")], []]
    state = {"brackets": [bracket(2, *rounds)]}
    run = make_run(tmp_path, trials, state)
    pruned = prune(run, SimpleNamespace(keep_checkpoints="needed", max_epochs=9, factor=3))
    assert set(pruned) == set(ids(8))  # 0008: the best (0.8)
    check_checkpoints(run.project, state)  # no error: each missing one is in RUN/deleted-checkpoints
    shutil.rmtree(run.path / "deleted-checkpoints")  # without the record, the same folder looks damaged
    with pytest.raises(RunError, match=r"trial_0000/checkpoint.weights.h5 is missing"):
        check_checkpoints(run.project, state)


def test_disk_use_in_runs_and_report(tmp_path, capsys):
    run = make_run(tmp_path, *small_search())
    (run.path / "config.json").write_text(
        json.dumps({"kind": "search", "dataset": "synthetic", "max_epochs": 2, "factor": 2, "keep_checkpoints": "best"})
    )
    prune(run, config("best"))
    use = disk_use(run.path)
    assert (use.kept, use.deleted, use.checkpoints, use.freed) == (1, 4, 1000, 4000)
    assert use.checkpoints_text() == "1 kept (1.0 kB), 4 deleted (4.0 kB freed)"
    assert [human_bytes(n) for n in (999, 1000, 83_000_000, 2_500_000_000)] == ["999 B", "1.0 kB", "83.0 MB", "2.5 GB"]
    code, out, err = run_cli(capsys, "runs", str(tmp_path))
    assert code == 0, err
    header = next(line for line in out.splitlines() if "kind" in line and "test acc" in line)
    row = next(line for line in out.splitlines() if "│ run " in line)
    assert "size" in header and human_bytes(use.total) in row
    code, out, err = run_cli(capsys, "report", str(run.path))
    said = " ".join(out.split())
    assert f"disk use {human_bytes(disk_use(run.path).total)} (--keep-checkpoints best)" in said, err
    assert "trial checkpoints 1 kept (1.0 kB), 4 deleted (4.0 kB freed)" in said
