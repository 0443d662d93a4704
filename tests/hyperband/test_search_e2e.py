"""Real `emnist-tuner search` subprocesses on the synthetic dataset: complete, SIGKILL, SIGINT, resume.

Schedule: max_epochs 2, factor 2 -> 5 trials (3 in bracket 1, 2 in bracket 0), 7 epochs (one test: 4 and 4).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import accuracy_of_saved_predictions, run_cli

from emnist_tuner.hyperband.allocator import find_tcmalloc
from emnist_tuner.hyperband.process import worker_pids as workers_of
from emnist_tuner.runfolder.checkpoints import deleted_checkpoints
from emnist_tuner.runfolder.layout import RunFolder
from emnist_tuner.runfolder.repair import check_checkpoints

pytestmark = pytest.mark.slow

SEARCH = ["--dataset", "synthetic", "--max-epochs", "2", "--factor", "2"]


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("EMNIST_TUNER_DATA", "COLUMNS")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def cli(*args, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "emnist_tuner.cli", *args], capture_output=True, text=True, env=_env(), timeout=timeout
    )


def _interruptible() -> None:
    """In the child: Ctrl-C (SIGINT) as a terminal delivers it. A test runner started as a background job
    of a non-interactive shell has SIGINT ignored, and its children would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(tmp_path, *args):
    out = open(tmp_path / "out.txt", "w")
    err = open(tmp_path / "err.txt", "w")
    return subprocess.Popen(
        [sys.executable, "-m", "emnist_tuner.cli", *args], stdout=out, stderr=err, env=_env(), preexec_fn=_interruptible
    )


def trial_states(run: Path) -> dict[str, dict]:
    states = {}
    for path in sorted((run / "tuner").glob("trial_*/trial.json")):
        try:
            states[path.parent.name[6:]] = json.loads(path.read_text())
        except ValueError:
            pass
    return states


def completed_files(run: Path) -> dict[str, bytes]:
    done = [t for t, s in trial_states(run).items() if s["status"] == "COMPLETED"]
    return {str(p.relative_to(run)): p.read_bytes() for t in done for p in (run / "tuner" / f"trial_{t}").iterdir()}


