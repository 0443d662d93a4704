"""The checks before a search resumes: which damaged or missing KerasTuner files are restored (and from
what), which checkpoints Hyperband may still need, and that a refusal changes nothing."""

from __future__ import annotations

import json

import pytest
from helpers import snapshot

from emnist_tuner.errors import RunError
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.repair import (
    check_checkpoints,
    check_tuner_state,
    checkpoints_still_needed,
    restore_trial_files,
    trial_file_repairs,
)


def _trial(project, trial_id, text=None, mirror=None, status="COMPLETED", checkpoint=False):
    folder = project / f"trial_{trial_id}"
    folder.mkdir(parents=True, exist_ok=True)
    if text is not False:
        (folder / "trial.json").write_text(
            text if text is not None else json.dumps({"trial_id": trial_id, "status": status})
        )
    if mirror is not None:
        (folder / "trial.json.last-good").write_text(mirror)
    if checkpoint:
        (folder / "checkpoint.weights.h5").write_bytes(b"w")
    return folder


def _good(trial_id, status="COMPLETED"):
    return json.dumps({"trial_id": trial_id, "status": status})


# ------------------------------------------------------------------ trial files


def test_healthy_trial_files_need_no_repair(tmp_path):
    _trial(tmp_path, "0000")
    _trial(tmp_path, "0001")
    assert trial_file_repairs(tmp_path, {"start_order": ["0000", "0001"]}) == []


def test_a_damaged_trial_file_is_restored_from_its_own_mirror(tmp_path):
    folder = _trial(tmp_path, "0003", text='{"trial_id": "00', mirror=_good("0003"))
    _trial(tmp_path, "0004")
    repairs = trial_file_repairs(tmp_path, None)
    assert repairs == [(folder / "trial.json", folder / "trial.json.last-good")]
    notes = restore_trial_files(repairs)
    assert json.loads((folder / "trial.json").read_text()) == {"trial_id": "0003", "status": "COMPLETED"}
    assert (folder / "trial.json.damaged").read_text() == '{"trial_id": "00'
    assert notes == [
        f"{folder / 'trial.json'} was missing or damaged; restored its copy (trial.json.last-good), "
        "damaged one kept as trial.json.damaged"
    ]


def test_a_missing_trial_file_the_oracle_lists_is_restored_and_nothing_is_kept_aside(tmp_path):
    folder = _trial(tmp_path, "0002", text=False, mirror=_good("0002"))
    repairs = trial_file_repairs(tmp_path, {"start_order": ["0002"]})
    assert repairs == [(folder / "trial.json", folder / "trial.json.last-good")]
    assert restore_trial_files(repairs) == [
        f"{folder / 'trial.json'} was missing or damaged; restored its copy (trial.json.last-good)"
    ]
    assert not (folder / "trial.json.damaged").exists() and (folder / "trial.json").is_file()


def test_a_missing_trial_file_the_oracle_never_recorded_is_left_alone(tmp_path):
    _trial(tmp_path, "0005", text=False)  # a kill between making the folder and recording the trial
    assert trial_file_repairs(tmp_path, {"start_order": ["0000"]}) == []
    assert trial_file_repairs(tmp_path, None) == []


def test_every_damaged_trial_file_is_found_whatever_comes_before_it(tmp_path):
    _trial(tmp_path, "0000")
    first = _trial(tmp_path, "0001", text="{", mirror=_good("0001"))
    _trial(tmp_path, "0002", text=False)  # never recorded: left alone
    second = _trial(tmp_path, "0003", text="", mirror=_good("0003"))
    assert trial_file_repairs(tmp_path, {"start_order": ["0000", "0001", "0003"]}) == [
        (first / "trial.json", first / "trial.json.last-good"),
        (second / "trial.json", second / "trial.json.last-good"),
    ]


def test_the_refusal_of_a_damaged_trial_file_says_what_to_do(tmp_path):
    folder = _trial(tmp_path, "0001", text="")
    with pytest.raises(RunError) as error:
        trial_file_repairs(tmp_path, None)
    assert str(error.value) == (
        f"{folder / 'trial.json'} is damaged and has no good copy (trial.json.last-good); nothing was changed. "
        "Restore it from a backup and resume, or run the search again in a new --run-dir (`emnist-tuner "
        "leaderboard` still reads this run's other trials)"
    )


def test_a_mirror_of_another_trial_is_not_a_good_copy(tmp_path):
    folder = _trial(tmp_path, "0001", text="", mirror=_good("0000"))
    with pytest.raises(RunError) as error:
        trial_file_repairs(tmp_path, None)
    assert str(error.value).startswith(
        f"{folder / 'trial.json'} is damaged and has no good copy (trial.json.last-good); nothing was changed."
    )


