"""A search's time budget (``search --time-budget``): parsing a duration, and the search time already spent.

The spent time lives in ``RUN/search_time.json``, written atomically by the search's parent process at every
trial start, epoch end and trial end (so a kill -9 loses at most the time since the last of them) and when the
search stops: ``{"spent": seconds, "budget": seconds or null, "ended": "budget" | "done" | null,
"not_run": scheduled trials never started, "scheduled": trials the schedule planned}``. A resumed search
starts its clock at ``spent``. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import re
import time

from ..errors import ConfigError, plural
from ..io import read_json_object, write_json_atomic
from .layout import RunFolder

SEARCH_TIME = "search_time.json"
DEADLINE_ENV = "EMNIST_TUNER_DEADLINE"  # a search worker's (or chief's) deadline, in epoch seconds
_UNITS = {"h": 3600, "m": 60, "s": 1}
_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?")
clock = time.time  # the search's clock (tests replace it)


def parse_duration(text: str, option: str = "--time-budget") -> float:
    """Seconds in ``text``: ``45s``, ``90m``, ``2h``, ``1h30m`` or plain seconds; ConfigError (exit 2) otherwise."""
    value = str(text).strip().lower()
    seconds: float | None = None
    try:
        seconds = float(value)
    except ValueError:
        match = _DURATION.fullmatch(value)
        if match and any(match.groups()):
            seconds = sum(float(n) * unit for n, unit in zip(match.groups(), _UNITS.values(), strict=True) if n)
    if seconds is None or not 0 < seconds < float("inf"):
        raise ConfigError(
            f"{option}: {text!r} is not a duration; give a positive one such as 45s, 90m, 2h, 1h30m or seconds"
        )
    return seconds


def format_duration(seconds: float) -> str:
    """``seconds`` as a user types a duration: 45s, 1m30s, 2h, 1h05m."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def read_search_time(run: RunFolder) -> dict:
    """``RUN/search_time.json`` ({} if missing or unreadable: a search not started under this version)."""
    return read_json_object(run.path / SEARCH_TIME) or {}


def ended_on_budget(run: RunFolder) -> bool:
    """Whether the run's search stopped starting trials because its time budget was spent."""
    return read_search_time(run).get("ended") == "budget"


class SearchClock:
    """The search time of a run, counted across sessions: ``spent`` continues from ``RUN/search_time.json``."""

    def __init__(self, run: RunFolder, budget: float | None, scheduled: int | None = None):
        self.run, self.budget, self.scheduled = run, budget, scheduled
        saved = read_search_time(run)
        self.before = float(saved.get("spent") or 0.0)
        self.started = clock()
        self.ended: str | None = None
        self.not_run: int | None = None

    def spent(self) -> float:
        """Search time spent so far, earlier sessions included."""
        return self.before + clock() - self.started

    def out_of_time(self) -> bool:
        """Whether the budget (if any) is spent: no new trial may start."""
        return self.budget is not None and self.spent() >= self.budget

    def worker_env(self) -> dict:
        """The environment that tells a search worker (or chief) when to stop starting trials."""
        if self.budget is None:
            return {DEADLINE_ENV: None}
        return {DEADLINE_ENV: repr(time.time() + max(0.0, self.budget - self.spent()))}

    def save(self) -> None:
        """Writes ``RUN/search_time.json`` atomically."""
        state = {"spent": round(self.spent(), 3), "budget": self.budget, "ended": self.ended}
        state.update(not_run=self.not_run, scheduled=self.scheduled)
        write_json_atomic(self.run.path / SEARCH_TIME, state)

    def watching(self, display):
        """``display`` (a search display with ``handle(event)``), saving the spent time at each trial start,
        epoch end and trial end before handing the event on."""
        clock_ = self

        class Watched:
            def __getattr__(self, name):
                return getattr(display, name)

            def handle(self, event: dict) -> None:
                if event.get("event") in ("trial_begin", "epoch_end", "trial_end"):
                    clock_.save()
                display.handle(event)

        return Watched()


def deadline_from_env(environ) -> float | None:
    """The deadline a search worker was given (None: no budget)."""
    value = environ.get(DEADLINE_ENV)
    try:
        return float(value) if value else None
    except ValueError:
        return None


def budget_text(run: RunFolder, config: dict) -> str:
    """The time budget of a run as ``report`` shows it: "10m (hard), 10m12s spent; ended on it: 4 scheduled
    trials not run"."""
    timed = read_search_time(run)
    text = format_duration(float(config["time_budget"])) + (" (hard)" if config.get("time_budget_hard") else "")
    if timed.get("spent") is not None:
        text += f", {format_duration(float(timed['spent']))} spent"
    if timed.get("ended") == "budget":
        text += f"; ended on it: {plural(int(timed.get('not_run') or 0), 'scheduled trial')} not run"
    return text