def wait_until(predicate, timeout=180, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def running_trial_after(run: Path, n_completed: int) -> bool:
    states = trial_states(run)
    completed = [t for t, s in states.items() if s["status"] == "COMPLETED"]
    return len(completed) >= n_completed and any(s["status"] == "RUNNING" for s in states.values())


def tensorboard_runs(logs: Path) -> dict[str, dict]:
    """Per trial folder under ``logs``, as TensorBoard's own reader sees it: whether KerasTuner's HParams
    are there, and how many epochs of validation accuracy were written."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    found = {}
    for trial in sorted(p for p in logs.iterdir() if p.is_dir()):
        execution = trial / "execution0"
        hparams = EventAccumulator(str(execution)).Reload().PluginTagToContent("hparams")
        validation = EventAccumulator(str(execution / "validation")).Reload()
        found[trial.name] = {"has_hparams": bool(hparams), "epochs": len(validation.Tensors("epoch_accuracy"))}
    return found


def assert_search_finished(run: Path) -> None:
    states = trial_states(run)
    assert sorted(states) == ["0000", "0001", "0002", "0003", "0004"]  # the full schedule, no extra trial
    assert {s["status"] for s in states.values()} == {"COMPLETED"}
    oracle = json.loads((run / "tuner" / "oracle.json").read_text())
    assert sorted(oracle["end_order"]) == sorted(states) and oracle["ongoing_trials"] == {}
    final = json.loads((run / "final.json").read_text())
    assert (run / "best_model.keras").is_file() and final["test_images"] == 200
    # the reported figure is the real accuracy of the saved predictions, and the model learned something
    assert final["test_accuracy"] == pytest.approx(accuracy_of_saved_predictions(run))
    assert final["test_accuracy"] > 0.15  # chance: 0.1 (10 generated glyph classes)
    assert json.loads((run / "status.json").read_text())["state"] == "completed"


@pytest.fixture
def start_proc(tmp_path):
    """Start a CLI subprocess; it is killed at the end of the test whatever happens."""
    procs = []

    def _start(*args):
        procs.append(start(tmp_path, *args))
        return procs[-1]

    yield _start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One complete search with the default options: (the command's result, its run folder), shared by the
    tests that read it; a test that changes the folder works on a copy."""
    run = tmp_path_factory.mktemp("finished") / "run"
    with pytest.MonkeyPatch.context() as patch:  # module-scoped: isolated here, as isolated_data_env does
        patch.setenv("EMNIST_TUNER_CACHE", str(tmp_path_factory.mktemp("cache")))
        return cli("search", *SEARCH, "--run-dir", str(run)), run


def test_search_runs_to_the_end_and_refuses_a_changed_config(finished, tmp_path):
    proc, done = finished
    assert proc.returncode == 0, proc.stderr
    run = tmp_path / "run"
    shutil.copytree(done, run)  # the same search, run once for the module; this test changes the folder
    said = " ".join(proc.stdout.split())
    assert "5 trials, 7 epochs in total" in said
    assert "held-out test accuracy" in said and "Leaderboard · trials 5/5" in said
    assert_search_finished(run)
    # the workers ran on tcmalloc where it is installed (.ci/run installs it), and said so
    allocator = "tcmalloc" if find_tcmalloc() else "glibc"
    assert {json.loads(p.read_text())["allocator"] for p in (run / "timings").glob("*.json")} == {allocator}
    assert ("memory from tcmalloc, handed back after each trial" in said) == (allocator == "tcmalloc")
    final = json.loads((run / "final.json").read_text())
    assert final["test_accuracy"] > 0.2  # well above chance (0.1) on the generated glyphs
    # each trial's epochs, parameter count and preset are recorded for `plot`
    from emnist_tuner.runfolder.trials import read_trials

    records = {r.trial_id: r for r in read_trials(run)}
    for r in records.values():
        assert [e["epoch"] for e in r.epoch_log] == list(range(r.initial_epoch, r.initial_epoch + r.trained))
        assert all(0.0 <= e["val_accuracy"] <= 1.0 and e["seconds"] > 0 for e in r.epoch_log)
        assert r.parameters and r.parameters > 100
        best = max(e["val_accuracy"] for e in r.epoch_log)
        assert abs(best - r.score) < 1e-5  # the score KerasTuner kept is the best epoch of the log
    assert records["0000"].preset == "convnet" and records["0001"].preset == "model1"
    assert tensorboard_runs(run / "logs" / "tensorboard") == {
        trial_id: {"has_hparams": True, "epochs": r.trained} for trial_id, r in records.items()
    }
    before = completed_files(run)

    again = cli("search", *SEARCH, "--run-dir", str(run))
    assert again.returncode == 0 and "already complete" in again.stdout
    changed = cli("search", *SEARCH[:-2], "--factor", "3", "--run-dir", str(run))
    assert changed.returncode == 1, changed.stderr
    assert (
        "holds a different search: --factor: the run has 2, the command gives 3" in changed.stderr
        and "Traceback" not in changed.stderr
    )
    recipe = cli("search", *SEARCH, "--run-dir", str(run), "--final-epochs", "3")
    assert (
        recipe.returncode == 1
        and "--final-epochs: the run has the winner's epochs, the command gives 3" in recipe.stderr
    )
    assert completed_files(run) == before

    # A kill between KerasTuner's two writes at the end of a trial: trial.json says COMPLETED, while
    # oracle.json still lists the trial as running. The resume must not train it again.
    oracle_file = run / "tuner" / "oracle.json"
    oracle = json.loads(oracle_file.read_text())
    oracle["end_order"].remove("0004")
    oracle["ongoing_trials"] = {"tuner0": "0004"}
    oracle_file.write_text(json.dumps(oracle))
    (run / "final.json").unlink()
    resumed = cli("resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert_search_finished(run)
    assert completed_files(run) == before  # trial 0004 included: not retrained


def test_sigkill_mid_trial_then_resume_loses_and_redoes_nothing(tmp_path, start_proc):
    run = tmp_path / "run"  # --keep-checkpoints all: every file of a completed trial stays, byte for byte
    proc = start_proc("search", *SEARCH, "--run-dir", str(run), "--trials-per-worker", "2", "--keep-checkpoints", "all")
    wait_until(lambda: running_trial_after(run, 2) or proc.poll() is not None, what="a third trial to start")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    wait_until(lambda: not workers_of(run), timeout=20, what="the worker to die with its parent")
    assert RunFolder(run).state() == "interrupted"
    before = completed_files(run)
    assert len(before) >= 2 * 3  # (trial.json, checkpoint, build config) per completed trial
    assert any(s["status"] == "RUNNING" for s in trial_states(run).values())  # killed mid-trial

    # Damage KerasTuner's state the way a kill inside its own writes could: an empty oracle.json,
    # a missing tuner0.json (KerasTuner alone would silently start over).
    (run / "tuner" / "oracle.json").write_text("")
    (run / "tuner" / "tuner0.json").unlink()
    resumed = cli("resume", str(run))
    assert resumed.returncode == 0, resumed.stderr + (run / "logs" / "worker.log").read_text()[-3000:]
    said = " ".join(resumed.stdout.split())
    assert "restored the last good copy" in said and "resumes instead of starting over" in said
    assert_search_finished(run)
    after = completed_files(run)
    assert {k: after[k] for k in before} == before  # completed trials untouched, byte for byte
    assert len(list(run.glob("tuner/trial_*/checkpoint.weights.h5"))) == 5
    assert not (run / "deleted-checkpoints").exists()


def test_ctrl_c_exits_cleanly_and_a_second_process_is_refused(tmp_path, start_proc):
    run = tmp_path / "run"
    proc = start_proc("search", *SEARCH, "--run-dir", str(run))
    wait_until(lambda: running_trial_after(run, 1) or proc.poll() is not None, what="a second trial to start")
    workers = workers_of(run)
    assert workers and proc.poll() is None, "the search's worker should be running"
    for pid in workers:  # hold the search still while a second process tries the same folder
        os.kill(pid, signal.SIGSTOP)
    try:
        second = cli("resume", str(run))
    finally:
        for pid in workers:
            os.kill(pid, signal.SIGCONT)
    assert second.returncode == 1 and f"is in use by another emnist-tuner process (pid {proc.pid})" in second.stderr
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    err = (tmp_path / "err.txt").read_text()
    assert "Traceback" not in err
    assert f"Resume with: emnist-tuner resume {run}" in err and len(err.strip().splitlines()) == 1
    assert json.loads((run / "status.json").read_text())["state"] == "interrupted"
    assert not workers_of(run)
    before = completed_files(run)
    resumed = cli("resume", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert_search_finished(run)
    assert_unchanged_but_for_deleted_checkpoints(run, before)


def assert_unchanged_but_for_deleted_checkpoints(run: Path, before: dict[str, bytes]) -> None:
    """The files of trials completed ``before`` are unchanged, but for checkpoints that --keep-checkpoints
    needed (the default) deleted on purpose, and recorded."""
    after = completed_files(run)
    deleted = deleted_checkpoints(run)
    gone = {k for k in before if k not in after}
    assert gone == {f"tuner/trial_{t}/checkpoint.weights.h5" for t in deleted} & set(before)
    assert {k: after[k] for k in before if k not in gone} == {k: v for k, v in before.items() if k not in gone}


def test_failed_trials_are_recorded_with_their_reason_and_the_search_goes_on(tmp_path):
    run = tmp_path / "run"
    proc = cli("search", *SEARCH, "--run-dir", str(run), "--max-params", "100")  # every model is too large
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    # 2 + 2 trials: bracket 1's second round cannot start (KerasTuner promotes only completed trials)
    assert "no completed trial to retrain: all 4 trials failed (last reason: " in proc.stderr
    assert "model too large: " in proc.stderr and "parameters (over --max-params)" in proc.stderr
    states = trial_states(run)
    assert len(states) == 4 and {s["status"] for s in states.values()} == {"FAILED"}  # the search went on
    board = cli("leaderboard", str(run), "--format", "json")
    assert all(t["message"].startswith("model too large: ") for t in json.loads(board.stdout))  # in our words
    assert json.loads((run / "status.json").read_text())["state"] == "failed"


def test_an_ensemble_killed_between_members_resumes_member_by_member(tmp_path, start_proc):
    run = tmp_path / "run"
    proc = start_proc("search", *SEARCH, "--run-dir", str(run), "--ensemble", "3", "--final-epochs", "2", "--tta", "3")
    member_2 = run / "ensemble" / "member-2.json"
    wait_until(lambda: member_2.is_file() or proc.poll() is not None, timeout=300, what="member 2 to be saved")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, (tmp_path / "err.txt").read_text()
    wait_until(lambda: not workers_of(run), timeout=20, what="the worker to die with its parent")
    assert not (run / "ensemble" / "member-3.json").exists() and not (run / "ensemble.keras").exists()
    kept = [member_2, run / "ensemble" / "member-2.keras", run / "best_model.keras"]
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in kept}

    resumed = cli("resume", str(run))
    assert resumed.returncode == 0, resumed.stderr + (run / "logs" / "worker.log").read_text()[-3000:]
    said = " ".join(resumed.stdout.split())
    assert "training the ensemble's missing members" in said and "member 3/3 held-out test accuracy" in said
    assert "member 2/3" not in said  # member 2 was not trained again
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in kept} == before
    final = json.loads((run / "final.json").read_text())
    assert final["recipe"] == "2 epochs: 1 warm-up, cosine to 0; label smoothing 0.1; weight EMA"
    ensemble = final["ensemble"]
    assert [(m["member"], m["seed"], m["trial_id"]) for m in ensemble["members"]] == [
        (1, 0, final["trial_id"]),
        (2, 1, final["trial_id"]),
        (3, 2, final["trial_id"]),
    ]
    assert ensemble["test_accuracy"] == pytest.approx(accuracy_of_saved_predictions(run / "ensemble"))
    assert final["tta"]["copies"] == ensemble["tta"]["copies"] == 3
    if final["hyperparameters"].get("augment"):  # the winner of this tiny search varies from run to run
        assert 0.1 < ensemble["tta"]["test_accuracy"] <= 1
        assert "with test-time augmentation (3 copies): held-out test accuracy" in said
    else:  # nothing to vary at test time
        assert ensemble["tta"]["skipped"] == final["tta"]["skipped"] == "trained without augmentation"
        assert "test-time augmentation skipped: trained without augmentation" in said
    assert "ensemble of 3 (seeds; members" in said and "held-out test accuracy" in said

    import keras
    import numpy as np

    from emnist_tuner.data.prepare import prepare_data

    x = prepare_data("synthetic", None, 0).x_test[:50]
    members = [
        keras.models.load_model(run / name, compile=False)
        for name in ("best_model.keras", "ensemble/member-2.keras", "ensemble/member-3.keras")
    ]
    averaged = keras.models.load_model(run / "ensemble.keras", compile=False)
    mean = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(averaged.predict(x, verbose=0), mean, rtol=1e-5, atol=1e-6)
    again = cli("resume", str(run))
    assert again.returncode == 0 and "already complete" in again.stdout

    # the same search asked again with a larger ensemble, the recipe options and --tta left out (they keep the
    # run's): only the new member is trained
    kept.append(run / "ensemble" / "member-3.keras")
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in kept}
    larger = cli("search", *SEARCH, "--run-dir", str(run), "--ensemble", "4")
    assert larger.returncode == 0, larger.stderr
    said = " ".join(larger.stdout.split())
    assert "member 4/4 held-out test accuracy" in said and "member 3/4" not in said
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in kept} == before
    ensemble = json.loads((run / "final.json").read_text())["ensemble"]
    assert [m["seed"] for m in ensemble["members"]] == [0, 1, 2, 3] and ensemble["asked"] == 4
    assert json.loads((run / "config.json").read_text())["ensemble"] == 4


