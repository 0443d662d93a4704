"""What `search --workers N` shows: the chief's lines (each trial handed to a worker, each result, the
best so far) and, on a terminal, one live line per worker with its trial and epoch.

Events come from several threads (one per process), so every method holds one lock.
"""

from __future__ import annotations

import threading

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from ..errors import plural
from .progress import ChiefLog


class _Handler:
    """The ``display`` of one process (``run_worker_process`` calls ``handle``)."""

    def __init__(self, pool: PoolProgress, name: str | None):
        self.pool, self.name = pool, name

    def handle(self, event: dict) -> None:
        self.pool.handle(self.name, event)


class PoolProgress:
    """The displays of a local chief and its workers, drawn together."""

    def __init__(self, console: Console, total: int, workers: int, worker_timeout: float, said: set):
        self.console = console
        self.lock = threading.RLock()
        self.said = said
        self.chief_log = ChiefLog(console, total, worker_timeout)
        self.names = [f"local{i}" for i in range(workers)]
        self.lines = {name: Text(f"{name}: starting") for name in self.names}
        self.trials: dict[str, dict] = {}
        self.ended = dict.fromkeys(self.names, 0)
        self.live = (
            Live(Group(*self.lines.values()), console=console, refresh_per_second=4) if console.is_terminal else None
        )
        self.chief = _Handler(self, None)

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)

    def worker(self, name: str) -> _Handler:
        """The display of worker ``name``'s processes."""
        return _Handler(self, name)

    def finished(self, name: str) -> int:
        """Trials worker ``name`` has finished so far."""
        with self.lock:
            return self.ended.get(name, 0)

    def say(self, text: str) -> None:
        with self.lock:
            self.console.print(text, highlight=False)

    def handle(self, name: str | None, event: dict) -> None:
        """An event of the chief (``name`` None) or of worker ``name``."""
        with self.lock:
            if name is None:
                self.chief_log.handle(event)
                return
            kind = event.get("event")
            if kind in ("devices", "data") and kind not in self.said:
                self.said.add(kind)
                if kind == "devices":
                    self.say(f"devices of {name}: {event['description']}")
                else:
                    self.say(f"data: {event['dataset']}: {event['train']:,} train / {event['val']:,} validation images")
            elif kind == "trial_begin":
                self.trials[name] = event
                self._line(name, "")
            elif kind == "epoch_end":
                val = event.get("val_accuracy")
                self._line(
                    name, f" · epoch {event['epoch'] + 1}" + (f" · val acc {val:.4f}" if val is not None else "")
                )
            elif kind == "trial_end":
                self.ended[name] = self.ended.get(name, 0) + 1
                self.trials.pop(name, None)
                self.lines[name].plain = f"{name}: waiting for a trial (finished here: {self.ended[name]})"
            elif kind == "search_done":
                self.lines[name].plain = f"{name}: done ({plural(self.ended[name], 'trial')} here)"

    def _line(self, name: str, extra: str) -> None:
        trial = self.trials.get(name)
        if trial is None:
            return
        self.lines[name].plain = (
            f"{name}: trial {trial['trial_id']} · bracket {trial.get('bracket')} round {trial.get('round')} · epochs "
            f"{trial.get('initial_epoch')}→{trial.get('epochs')}{extra}"
        )
