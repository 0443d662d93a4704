"""Live progress of a search, drawn from the workers' events.

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
from rich.text import Text


class SearchProgress:
    def __init__(self, console: Console, total_trials: int, total_epochs: int, done_trials: int = 0,
                 done_epochs: int = 0, best: float | None = None, best_trial: str | None = None,
                 live: bool | None = None):
        self.console = console
        self.live_mode = console.is_terminal if live is None else live
        self.total_trials = total_trials
        self.done_trials = done_trials
        self.best, self.best_trial = best, best_trial
        self.trial = None
        self.trial_epochs_run = 0
        self.current_val = None
        self.data_shown = False
        self.started = time.time()
        self.progress = Progress(
            TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), console=console,
        )
        self.search_task = self.progress.add_task("search", total=max(total_epochs, 1), completed=done_epochs)
        self.trial_task = self.progress.add_task("trial", total=1, visible=False)
        self.epoch_task = self.progress.add_task("epoch", total=1, visible=False)
        self.status = Text("starting a worker…")
        self.live = Live(Group(self.status, self.progress), console=console, refresh_per_second=4,
                         transient=False) if self.live_mode else None

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)

    def say(self, message: str) -> None:
        self.console.print(message, highlight=False)

    def _status_line(self) -> None:
        t = self.trial or {}
        where = f"bracket {t.get('bracket')} round {t.get('round')}" if t.get("bracket") is not None else ""
        cur = f"val acc {self.current_val:.4f}" if self.current_val is not None else "val acc -"
        best = f"best {self.best:.4f} (trial {self.best_trial})" if self.best is not None else "best -"
        self.status.plain = (f"trial {t.get('trial_id', '-')} ({self.done_trials + 1} of {self.total_trials}) "
                             f"· {where} · {cur} · {best}")

    def handle(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "devices":
            self.say(f"devices: {event['description']}")
        elif kind == "data" and not self.data_shown:
            self.data_shown = True
            self.say(f"data: {event['dataset']}: {event['train']:,} train / {event['val']:,} validation images "
                     f"(search); {event['test']:,} test images (held out)")
        elif kind == "trial_begin":
            self.trial = event
            self.trial_epochs_run = 0
            self.current_val = None
            planned = (event.get("epochs") or 1) - (event.get("initial_epoch") or 0)
            self.progress.reset(self.trial_task, total=planned, completed=0, visible=True)
            self._status_line()
            if not self.live_mode:
                self.say(f"trial {event['trial_id']} ({self.done_trials + 1} of {self.total_trials}): "
                         f"bracket {event.get('bracket')} round {event.get('round')}, "
                         f"epochs {event.get('initial_epoch')}→{event.get('epochs')}")
        elif kind == "epoch_begin":
            self.progress.reset(self.epoch_task, total=event.get("steps") or 1, completed=0, visible=True)
        elif kind == "batch":
            self.progress.update(self.epoch_task, completed=event["batch"])
        elif kind == "epoch_end":
            self._epoch_end(event)
        elif kind == "trial_end":
            self._trial_end(event)
        elif kind == "final_begin":
            self.trial = None
            self.progress.reset(self.trial_task, total=event["epochs"], completed=0, visible=True,
                                description="final")
            self.status.plain = (f"retraining trial {event['trial_id']} on {event['images']:,} images "
                                 f"(train + validation) for {event['epochs']} epochs")
            if not self.live_mode:
                self.say(self.status.plain)
        elif kind == "final_end":
            self.say(f"held-out test accuracy: {event['test_accuracy']:.4f}")

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
        if event.get("status") == "COMPLETED" and score is not None and (self.best is None or score > self.best):
            self.best, self.best_trial = score, event["trial_id"]
        shown = f"val acc {score:.4f}" if score is not None else event.get("message", "")
        self.say(f"trial {event['trial_id']} {event['status'].lower()}: {shown} "
                 f"({event.get('seconds', 0):.0f} s, {self.trial_epochs_run} epochs)")
        self._status_line()