def test_the_same_search_gives_the_same_trials_whatever_the_trials_per_worker_or_workers(tmp_path):
    # max_epochs 4, factor 4: 7 trials; bracket 1 trains 4 for 1 epoch and continues the best to 4, bracket 0
    # trains 2 for 4. With two workers, KerasTuner alone hands out bracket 0's first trial while round 0 still
    # runs (the promotion gets another id, hence seed and score): the oracle waits for the round instead.
    search = ["--dataset", "synthetic", "--max-epochs", "4", "--factor", "4", "--no-tensorboard"]
    one = cli("search", *search, "--trials-per-worker", "2", "--run-dir", str(tmp_path / "one"))
    assert one.returncode == 0, one.stderr
    pids = {json.loads(p.read_text())["pid"] for p in (tmp_path / "one" / "timings").glob("*.json")}
    assert len(pids) == 4  # 7 trials, 2 per worker process, one process at a time
    pool = cli("search", *search, "--workers", "2", "--run-dir", str(tmp_path / "pool"))
    assert pool.returncode == 0, pool.stderr
    assert "2 local workers" in pool.stdout and "Leaderboard · trials 7/7" in pool.stdout
    tuners = {json.loads(p.read_text())["tuner"] for p in (tmp_path / "pool" / "timings").glob("*.json")}
    assert tuners == {"worker-local0", "worker-local1"}  # both trained

    def trials(run):  # per trial id: its values (promotions: of which trial, round, epochs), status, score
        return {t: (s["hyperparameters"]["values"], s["status"], s["score"]) for t, s in trial_states(run).items()}

    assert trials(tmp_path / "pool") == trials(tmp_path / "one") and len(trials(tmp_path / "one")) == 7
    winners = [json.loads((tmp_path / run / "final.json").read_text()) for run in ("one", "pool")]
    assert [(w["trial_id"], w["val_accuracy"]) for w in winners] == [
        (winners[0]["trial_id"], winners[0]["val_accuracy"])
    ] * 2


