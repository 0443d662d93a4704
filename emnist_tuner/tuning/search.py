"""`search` and `resume`: run a Hyperband search in a run folder, in bounded-lifetime workers.

The parent process holds the run's lock, prints the schedule, starts one worker after another
(each runs ``trials_per_worker`` trials and exits, see ``worker``), renders their progress,
then runs the final retrain in one more worker. Interrupting (Ctrl-C) or killing it at any
moment loses no completed trial: KerasTuner's state is saved after every trial, atomically.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..errors import EmnistTunerError, RunError
from .config import SearchConfig, load_config, save_config
from .progress import SearchProgress
from .runfolder import RunFolder, RunLock, check_tuner_state
from .schedule import docstring_estimate, hyperband_schedule, total_epochs, total_trials


class SearchInterrupted(EmnistTunerError):
    exit_code = 130


def fingerprint_for(config: SearchConfig) -> str:
    from ..datasets import get_info
    from ..searchspace import CharacterHyperModel
    from .tuner import space_fingerprint

    info = get_info(config.dataset)
    return space_fingerprint(CharacterHyperModel(input_shape=info.image_shape, num_classes=info.num_classes,
                                                 augmentations=tuple(config.augmentations),
                                                 restrict=config.restrict))


def start_search(config: SearchConfig, run_dir: Path | str, console: Console, chief=None) -> dict:
    """Start a search in ``run_dir``, or resume it when it holds the same search. With ``chief`` (a
    ``distributed.ChiefRole``), the search runs as the oracle server of a distributed search."""
    run = RunFolder(run_dir)
    if run.path.exists() and not run.path.is_dir():
        raise RunError(f"--run-dir {run.path} is a file; choose a folder")
    config.space = fingerprint_for(config)
    if run.exists():
        saved = load_config(run.path)
        diffs = saved.differences(config)
        if diffs:
            raise RunError(
                f"{run.path} holds a different search: {'; '.join(diffs)}. KerasTuner would silently keep the old "
                f"settings. Use a new --run-dir, or `emnist-tuner resume {run.path}` to continue it as it was"
            )
        console.print(f"{run.path} holds this search already: resuming it")
        saved.data_dir = config.data_dir or saved.data_dir
        saved.trials_per_worker = config.trials_per_worker
        config = saved
    elif run.path.exists() and any(run.path.iterdir()):
        raise RunError(f"{run.path} exists and is not an emnist-tuner run folder; choose an empty or new --run-dir")
    return _run(run, config, console, chief)


def resume_search(run_dir: Path | str, console: Console, data_dir: str | None = None) -> dict:
    run = RunFolder(run_dir)
    config = load_config(run.path)
    if config.kind != "search":
        raise RunError(f"{run.path} is a `{config.kind}` run, not a search; only searches can be resumed")
    current = fingerprint_for(config)
    if current != config.space:
        raise RunError(
            f"the search space changed since {run.path} started (fingerprint {config.space} → {current}); "
            "resuming would mix two spaces. Start a new run, or reinstall the version that created it"
        )
    if data_dir:
        config.data_dir = str(data_dir)
    return _run(run, config, console)


def print_schedule(config: SearchConfig, console: Console) -> list:
    rounds = hyperband_schedule(config.max_epochs, config.factor, config.iterations)
    table = Table(title=f"Hyperband schedule (max_epochs={config.max_epochs}, factor={config.factor}, "
                        f"iterations={config.iterations})", title_justify="left")
    for name in ("bracket", "round", "trials", "epochs each", "epochs"):
        table.add_column(name, justify="right")
    for r in rounds:
        prefix = f"{r.iteration}." if config.iterations > 1 else ""
        span = f"{r.epochs - r.new_epochs}→{r.epochs}" if r.round else str(r.epochs)
        table.add_row(f"{prefix}{r.bracket}", str(r.round), str(r.trials), span, str(r.trials * r.new_epochs))
    table.caption = (f"{total_trials(rounds)} trials, {total_epochs(rounds)} epochs in total (KerasTuner's docstring "
                     f"estimate: {docstring_estimate(config.max_epochs, config.factor, config.iterations):.0f}); "
                     "early stopping can end trials sooner")
    table.caption_justify = "left"
    console.print(table)
    return rounds


def _run(run: RunFolder, config: SearchConfig, console: Console, chief=None) -> dict:
    from ..reports.trials import read_trials

    with RunLock(run) as lock:
        if lock.took_over_from:
            console.print(f"took over the lock left by process {lock.took_over_from}, which is no longer running")
        for note in check_tuner_state(run, tuner_id=chief.tuner_id if chief else None):
            console.print(f"[yellow]repaired:[/yellow] {note}")
        save_config(run.path, config)
        run.logs.mkdir(parents=True, exist_ok=True)
        rounds = print_schedule(config, console)
        console.print(f"run folder: {run.path}")
        run.write_status("running", **(chief.status() if chief else {}))
        try:
            if not run.final_file.exists():
                if chief:
                    chief.serve(run, config, console, rounds)
                else:
                    _search_until_done(run, config, console, rounds, read_trials(run.path))
                run_worker_process(run, "final", None, SearchProgress(console, 1, 1, live=False),
                                   **(chief.final_process() if chief else {}))
            else:
                console.print("the search and its final retrain are already complete")
        except KeyboardInterrupt:
            run.write_status("interrupted", "stopped by the user")
            raise SearchInterrupted(f"interrupted; completed trials are kept. Resume with: emnist-tuner resume {run.path}")
        except EmnistTunerError as exc:
            run.write_status("failed", str(exc))
            raise
        run.write_status("completed")
        return json.loads(run.final_file.read_text())


def _search_until_done(run, config, console, rounds, records) -> None:
    done = [r for r in records if r.status in ("COMPLETED", "FAILED")]
    done_epochs = sum(r.new_epochs or 0 for r in done)
    best = max((r for r in done if r.status == "COMPLETED" and r.score is not None), key=lambda r: r.score,
               default=None)
    if done:
        console.print(f"resuming: {len(done)} trials already done, {len(records) - len(done)} to rerun or continue")
    with SearchProgress(console, total_trials(rounds), total_epochs(rounds), len(done), done_epochs,
                        best.score if best else None, best.trial_id if best else None) as display:
        while run_worker_process(run, "search", config.trials_per_worker, display) != "search_done":
            pass


def run_worker_process(run: RunFolder, mode: str, budget: int | None, display, env: dict | None = None,
                       log_name: str = "worker.log", args: tuple[str, ...] = ()) -> str:
    """Run one worker process to its end; return its last event ("budget", "search_done", "final_end").
    ``env`` is added to this process's environment (None values remove a variable); ``args`` go to the worker."""
    read_fd, write_fd = os.pipe()
    command = [sys.executable, "-m", "emnist_tuner.tuning.worker", str(run.path), "--mode", mode,
               "--events-fd", str(write_fd), "--parent-pid", str(os.getpid()), *args]
    if budget:
        command += ["--budget", str(budget)]
    env = {k: v for k, v in {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1",
                             **(env or {})}.items() if v is not None}
    run.logs.mkdir(parents=True, exist_ok=True)
    with open(run.logs / log_name, "ab") as log:
        proc = subprocess.Popen(command, pass_fds=(write_fd,), stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                env=env)
    os.close(write_fd)
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
            if last and last.get("event") != "error":
                display.handle(last)
        code = _wait(proc)
    except BaseException:
        _stop(proc)
        raise
    if last and last.get("event") == "error":
        lines = [line for line in last["message"].splitlines() if line.strip()] or ["unknown error"]
        raise RunError(f"{mode} worker failed: {lines[0]} (details: {run.logs / log_name})")
    if code != 0 or last is None or last.get("event") not in ("budget", "search_done", "final_end"):
        raise RunError(f"{mode} worker exited with code {code} (details: {run.logs / log_name})")
    return last["event"]


FINAL_EVENTS = ("budget", "search_done", "final_end", "error")


def _wait(proc: subprocess.Popen, timeout: float = 120) -> int:
    """Wait for a worker that has said its last word; kill it if its teardown hangs."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return 0


def _stop(proc: subprocess.Popen) -> None:
    """Stop a worker: SIGINT (its trial is rerun on resume), then SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