def test_a_missing_listed_trial_file_without_a_mirror_is_refused(tmp_path):
    _trial(tmp_path, "0001", text=False, mirror="{")
    with pytest.raises(RunError, match=r"trial_0001/trial.json is missing and has no good copy"):
        trial_file_repairs(tmp_path, {"start_order": ["0001"]})


# ------------------------------------------------------------------ checkpoints Hyperband may still need


def _rounds(*rounds):
    return {"brackets": [{"rounds": [[{"id": i, "past_id": p} for i, p in r] for r in rounds]}]}


def test_trials_waiting_for_promotion_need_their_checkpoints():
    # round 0 ran 0000-0002; round 1 has continued 0000 (completed) only: 0001 and 0002 may still be promoted
    state = _rounds([("0000", None), ("0001", None), ("0002", None)], [("0003", "0000")])
    statuses = dict.fromkeys(["0000", "0001", "0002", "0003"], "COMPLETED")
    assert checkpoints_still_needed(state, statuses) == {"0001", "0002"}


def test_an_unfinished_continuation_needs_its_parents_checkpoint():
    state = _rounds([("0000", None), ("0001", None)], [("0002", "0000"), ("0003", "0001")])
    statuses = {"0000": "COMPLETED", "0001": "COMPLETED", "0002": "RUNNING", "0003": "FAILED"}
    assert checkpoints_still_needed(state, statuses) == {"0000"}  # 0003 ended (failed): 0001 is done with
    statuses["0002"] = None  # created, never started
    assert checkpoints_still_needed(state, statuses) == {"0000"}


def test_only_completed_trials_have_checkpoints_to_need():
    state = _rounds([("0000", None), ("0001", None)], [])
    assert checkpoints_still_needed(state, {"0000": "FAILED", "0001": "COMPLETED"}) == {"0001"}
    assert checkpoints_still_needed({}, {"0000": "COMPLETED"}) == set()


def test_every_rounds_waiting_trials_need_their_checkpoints():
    # three rounds: 0001 waits in round 0, 0004 waits in round 1; 0000 -> 0003 -> 0005 went all the way
    state = _rounds(
        [("0000", None), ("0001", None), ("0002", None)],
        [("0003", "0000"), ("0004", "0002")],
        [("0005", "0003")],
    )
    statuses = dict.fromkeys(["0000", "0001", "0002", "0003", "0004", "0005"], "COMPLETED")
    assert checkpoints_still_needed(state, statuses) == {"0001", "0004"}


def test_the_last_round_needs_no_checkpoint(tmp_path):
    state = _rounds([("0000", None)], [("0001", "0000")])
    assert checkpoints_still_needed(state, {"0000": "COMPLETED", "0001": "COMPLETED"}) == set()
    _trial(tmp_path, "0000")
    _trial(tmp_path, "0001")
    check_checkpoints(tmp_path, state)  # no checkpoint at all, and none needed
    check_checkpoints(tmp_path, None)


def test_any_checkpoint_file_counts_and_an_unreadable_continuation_counts_as_unfinished(tmp_path):
    state = _rounds([("0000", None), ("0001", None)], [("0002", "0001")])
    _trial(tmp_path, "0000")
    (tmp_path / "trial_0000" / "checkpoint.index").write_bytes(b"i")  # another checkpoint name
    _trial(tmp_path, "0001")
    _trial(tmp_path, "0002", text="{")  # unreadable: it may be rerun from 0001's checkpoint
    with pytest.raises(RunError, match="trial 0001 completed"):
        check_checkpoints(tmp_path, state)
    (tmp_path / "trial_0001" / "checkpoint.weights.h5").write_bytes(b"w")
    check_checkpoints(tmp_path, state)
    (tmp_path / "trial_0000" / "checkpoint.index").unlink()
    with pytest.raises(RunError) as error:
        check_checkpoints(tmp_path, state)
    assert str(error.value) == (
        f"{tmp_path / 'trial_0000' / 'checkpoint.weights.h5'} is missing: trial 0000 completed and Hyperband may "
        "still continue it from that checkpoint; nothing was changed. Restore the file and resume, or run the "
        "search again in a new --run-dir (`emnist-tuner leaderboard` still reads this run)"
    )


# ------------------------------------------------------------------ check_tuner_state as a whole


def _run(tmp_path, oracle="{}", tuner="{}"):
    run = RunFolder(tmp_path)
    run.project.mkdir(parents=True)
    if oracle is not None:
        run.oracle_file.write_text(oracle)
    if tuner is not None:
        run.tuner_file.write_text(tuner)
    return run


def test_a_run_without_a_search_yet_needs_nothing(tmp_path):
    assert check_tuner_state(RunFolder(tmp_path)) == []
    run = _run(tmp_path, oracle=None, tuner=None)
    assert check_tuner_state(run) == []  # a project folder with no trial and no oracle
    assert not run.tuner_file.exists()


