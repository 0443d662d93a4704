"""Run-folder paths, the status file, and the checks before a command writes a run: what a user sees
when a folder is taken, a file, unwritable, or its disk is full."""

from __future__ import annotations

import errno
import json
import os
import time

import pytest

from emnist_tuner import io as atomic
from emnist_tuner.errors import ConfigError, RunError
from emnist_tuner.runfolder.layout import RunFolder, TransferFolder, article, damaged, last_good
from emnist_tuner.runfolder.lifecycle import (
    RunLock,
    check_new_or_same_kind,
    check_run_dir_writable,
    storage_problem,
    write_error,
)

# ------------------------------------------------------------------ paths


def test_the_paths_of_a_run_folder(tmp_path, monkeypatch):
    run = RunFolder(tmp_path)
    assert TransferFolder(tmp_path).fold_file(0) == tmp_path / "folds" / "fold-1-seed-0.json"
    assert TransferFolder(tmp_path).fold_file(4, seed=2) == tmp_path / "folds" / "fold-5-seed-2.json"
    assert run.member_files(3) == (tmp_path / "ensemble" / "member-3.keras", tmp_path / "ensemble" / "member-3.json")
    assert run.worker_lock("w2") == tmp_path / "workers" / "w2.lock"
    assert run.log_file("chief.log") == tmp_path / "logs" / "chief.log"
    assert run.retrain_folder("mnist").path == tmp_path / "mnist"
    assert run.transfer_folder("mnist").path == tmp_path / "transfer"
    assert run.transfer_folder("emnist").path == tmp_path / "transfer-emnist"
    assert run.variant_folder("dropout", 2).path == tmp_path / "variants" / "dropout" / "seed2"
    monkeypatch.delenv("KERASTUNER_TUNER_ID", raising=False)
    assert run.tuner_file == tmp_path / "tuner" / "tuner0.json"
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner4")
    assert run.tuner_file == tmp_path / "tuner" / "tuner4.json"
    assert last_good(run.oracle_file).name == "oracle.json.last-good"
    assert damaged(run.oracle_file).name == "oracle.json.damaged"
    assert run.abandoned_project().name.startswith("tuner.abandoned-")
    assert run.abandoned_project().name[len("tuner.abandoned-") :].isdigit()


def test_trial_folders_and_variant_results_in_order(tmp_path):
    run = RunFolder(tmp_path)
    assert run.trial_dirs() == [] and run.variant_results() == []
    for trial_id in ("0002", "0000", "0001"):
        (run.project / f"trial_{trial_id}").mkdir(parents=True)
    (run.project / "oracle.json").write_text("{}")
    assert [p.name for p in run.trial_dirs()] == ["trial_0000", "trial_0001", "trial_0002"]
    for variant, seed in (("pooling", 1), ("base", 0), ("base", 1)):
        folder = run.variant_folder(variant, seed)
        folder.path.mkdir(parents=True)
        folder.result_file.write_text("{}")
    assert [p.relative_to(tmp_path).as_posix() for p in run.variant_results()] == [
        "variants/base/seed0/result.json",
        "variants/base/seed1/result.json",
        "variants/pooling/seed1/result.json",
    ]


def test_empty_or_missing(tmp_path):
    assert RunFolder(tmp_path / "new").is_empty_or_missing()
    assert RunFolder(tmp_path).is_empty_or_missing()
    (tmp_path / "f").write_text("x")
    assert not RunFolder(tmp_path).is_empty_or_missing()
    assert not RunFolder(tmp_path / "f").is_empty_or_missing()  # a file is neither


@pytest.mark.parametrize("word, expected", [("search", "a search"), ("ablation", "an ablation"), ("Train", "a Train")])
def test_article(word, expected):
    assert article(word) == expected


# ------------------------------------------------------------------ status


