"""`search --workers N`: a chief and N workers on this machine, started and stopped by the search itself.

The same engine as `--role chief` and `--role worker` (KerasTuner's oracle service, ``chief`` and
``client``), with everything chosen for the user:

- the oracle listens on loopback (127.0.0.1) on a free port, and every call must carry a token made
  for this run and handed to the processes in their environment (``security``): nothing outside this
  machine can reach it, no other process of this machine can call it;
- worker ``localI`` is pinned to GPU I (``CUDA_VISIBLE_DEVICES``) where there are GPUs, else gets its
  share of the CPU cores (TensorFlow's inter-op threads, ``OMP_NUM_THREADS``; its intra-op threads stay those of
  one process, so that its trials score as in one process: ``placement``);
- a worker process that dies is started again with its id: the chief hands it its trial back, rerun
  from scratch (``chief.WatchedOracle.before_create``); a worker that fails three times in a row
  without finishing a trial stops the search (one error line);
- Ctrl-C stops the chief and every worker (exit 130); the run resumes with any number of workers
  (the chief does not keep trials for workers that are gone: ``run_chief(adopt=False)``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time

from ...errors import ConfigError, RunError, plural
from ...runfolder.budget import SearchClock
from ...runfolder.layout import CHIEF_LOG, RunFolder, worker_log_name
from ..process import run_worker_process, worker_pids
from ..schedule import total_trials
from .roles import WORKER_PREFIX, ChiefRole, OracleAddress
from .security import Protection

RESTARTS_IN_A_ROW = 3


def pool_for(workers: int | None) -> LocalPool | None:
    """A local chief and ``workers`` workers, or None for one trial at a time (``--workers 1``: the
    one-process search, no chief)."""
    if workers is None or workers == 1:
        return None
    return LocalPool(workers)


def gpu_ids() -> list[str]:
    """The GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` when set, else those nvidia-smi lists."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [g.strip() for g in visible.split(",") if g.strip() and g.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in out.stdout.splitlines() if line.strip().isdigit()] if out.returncode == 0 else []


def cpu_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def parse_workers(text: str | None) -> int | None:
    """``--workers``: a number from 1 to 64 or ``auto`` (one per GPU; without GPUs, one per 2 cores).
    None when not given; ConfigError (exit 2) otherwise."""
    if text is None:
        return None
    if text.strip().lower() == "auto":
        return len(gpu_ids()) or max(1, cpu_cores() // 2)
    if not text.strip().isdigit() or not 1 <= int(text) <= 64:
        raise ConfigError(f"--workers must be a number from 1 to 64 or auto, got '{text}'")
    return int(text)


def placement(index: int, workers: int, gpus: list[str], cores: int) -> dict:
    """Worker ``index``'s environment: its GPU, or its share of the CPU threads. The intra-op threads stay
    those of one process (every core): TensorFlow splits a CPU op's sums by that count, so with fewer
    threads some trials' scores differed in the last digits from one process's, and a promotion could too."""
    if gpus:
        return {"CUDA_VISIBLE_DEVICES": gpus[index % len(gpus)]}
    threads = str(max(1, cores // workers))
    return {
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": threads,
        "TF_NUM_INTRAOP_THREADS": str(cores),
        "TF_NUM_INTEROP_THREADS": threads,
    }


def free_loopback_port() -> int:
    """A port free on 127.0.0.1 now (the chief binds it a moment later)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalPool(ChiefRole):
    """What `search --workers N` changes in a search: ``serve`` runs the chief and N workers."""

    def __init__(self, workers: int, worker_timeout: float = 120.0):
        token = secrets.token_hex(32)  # this run's: a call from any other process is refused
        super().__init__(OracleAddress("127.0.0.1", free_loopback_port()), worker_timeout, Protection(token=token))
        self.workers = workers
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def status(self) -> dict:
        """The pool's fields of ``status.json``."""
        return {"workers": self.workers}

    def serve(self, run: RunFolder, config, ui, rounds) -> None:
        """Runs the chief and the workers until the oracle has stopped; then the final phase."""
        if run.read_status().get("phase") == "final":
            return
        gpus, cores = gpu_ids(), cpu_cores()
        display = ui.pool_progress(total_trials(rounds), self.workers, self.worker_timeout)
        share = f"GPU {', '.join(gpus)}" if gpus else f"CPU, {plural(cores, 'intra-op thread')} each as one process"
        ui.say(f"{self.workers} local workers ({share}), oracle on {self.address} (this run's token)")
        clock = SearchClock(run, config.time_budget, total_trials(rounds))
        budget = clock.worker_env()  # --time-budget: the chief's oracle hands out no trial after it
        threads = [threading.Thread(target=self._chief, args=(run, display, budget), name="chief", daemon=True)]
        for index in range(self.workers):
            env = {**self.address.env(f"{WORKER_PREFIX}local{index}"), **self.protection.env()}
            env.update(placement(index, self.workers, gpus, cores))
            threads.append(
                threading.Thread(
                    target=self._worker, args=(run, config, index, env, display), name=f"local{index}", daemon=True
                )
            )
        with display:
            for thread in threads:
                thread.start()
            try:
                while any(thread.is_alive() for thread in threads) and self.failure is None:
                    time.sleep(0.2)
            except BaseException:
                self._stop_all(run, threads)
                raise
            if self.failure is not None:
                self._stop_all(run, threads)
                raise self.failure
        clock.save()  # the search time spent, for a later session's budget (as ChiefRole.serve)
        run.write_status("running", "the oracle has stopped; retraining the winner", phase="final", **self.status())

    def _chief(self, run: RunFolder, display, budget: dict) -> None:
        env = {**self.chief_env(), "CUDA_VISIBLE_DEVICES": "", **budget}
        args = ("--worker-timeout", str(self.worker_timeout), "--no-adopt")
        try:
            run_worker_process(run, "chief", None, display.chief, env=env, log_name=CHIEF_LOG, args=args)
        except BaseException as exc:
            if not self.stop.is_set():
                self.failure = exc

    def _worker(self, run: RunFolder, config, index: int, env: dict, display) -> None:
        name = f"local{index}"
        failed = 0
        while not self.stop.is_set() and not run.search_is_over():
            before = display.finished(name)
            try:
                if (
                    run_worker_process(
                        run,
                        "search",
                        config.trials_per_worker,
                        display.worker(name),
                        env=env,
                        log_name=worker_log_name(name),
                    )
                    == "search_done"
                ):
                    return
                failed = 0
            except RunError as exc:
                if self.stop.is_set():
                    return
                failed = 0 if display.finished(name) > before else failed + 1
                if failed >= RESTARTS_IN_A_ROW:
                    self.failure = RunError(f"worker {name} failed {RESTARTS_IN_A_ROW} times in a row: {exc}")
                    return
                display.say(f"[yellow]worker {name} stopped ({exc}); starting it again[/yellow]")
            except BaseException as exc:
                self.failure = exc
                return

    def _stop_all(self, run: RunFolder, threads: list[threading.Thread]) -> None:
        """SIGINT to the chief and every worker process of this run (a running trial is rerun on resume),
        SIGKILL to those still there after 20 s."""
        self.stop.set()
        for pid in worker_pids(run.path):
            _signal(pid, signal.SIGINT)
        deadline = time.monotonic() + 20
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        for pid in worker_pids(run.path):
            _signal(pid, signal.SIGKILL)
        for thread in threads:
            thread.join(5)


def _signal(pid: int, which: int) -> None:
    try:
        os.kill(pid, which)
    except (ProcessLookupError, PermissionError):
        pass