def test_a_missing_oracle_is_restored_from_its_copy_without_keeping_a_damaged_one(tmp_path):
    run = _run(tmp_path, oracle=None)
    _trial(run.project, "0000")
    (run.project / "oracle.json.last-good").write_text('{"good": 1}')
    notes = check_tuner_state(run)
    assert json.loads(run.oracle_file.read_text()) == {"good": 1}
    assert not (run.project / "oracle.json.damaged").exists()
    assert notes == [
        f"{run.oracle_file} was damaged; restored the last good copy (damaged one kept as oracle.json.damaged)"
    ]


def test_a_damaged_tuner_file_is_restored_from_its_copy_when_there_is_one(tmp_path):
    run = _run(tmp_path, tuner="{")
    _trial(run.project, "0000")
    (run.project / "tuner0.json.last-good").write_text('{"kept": true}')
    notes = check_tuner_state(run)
    assert json.loads(run.tuner_file.read_text()) == {"kept": True}
    assert notes == ["tuner0.json was missing or damaged; recreated it so the search resumes instead of starting over"]


def test_the_tuner_file_of_another_worker_is_checked_when_named(tmp_path):
    run = _run(tmp_path)
    _trial(run.project, "0000")
    assert check_tuner_state(run, tuner_id="tuner3") != []
    assert json.loads(run.tuner_file_of("tuner3").read_text()) == {}
    assert check_tuner_state(run, tuner_id="tuner3") == []


def test_repairs_of_every_kind_in_one_resume_and_their_order(tmp_path):
    run = _run(tmp_path, oracle="{", tuner=None)
    (run.project / "oracle.json.last-good").write_text('{"start_order": ["0000"]}')
    folder = _trial(run.project, "0000", text="{", mirror=_good("0000"))
    notes = check_tuner_state(run)
    assert [n.split(" was ")[0] for n in notes] == [str(run.oracle_file), "tuner0.json", str(folder / "trial.json")]
    assert json.loads((folder / "trial.json").read_text())["trial_id"] == "0000"


def test_a_missing_trial_file_the_oracle_lists_is_restored_on_resume(tmp_path):
    run = _run(tmp_path, oracle='{"start_order": ["0000"]}')
    folder = _trial(run.project, "0000", text=False, mirror=_good("0000"))
    assert check_tuner_state(run)[0].startswith(f"{folder / 'trial.json'} was missing or damaged; restored")
    assert json.loads((folder / "trial.json").read_text())["trial_id"] == "0000"


def test_a_refusal_changes_nothing_even_when_other_files_could_be_repaired(tmp_path):
    run = _run(tmp_path, oracle="{", tuner=None)
    (run.project / "oracle.json.last-good").write_text('{"start_order": ["0000"]}')
    _trial(run.project, "0000", text="{")  # damaged, no mirror
    before = snapshot(tmp_path)
    with pytest.raises(RunError, match="is damaged and has no good copy"):
        check_tuner_state(run)
    assert snapshot(tmp_path) == before


def test_a_missing_checkpoint_is_refused_until_the_final_training_is_all_that_is_left(tmp_path):
    run = _run(tmp_path, oracle=json.dumps(_rounds([("0000", None), ("0001", None)], [("0002", "0000")])))
    _trial(run.project, "0000")
    _trial(run.project, "0001")
    _trial(run.project, "0002", status="RUNNING")
    with pytest.raises(RunError, match="trial 0000 completed and Hyperband may still continue it"):
        check_tuner_state(run)
    run.final_file.write_text("{}")
    assert check_tuner_state(run) == []


def test_a_start_killed_before_any_trial_ended_is_set_aside_and_one_with_an_ended_trial_is_not(tmp_path):
    run = _run(tmp_path, oracle=None, tuner=None)
    _trial(run.project, "0000", status="RUNNING")
    notes = check_tuner_state(run)
    (aside,) = tmp_path.glob("tuner.abandoned-*")
    assert notes == [
        "the search was stopped before its first trial was recorded; started it afresh (the unfinished start is "
        f"kept as {aside.name})"
    ]
    assert (aside / "trial_0000" / "trial.json").is_file() and not run.project.exists()


@pytest.mark.parametrize("status, text", [("FAILED", None), ("COMPLETED", None), (None, "{")])
def test_a_start_with_an_ended_or_unreadable_trial_is_precious(tmp_path, status, text):
    run = _run(tmp_path, oracle=None, tuner=None)
    _trial(run.project, "0000", status=status, text=text, mirror=_good("0000", "COMPLETED"))
    with pytest.raises(RunError, match="oracle.json is missing or damaged and there is no good copy"):
        check_tuner_state(run)
    assert run.project.is_dir() and not list(tmp_path.glob("tuner.abandoned-*"))