def test_the_status_file_records_state_message_pid_times_and_extras(tmp_path):
    run = RunFolder(tmp_path)
    assert run.read_status() == {} and run.state() == "unknown"
    run.write_status("running", phase="search")
    first = json.loads(run.status_file.read_text())
    assert (first["state"], first["message"], first["pid"], first["phase"]) == ("running", "", os.getpid(), "search")
    assert first["started"] <= first["updated"]
    run.write_status("failed", "out of memory")
    second = run.read_status()
    assert (second["state"], second["message"], second["started"]) == ("failed", "out of memory", first["started"])
    assert second["updated"] >= first["updated"] and "phase" not in second
    assert run.state() == "failed"


def test_a_status_that_cannot_be_written_is_one_line(tmp_path, monkeypatch):
    from emnist_tuner.runfolder import layout

    def full(path, values):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(layout, "write_json_atomic", full)
    with pytest.raises(RunError) as error:
        RunFolder(tmp_path).write_status("running")
    assert str(error.value) == (
        f"cannot write {tmp_path / 'status.json'} (No space left on device); free space (or make the run folder "
        "writable) and resume: completed trials are kept"
    )


def test_when_a_search_is_over(tmp_path):
    run = RunFolder(tmp_path)
    assert not run.search_is_over()
    run.write_status("running", phase="search")
    assert not run.search_is_over()
    run.write_status("running", phase="final")
    assert run.search_is_over()
    run.write_status("completed")
    assert run.search_is_over()
    run.write_status("interrupted")
    assert not run.search_is_over()
    run.final_file.write_text("{}")
    assert run.search_is_over()


def test_a_lock_is_held_only_while_its_holder_holds_it(tmp_path):
    run = RunFolder(tmp_path)
    assert not run.lock_is_held()  # no lock file at all
    with RunLock(run):
        assert run.lock_is_held()
    assert not run.lock_is_held() and run.lock_file.exists()


# ------------------------------------------------------------------ the lock


def test_a_lock_left_by_a_killed_process_is_taken_over_and_named(tmp_path):
    run = RunFolder(tmp_path)
    run.lock_file.write_text("4194304")  # the pid a killed holder left behind
    lock = RunLock(run).acquire()
    assert lock.took_over_from == 4194304 and run.lock_file.read_text() == str(os.getpid())
    lock.release()
    assert run.lock_file.read_text() == ""  # a clean exit leaves no pid behind
    lock.release()  # twice is harmless
    run.lock_file.write_text("not a pid")
    with RunLock(run) as lock:
        assert lock.took_over_from is None


def test_a_lock_never_taken_releases_quietly_and_a_new_folder_is_made(tmp_path):
    RunLock(RunFolder(tmp_path)).release()
    run = RunFolder(tmp_path / "a" / "b" / "run")
    with RunLock(run):
        assert run.lock_file.read_text() == str(os.getpid())


def test_a_lock_held_by_a_writer_that_wrote_no_pid_says_unknown(tmp_path):
    import fcntl

    run = RunFolder(tmp_path)
    with open(run.lock_file, "a+") as other:  # another open file: flock conflicts even in this process
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.monotonic()
        with pytest.raises(RunError) as error:
            RunLock(run).acquire()
        assert time.monotonic() - started < 2  # a few short tries (a reader's brief lock), then the answer
    assert str(error.value) == (
        f"{tmp_path} is in use by another emnist-tuner process (pid unknown); wait for it to finish or stop it "
        "(Ctrl-C in its terminal, or `kill unknown`)"
    )


