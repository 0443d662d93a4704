"""One worker process of a search, run to its end: its JSON events are read from a pipe and handed
to a display; an error it reports becomes one ``RunError`` line naming its log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..errors import RunError
from ..runfolder.layout import WORKER_LOG, RunFolder
from .allocator import allocator_environment

WORKER_MODULE = "emnist_tuner.hyperband.worker"


def worker_environment(extra: dict | None = None) -> dict:
    """A worker's environment: this process's, quiet and unbuffered, its allocator (``allocator``: tcmalloc
    where installed, so that each trial's memory is handed back), then ``extra`` (None values remove a
    variable)."""
    merged = {
        **os.environ,
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONUNBUFFERED": "1",
        **allocator_environment(),
        **(extra or {}),
    }
    return {k: v for k, v in merged.items() if v is not None}


def run_worker_process(
    run: RunFolder,
    mode: str,
    budget: int | None,
    display,
    env: dict | None = None,
    log_name: str = WORKER_LOG,
    args: tuple[str, ...] = (),
) -> str:
    """Run one worker process to its end; return its last event ("budget", "search_done", "final_end").
    ``env`` is added to this process's environment (None values remove a variable); ``args`` go to the worker."""
    read_fd, write_fd = os.pipe()
    command = [
        sys.executable,
        "-m",
        WORKER_MODULE,
        str(run.path),
        "--mode",
        mode,
        "--events-fd",
        str(write_fd),
        "--parent-pid",
        str(os.getpid()),
        *args,
    ]
    if budget:
        command += ["--budget", str(budget)]
    env = worker_environment(env)
    run.logs.mkdir(parents=True, exist_ok=True)
    try:
        with open(run.log_file(log_name), "ab") as log:
            proc = subprocess.Popen(
                command, pass_fds=(write_fd,), stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env
            )
    except BaseException:
        os.close(read_fd)  # no worker: nobody reads or writes the pipe
        raise
    finally:
        os.close(write_fd)  # the worker holds its own copy
    last = None
    try:
        with os.fdopen(read_fd) as events:
            for line in events:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                last = event
                if event.get("event") in FINAL_EVENTS:
                    break
                display.handle(event)
            if last and last.get("event") in FINAL_EVENTS and last.get("event") != "error":
                display.handle(last)  # a worker that stopped without a last word: its events were all shown
        code, hung = _wait(proc, run.log_file(log_name))
    except BaseException:
        _stop(proc)
        raise
    if last and last.get("event") == "error":
        lines = [line for line in last["message"].splitlines() if line.strip()] or ["unknown error"]
        raise RunError(f"{mode} worker failed: {lines[0]} (details: {run.log_file(log_name)})")
    # a worker killed in its teardown had said its last word: its work was saved before it
    if (code != 0 and not hung) or last is None or last.get("event") not in ("budget", "search_done", "final_end"):
        raise RunError(f"{mode} worker exited with code {code} (details: {run.log_file(log_name)})")
    return last["event"]


FINAL_EVENTS = ("budget", "search_done", "final_end", "error")


def worker_pids(run_path) -> list[int]:
    """The process ids of the worker processes of the run in ``run_path`` (Linux: read from /proc)."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if f"{WORKER_MODULE} " in cmdline and str(run_path) in cmdline:
            pids.append(int(proc.name))
    return pids


def _wait(proc: subprocess.Popen, log: Path, timeout: float = 120) -> tuple[int, bool]:
    """Wait for a worker that has said its last word: (its exit code, whether it hung in its teardown and
    was killed, which ``log`` is told)."""
    try:
        return proc.wait(timeout=timeout), False
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
        with open(log, "a") as out:
            out.write(f"emnist-tuner: worker {proc.pid} hung {timeout:.0f} s after its last event; killed ({code})\n")
        return code, True


def _stop(proc: subprocess.Popen) -> None:
    """Stop a worker: SIGINT (its trial is rerun on resume), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