def kept_checkpoints(run: Path) -> set[str]:
    return {p.parent.name[len("trial_") :] for p in run.glob("tuner/trial_*/checkpoint.weights.h5")}


def test_needed_checkpoints_survive_a_kill_and_plain_kerastuner_reopens_the_run(tmp_path, start_proc, capsys):
    run = tmp_path / "run"
    # killed when trial 0002 (bracket 1's continuation of the better of 0000 and 0001) has just started
    proc = start_proc("search", *SEARCH, "--run-dir", str(run), "--no-tensorboard")
    wait_until(lambda: running_trial_after(run, 2) or proc.poll() is not None, what="a third trial to start")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_until(lambda: not workers_of(run), timeout=20, what="the worker to die with its parent")
    states = trial_states(run)
    continued = states["0002"]["hyperparameters"]["values"]["tuner/trial_id"]
    assert states["0002"]["status"] == "RUNNING" and continued in kept_checkpoints(run)  # its parent
    assert set(deleted_checkpoints(run)) <= {"0000", "0001"} - {continued}
    before = completed_files(run)

    resumed = cli("resume", str(run))
    assert resumed.returncode == 0, resumed.stderr + (run / "logs" / "worker.log").read_text()[-3000:]
    assert_search_finished(run)  # the continuation was rerun from its parent's checkpoint
    assert trial_states(run)["0002"]["hyperparameters"]["values"]["tuner/trial_id"] == continued
    assert_unchanged_but_for_deleted_checkpoints(run, before)
    scores = {t: s["score"] for t, s in trial_states(run).items()}
    best = {t for t, score in scores.items() if score == max(scores.values())}  # the best (ties kept), its parent
    parents = {trial_states(run)[t]["hyperparameters"]["values"].get("tuner/trial_id") for t in best} - {None}
    assert kept_checkpoints(run) == best | parents
    assert set(deleted_checkpoints(run)) == set(scores) - kept_checkpoints(run)

    # every reader of the run works; repair (the check before a resume) finds nothing missing
    code, out, err = run_cli(capsys, "leaderboard", str(run), "--format", "json")
    assert code == 0 and len(json.loads(out)) == 5, err
    code, out, err = run_cli(capsys, "report", str(run))
    assert code == 0, err
    kept, gone = len(kept_checkpoints(run)), len(deleted_checkpoints(run))
    said = " ".join(out.split())
    assert "(--keep-checkpoints needed)" in said and f"trial checkpoints {kept} kept" in said
    assert (f"{gone} deleted" in said) == bool(gone)
    check_checkpoints(run / "tuner", json.loads((run / "tuner" / "oracle.json").read_text()))  # repair: no damage

    # plain KerasTuner reopens the project and loads its best models from their checkpoints
    import keras_tuner

    from emnist_tuner.data.prepare import prepare_data
    from emnist_tuner.hyperband.space import hypermodel_for
    from emnist_tuner.runfolder.configs import SearchConfig

    config = SearchConfig.load(run)
    plain = keras_tuner.Hyperband(
        hypermodel_for(config),
        objective="val_accuracy",
        max_epochs=2,
        factor=2,
        directory=str(run),
        project_name="tuner",
        overwrite=False,
    )
    assert plain.oracle.get_best_trials(1)[0].score == max(scores.values())
    x = prepare_data("synthetic", None, 0).x_test[:20]
    (model,) = plain.get_best_models()
    assert model.predict(x, verbose=0).shape == (20, 10)

    # the same run, resumed with --keep-checkpoints best: only the winner's is left
    code, out, err = run_cli(capsys, "resume", str(run), "--keep-checkpoints", "best")
    assert code == 0, err
    assert kept_checkpoints(run) == {t for t, score in scores.items() if score == max(scores.values())}
    # best deletes the winner's parent, if it was continued from one
    assert ("that the search can no longer use (--keep-checkpoints best)" in " ".join(out.split())) == bool(parents)
    assert json.loads((run / "config.json").read_text())["keep_checkpoints"] == "best"
