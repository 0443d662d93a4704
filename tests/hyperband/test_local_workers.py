"""`search --workers 2`: a real search with its own chief and two workers on the synthetic dataset; one
worker is killed (SIGKILL) mid-trial and started again, then the whole search is interrupted (SIGINT to
its process group, as Ctrl-C in a terminal) and resumed on one process. Nothing is lost.

Schedule: max_epochs 2, factor 2 -> 5 trials. (The same trials as one worker: see
``test_search_e2e.test_the_same_search_gives_the_same_leaderboard_whatever_the_trials_per_worker_or_workers``.)
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from test_search_e2e import (
    SEARCH,
    _env,
    assert_search_finished,
    assert_unchanged_but_for_deleted_checkpoints,
    cli,
    completed_files,
    trial_states,
    wait_until,
)

from emnist_tuner.hyperband.process import worker_pids

pytestmark = pytest.mark.slow


def _session_with_ctrl_c() -> None:
    os.setsid()  # its own process group, which the test interrupts as a terminal would
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tuner_of(pid: int) -> str | None:
    """KERASTUNER_TUNER_ID of a process (its environment, Linux)."""
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    return next((v.split(b"=", 1)[1].decode() for v in env if v.startswith(b"KERASTUNER_TUNER_ID=")), None)


def training_worker(run: Path) -> tuple[int, str] | None:
    """(pid, trial id) of a local worker process holding a trial that is running, if any."""
    try:
        ongoing = json.loads((run / "tuner" / "oracle.json").read_text())["ongoing_trials"]
    except (OSError, ValueError, KeyError):
        return None
    states = trial_states(run)
    for pid in worker_pids(run):
        trial = ongoing.get(tuner_of(pid) or "")
        if trial and states.get(trial, {}).get("status") == "RUNNING" and (run / "timings").is_dir():
            return pid, trial
    return None


def completed(run: Path) -> int:
    return sum(s["status"] == "COMPLETED" for s in trial_states(run).values())


def test_two_local_workers_survive_a_killed_worker_and_ctrl_c_then_resume_on_one(tmp_path):
    run = tmp_path / "run"
    out = tmp_path / "out.txt"
    with open(out, "w") as said:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emnist_tuner.cli", "search", *SEARCH, "--no-tensorboard"]
            + ["--run-dir", str(run), "--workers", "2"],
            stdout=said,
            stderr=subprocess.STDOUT,
            env={**_env(), "EMNIST_TUNER_HEARTBEAT": "1"},
            preexec_fn=_session_with_ctrl_c,
        )
    try:
        wait_until(lambda: completed(run) >= 1 and training_worker(run) or proc.poll() is not None, timeout=240)
        assert proc.poll() is None, out.read_text()
        pid, trial = training_worker(run) or (0, "")
        victim = tuner_of(pid)
        os.kill(pid, signal.SIGKILL)  # one worker, mid-trial
        wait_until(lambda: "again (its worker was restarted)" in out.read_text(), timeout=120, what="the restart")
        text = " ".join(out.read_text().split())
        assert f"worker {victim.removeprefix('worker-')} stopped" in text and "starting it again" in text
        assert re.search(rf"trial {trial} \(\d of 5\) → {victim} again", text), text

        wait_until(lambda: completed(run) >= 3 or proc.poll() is not None, timeout=240, what="3 trials")
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the search and every process it started
        assert proc.wait(timeout=60) == 130, out.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = out.read_text()
    assert "Resume with: emnist-tuner resume" in text and "Traceback" not in text
    wait_until(lambda: not worker_pids(run), timeout=30, what="every worker process to stop")
    before = completed_files(run)
    assert len(before) >= 3 * 3

    resumed = cli("resume", str(run))  # on one process: any number of workers resumes a search
    assert resumed.returncode == 0, resumed.stderr
    assert_search_finished(run)
    assert_unchanged_but_for_deleted_checkpoints(run, before)  # nothing done before Ctrl-C is redone
    tuners = {json.loads(p.read_text())["tuner"] for p in (run / "timings").glob("*.json")}
    assert "tuner0" in tuners and tuners & {"worker-local0", "worker-local1"}
    assert text.count(" completed on worker-local") == len(set(re.findall(r"trial (\d+) completed on", text)))


def test_local_workers_save_the_search_time_spent_for_the_next_sessions_budget(tmp_path, monkeypatch):
    """The local chief's oracle gets the budget, and the time spent is saved when the oracle stops (as a
    chief's): a later session's --time-budget counts it."""
    from emnist_tuner.hyperband.distributed.local import LocalPool
    from emnist_tuner.hyperband.schedule import hyperband_schedule
    from emnist_tuner.runfolder.configs import SearchConfig
    from emnist_tuner.runfolder.layout import RunFolder

    config = SearchConfig.from_profile("synthetic", max_epochs=2, factor=2, time_budget=600)
    run = RunFolder(tmp_path / "run")
    run.path.mkdir()
    given = {}
    monkeypatch.setattr(LocalPool, "_chief", lambda self, run, display, budget: given.update(budget))
    monkeypatch.setattr(LocalPool, "_worker", lambda self, *args: None)

    class Display:
        chief = None

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    class UI:
        def pool_progress(self, *args):
            return Display()

        def say(self, text):
            pass

    LocalPool(2).serve(run, config, UI(), hyperband_schedule(2, 2, 1))
    assert given  # the chief's oracle was told the deadline
    saved = json.loads((run.path / "search_time.json").read_text())
    assert saved["budget"] == 600 and saved["spent"] >= 0