def test_a_run_folder_that_cannot_be_made_says_what_to_do(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(RunError) as error:
        RunLock(RunFolder(tmp_path / "f" / "run")).acquire()
    assert str(error.value) == (
        f"cannot use {tmp_path / 'f' / 'run'} as a run folder (Not a directory); make it writable (or copy it "
        "somewhere writable and use the copy), or choose another --run-dir"
    )


# ------------------------------------------------------------------ storage errors


def test_storage_problems_are_recognised_in_an_error_or_its_causes():
    assert storage_problem(OSError(errno.ENOSPC, "x")) == "No space left on device"
    assert storage_problem(OSError(errno.EDQUOT, "x")) == "Disk quota exceeded"
    assert storage_problem(OSError(errno.EROFS, "x")) == "Read-only file system"
    assert storage_problem(OSError(errno.ENOENT, "x")) is None
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as exc:
            raise RuntimeError("saving the checkpoint failed") from exc
    except RuntimeError as wrapped:
        assert storage_problem(wrapped) == "No space left on device"
    try:
        try:
            raise OSError(errno.EDQUOT, "Disk quota exceeded")
        except OSError:
            raise RuntimeError("while saving")  # noqa: B904 - chained implicitly, on purpose
    except RuntimeError as implicit:  # chained implicitly: only __context__ is set
        assert implicit.__cause__ is None and storage_problem(implicit) == "Disk quota exceeded"
    looped = ValueError("a")
    looped.__context__ = looped
    assert storage_problem(looped) is None


def test_storage_problems_are_recognised_in_a_traceback_text():
    assert storage_problem("OSError: [Errno 28] No space left on device: '/x'") == "No space left on device"
    assert storage_problem("Read-only file system") == "Read-only file system"
    assert storage_problem("ValueError: bad kernel") is None
    assert storage_problem(None) is None


def test_a_failed_write_is_one_line_with_what_to_do(tmp_path):
    message = str(write_error(tmp_path / "x.json", OSError(errno.ENOSPC, "No space left on device")))
    assert message == (
        f"cannot write {tmp_path / 'x.json'} (No space left on device); free space (or make the run folder "
        "writable) and resume: completed trials are kept"
    )
    assert "(boom)" in str(write_error(tmp_path, OSError("boom")))  # no strerror: the error itself


# ------------------------------------------------------------------ --run-dir checks


def test_a_new_run_dir_under_a_writable_folder_is_fine_and_nothing_is_created(tmp_path):
    check_run_dir_writable(tmp_path / "a" / "b")
    check_run_dir_writable(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_run_dir_that_is_a_file_or_under_one_is_refused(tmp_path):
    (tmp_path / "f").write_text("x")
    for path in (tmp_path / "f", tmp_path / "f" / "run"):
        with pytest.raises(ConfigError) as error:
            check_run_dir_writable(path)
        assert str(error.value) == f"--run-dir {path} is a file (or under one); choose a folder"


def test_an_unwritable_run_dir_is_refused(tmp_path, monkeypatch):
    def denied(**kwargs):
        assert kwargs["dir"] == tmp_path  # the nearest folder that exists is the one tried
        raise OSError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.tempfile, "TemporaryFile", denied)  # the one output-path check (io)
    with pytest.raises(ConfigError) as error:
        check_run_dir_writable(tmp_path / "new")
    assert str(error.value) == (
        f"--run-dir {tmp_path / 'new'} is not writable (Permission denied); choose a folder you can write to"
    )


def test_a_run_dir_must_be_new_empty_or_of_the_same_kind(tmp_path):
    assert check_new_or_same_kind(RunFolder(tmp_path / "new"), "search") is False
    assert check_new_or_same_kind(RunFolder(tmp_path), "search") is False  # empty
    (tmp_path / "config.json").write_text('{"kind": "ablation"}')
    assert check_new_or_same_kind(RunFolder(tmp_path), "ablation") is True
    with pytest.raises(RunError) as error:
        check_new_or_same_kind(RunFolder(tmp_path), "search")
    assert str(error.value) == f"{tmp_path} holds an ablation run, not a search run; choose another --run-dir"
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(RunError, match="exists and is not an emnist-tuner run folder; choose an empty or new"):
        check_new_or_same_kind(RunFolder(other), "search")
    with pytest.raises(RunError, match=r"--run-dir .*notes.txt is a file; choose a folder"):
        check_new_or_same_kind(RunFolder(other / "notes.txt"), "search")
