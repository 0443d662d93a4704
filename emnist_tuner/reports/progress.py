"""What a search shows while it runs, drawn from its workers' events: ``ConsoleUI`` is handed to
``hyperband.search`` (which imports no display code) and makes each display it asks for.

On a terminal: rich bars for the whole search (in scheduled epochs, with elapsed time and ETA),
the current trial (epochs) and the current epoch (batches), and a line with the trial number,
bracket and round, the current and the best validation accuracy. Elsewhere (a pipe, a log file,
CI): one plain line per trial start, epoch and trial end.
"""

from __future__ import annotations

import time

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..errors import plural


class SearchProgress:
    def __init__(
        self,
        console: Console,
        total_trials: int,
        total_epochs: int,
        done_trials: int = 0,
        done_epochs: int = 0,
        best: float | None = None,
        best_trial: str | None = None,
        live: bool | None = None,
        final: bool = False,
        said: set | None = None,
    ):
        self.console = console
        self.said = set() if said is None else said  # one-time lines already said (shared by a search's displays)
        self.live_mode = console.is_terminal if live is None else live
        self.total_trials = total_trials
        self.done_trials = done_trials
        self.best, self.best_trial = best, best_trial
        self.trial: dict | None = None
        self.trial_epochs_run = 0
        self.current_val = None
        self.data_shown = False
        self.started = time.time()
        self.progress = Progress(
            TextColumn("{task.description:>8}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
        )
        self.search_task = self.progress.add_task(
            "search", total=max(total_epochs, 1), completed=done_epochs, visible=not final
        )
        self.trial_task = self.progress.add_task("trial", total=1, visible=False)
        self.epoch_task = self.progress.add_task("epoch", total=1, visible=False)
        self.status = Text("starting a worker…")
        self.live = (
            Live(Group(self.status, self.progress), console=console, refresh_per_second=4, transient=final)
            if self.live_mode
            else None
        )

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:  # the last frame: no bar of a trial or epoch that is over
            self.progress.update(self.trial_task, visible=False)
            self.progress.update(self.epoch_task, visible=False)
            self.live.__exit__(*exc)

    def say(self, message: str) -> None:
        self.console.print(message, highlight=False)

    def _number(self, event: dict) -> int:
        """The trial's number in the search (KerasTuner's start order; a rerun keeps its number)."""
        return event.get("number") or self.done_trials + 1

    def _status_line(self, running: bool = True) -> None:
        best = f"best {self.best:.4f} (trial {self.best_trial})" if self.best is not None else "no trial completed yet"
        if not running or self.trial is None:
            self.status.plain = f"{self.done_trials} of {plural(self.total_trials, 'trial')} done · {best}"
            return
        t = self.trial
        where = f"bracket {t.get('bracket')} round {t.get('round')}" if t.get("bracket") is not None else ""
        cur = f"val acc {self.current_val:.4f}" if self.current_val is not None else "val acc -"
        self.status.plain = (
            f"trial {t.get('trial_id', '-')} ({self._number(t)} of {self.total_trials}) · {where} · {cur} · {best}"
        )

    def handle(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "devices" and "devices" not in self.said:  # each worker process reports them; say it once
            self.said.add("devices")
            self.say(f"devices: {event['description']}")
        elif kind == "data" and not self.data_shown:
            self.data_shown = True
            self.say(
                f"data: {event['dataset']}: {event['train']:,} train / {event['val']:,} validation images "
                f"(search); {plural(event['test'], 'test image')} (held out)"
            )
            if event.get("subset") and event["subset"] > event["train"]:
                self.say(
                    f"--subset {event['subset']:,} is more than the {plural(event['train'], 'training image')}: the "
                    "search uses all of them"
                )
        elif kind == "trial_begin":
            self.trial = event
            self.trial_epochs_run = 0
            self.current_val = None
            planned = (event.get("epochs") or 1) - (event.get("initial_epoch") or 0)
            self.progress.reset(self.trial_task, total=planned, completed=0, visible=True)
            self._status_line()
            if not self.live_mode:
                self.say(
                    f"trial {event['trial_id']} ({self._number(event)} of {self.total_trials}): "
                    f"bracket {event.get('bracket')} round {event.get('round')}, "
                    f"epochs {event.get('initial_epoch')}→{event.get('epochs')}"
                )
        elif kind == "epoch_begin":
            self.progress.reset(self.epoch_task, total=event.get("steps") or 1, completed=0, visible=True)
        elif kind == "batch":
            self.progress.update(self.epoch_task, completed=event["batch"])
        elif kind == "epoch_end":
            self._epoch_end(event)
        elif kind == "trial_end":
            self._trial_end(event)
        elif kind == "budget_stop":  # --time-budget-hard
            self.say(f"time budget spent: this trial stops after epoch {event.get('epoch')} (--time-budget-hard)")
        elif kind == "final_begin":
            self.trial = None
            self.progress.reset(self.trial_task, total=event["epochs"], completed=0, visible=True, description="final")
            if event.get("member"):
                line = (
                    f"ensemble member {event['member']}/{event['members']}: trial "
                    f"{event['trial_id']}, seed {event['seed']}, {plural(event['epochs'], 'epoch')}"
                )
                self.status.plain = line
            else:
                recipe = event.get("recipe") or plural(event["epochs"], "epoch")
                line = (
                    f"final retrain: trial {event['trial_id']} on all {event['images']:,} training "
                    f"images (train + validation; --subset applies to the search only); recipe: "
                    f"{recipe}"
                )
                self.status.plain = f"final retrain: trial {event['trial_id']}"
            # printed as a line in both modes, before its result: the live status is redrawn below every
            # printed line (and the final display's last frame is cleared), so it cannot stand in for it
            self.say(line)
        elif kind == "model_end":
            which = f"member {event['member']}/{event['members']} " if event.get("member") else ""
            self.say(f"{which}held-out test accuracy: {event['test_accuracy']:.4f}{_tta_text(event.get('tta'))}")
        elif kind == "final_end" and event.get("ensemble_accuracy") is not None:
            self.say(
                f"ensemble of {event['ensemble_members']} (mean softmax): held-out test accuracy "
                f"{event['ensemble_accuracy']:.4f}{_tta_text(event.get('ensemble_tta'))}"
            )

    def _epoch_end(self, event: dict) -> None:
        self.trial_epochs_run += 1
        self.progress.advance(self.trial_task)
        if self.trial is not None:
            self.progress.advance(self.search_task)
        val = event.get("val_accuracy")
        if val is not None:
            self.current_val = val
        if self.trial is not None:
            self._status_line()
        if not self.live_mode:
            metrics = " ".join(f"{k} {event[k]:.4f}" for k in ("accuracy", "val_accuracy") if k in event)
            self.say(f"  epoch {event['epoch'] + 1}: {metrics}")

    def _trial_end(self, event: dict) -> None:
        planned = self.progress.tasks[self.trial_task].total or 0
        self.progress.advance(self.search_task, max(0, planned - self.trial_epochs_run))  # early-stopped
        self.done_trials += 1
        score = event.get("score")
        status = event.get("status", "").lower()
        if status == "completed" and score is not None and (self.best is None or score > self.best):
            self.best, self.best_trial = score, event["trial_id"]
        shown = f"val acc {score:.4f}" if score is not None else event.get("message", "")
        self.say(
            f"trial {event['trial_id']} {status}: {shown} "
            f"({event.get('seconds', 0):.0f} s, {plural(self.trial_epochs_run, 'epoch')})"
        )
        self._status_line(running=False)


class ChiefLog:
    """The chief's progress: one line per trial handed out or ended, and per worker given up on."""

    def __init__(self, console: Console, total: int, worker_timeout: float):
        self.console, self.total, self.worker_timeout = console, total, worker_timeout
        self.best: tuple[float, str] | None = None

    def handle(self, event: dict) -> None:
        kind = event.get("event")
        say = lambda text: self.console.print(text, highlight=False)  # noqa: E731
        if kind == "oracle_ready":
            guard = "token and TLS" if event.get("tls") and event.get("token") else "TLS" if event.get("tls") else ""
            guard = guard or ("token" if event.get("token") else "no authentication")
            say(
                f"oracle serving on {event['address']} ({guard}); waiting for workers (a worker silent for "
                f"{self.worker_timeout:g} s loses its trial to another)"
            )
        elif kind == "unauthenticated":
            say(f"[yellow]refused a call without the search's token from {event['peer']} (said once per peer)[/yellow]")
        elif kind == "trial_begin":
            again = " again (its worker was restarted)" if event.get("again") else ""
            say(
                f"trial {event['trial_id']} ({event['number']} of {self.total}) → {event['worker']}{again}: bracket "
                f"{event.get('bracket')} round {event.get('round')}, epochs {event.get('initial_epoch')}→"
                f"{event.get('epochs')}"
            )
        elif kind == "trial_end":
            score = event.get("score")
            if event["status"] == "COMPLETED" and score is not None and (self.best is None or score > self.best[0]):
                self.best = (score, event["trial_id"])
            shown = f"val acc {score:.4f}" if score is not None else event.get("message", "")
            best = f"; best {self.best[0]:.4f} (trial {self.best[1]})" if self.best else ""
            took = f" ({event['seconds']:.0f} s)" if event.get("seconds") is not None else ""
            say(
                f"trial {event['trial_id']} {event['status'].lower()} on {event['worker']}: {shown}{took}; "
                f"{event['done']} of {self.total} done{best}"
            )
        elif kind == "worker_lost":
            say(
                f"[yellow]{event['worker']} silent for {event['seconds']:g} s: trial {event['trial_id']} goes back "
                "to the oracle for another worker[/yellow]"
            )
        elif kind == "search_done":
            say("the oracle has no trial left and every worker has been told")


class WorkerLog:
    """A worker's progress: one line per trial and epoch."""

    def __init__(self, console: Console, worker_id: str):
        self.console, self.worker_id = console, worker_id
        self.finished = 0
        self.shown_devices = False

    def handle(self, event: dict) -> None:
        kind = event.get("event")
        say = lambda text: self.console.print(text, highlight=False)  # noqa: E731
        if kind == "devices" and not self.shown_devices:
            self.shown_devices = True
            say(f"devices: {event['description']}")
        elif kind == "trial_begin":
            say(
                f"trial {event['trial_id']}: bracket {event.get('bracket')} round {event.get('round')}, epochs "
                f"{event.get('initial_epoch')}→{event.get('epochs')}"
            )
        elif kind == "epoch_end":
            metrics = " ".join(f"{k} {event[k]:.4f}" for k in ("accuracy", "val_accuracy") if k in event)
            say(f"  epoch {event['epoch'] + 1}: {metrics}")
        elif kind == "trial_end":
            self.finished += 1
            score = event.get("score")
            shown = f"val acc {score:.4f}" if score is not None else event.get("message", "")
            say(f"trial {event['trial_id']} {event['status'].lower()}: {shown} ({event.get('seconds', 0):.0f} s)")


def schedule_table(config, rounds) -> Group:
    """The schedule Hyperband will run, round by round, with its totals."""
    from ..hyperband.schedule import docstring_estimate, total_epochs, total_trials

    table = Table(
        title=f"Hyperband schedule (max_epochs={config.max_epochs}, factor={config.factor}, "
        f"iterations={config.iterations})",
        title_justify="left",
    )
    for name in ("bracket", "round", "trials", "epochs each", "epochs"):
        table.add_column(name, justify="right")
    for r in rounds:
        prefix = f"{r.iteration}." if config.iterations > 1 else ""
        span = f"{r.epochs - r.new_epochs}→{r.epochs}" if r.round else str(r.epochs)
        table.add_row(f"{prefix}{r.bracket}", str(r.round), str(r.trials), span, str(r.trials * r.new_epochs))
    totals = (
        f"{plural(total_trials(rounds), 'trial')}, {plural(total_epochs(rounds), 'epoch')} in total (KerasTuner's "
        "docstring "
        f"estimate: {docstring_estimate(config.max_epochs, config.factor, config.iterations):.0f}); "
        "early stopping can end trials sooner"
    )
    return Group(table, Text(totals))


def _tta_text(tta: dict | None) -> str:
    if not tta:
        return ""
    if tta.get("skipped"):
        return f" (test-time augmentation skipped: {tta['skipped']})"
    return f" ({tta['test_accuracy']:.4f} with test-time augmentation, {plural(tta['copies'], 'copy', 'copies')})"


class ConsoleUI:
    """A search's displays on a rich console (a terminal: live bars; elsewhere: plain lines)."""

    def __init__(self, console: Console):
        self.console = console
        self.said: set[str] = set()

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def schedule(self, config, rounds) -> None:
        self.console.print(schedule_table(config, rounds))

    def progress(
        self,
        total_trials: int,
        total_epochs: int,
        done_trials: int = 0,
        done_epochs: int = 0,
        best: float | None = None,
        best_trial: str | None = None,
    ) -> SearchProgress:
        return SearchProgress(
            self.console, total_trials, total_epochs, done_trials, done_epochs, best, best_trial, said=self.said
        )

    def final_progress(self) -> SearchProgress:
        return SearchProgress(self.console, 1, 1, final=True, said=self.said)

    def chief_log(self, total: int, worker_timeout: float) -> ChiefLog:
        return ChiefLog(self.console, total, worker_timeout)

    def pool_progress(self, total: int, workers: int, worker_timeout: float = 120.0):
        """The display of `search --workers N` (``reports.pool_progress``)."""
        from .pool_progress import PoolProgress

        return PoolProgress(self.console, total, workers, worker_timeout, self.said)

    def worker_log(self, worker_id: str) -> WorkerLog:
        return WorkerLog(self.console, worker_id)
