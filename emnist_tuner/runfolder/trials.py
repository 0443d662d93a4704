"""Read a run folder's trials from disk, without writing anything and without importing TensorFlow.

Works on a run in any state: running, interrupted, failed or done. A trial file that cannot be
read (e.g. being replaced at this instant) is reported as "unreadable" rather than failing; a trial
that KerasTuner left "running" while no process holds the run is "interrupted" (it is rerun on resume).
Statuses are lower case here and in every table and export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError, plural
from ..io import read_json_object
from .layout import TRIAL, RunFolder

TUNER_KEYS = ("tuner/epochs", "tuner/initial_epoch", "tuner/bracket", "tuner/round", "tuner/trial_id")
STATUS_ORDER = {"completed": 0, "running": 1, "interrupted": 2, "invalid": 3, "failed": 4, "unreadable": 5}
ENDED = ("completed", "failed", "invalid")
OVERSIZED = re.compile(r"Oversized model: (\d+) parameters")


@dataclass
class TrialRecord:
    """One trial as read from disk (``read_trials``): status (lower case), score, hyperparameters,
    schedule and timings."""

    trial_id: str
    status: str
    score: float | None = None
    hyperparameters: dict = field(default_factory=dict)
    epochs: int | None = None  # total epochs Hyperband scheduled this trial to reach (tuner/epochs)
    initial_epoch: int = 0
    trained: int | None = None  # epochs it really trained (early stopping trains fewer; None: not recorded)
    bracket: int | None = None
    round: int | None = None
    continued_from: str | None = None
    best_step: int | None = None
    seconds: float | None = None
    message: str = ""
    started: float | None = None  # wall-clock time (epoch seconds) the trial started, from RUN/timings
    parameters: int | None = None  # the model's parameter count (older runs did not record it)
    epoch_log: list = field(default_factory=list)  # per epoch: epoch (absolute), seconds and the metrics
    preset: str | None = None  # the study's preset this trial is, if any
    preset_recorded: bool = False  # whether RUN/timings says (older searches did not record it)

    @property
    def new_epochs(self) -> int | None:
        """Epochs this trial trains itself (a continued trial starts at ``initial_epoch``); None: unknown."""
        return None if self.epochs is None else self.epochs - self.initial_epoch

    @property
    def reached(self) -> int | None:
        """The epoch count this trial's model reached (a continued trial starts at ``initial_epoch``);
        for runs of version 0.1, which did not record trained epochs, the scheduled count."""
        if self.status != "completed":
            return self.initial_epoch if self.status in ENDED else None
        return self.epochs if self.trained is None else self.initial_epoch + self.trained


def failure_reason(message: str, status: str) -> str:
    """Why a trial failed, in our words (KerasTuner keeps a traceback's last line)."""
    oversized = OVERSIZED.search(message or "")
    if oversized:
        return f"model too large: {plural(int(oversized.group(1)), 'parameter')} (over --max-params)"
    last = (message or "").strip().splitlines()[-1:] or [""]
    text = re.sub(r"^[\w.]+(Error|Exception): ", "", last[0]).strip()
    return text or ("could not be built or trained" if status in ("failed", "invalid") else "")


def read_trials(run_path: Path | str) -> list[TrialRecord]:
    """Every trial of the run in ``run_path`` (sorted by folder name), read without writing; a trial file that
    cannot be read gives an "unreadable" record, a trial left running with no process holding the run an
    "interrupted" one."""
    run = RunFolder(run_path)
    held = run.lock_is_held()
    records = []
    for trial_dir in run.trial_dirs():
        trial_id = trial_dir.name[len("trial_") :]
        state = read_json_object(trial_dir / TRIAL)
        if state is None:
            records.append(TrialRecord(trial_id, "unreadable", message=f"{TRIAL} could not be read"))
            continue
        values = dict((state.get("hyperparameters") or {}).get("values") or {})
        status = str(state.get("status", "unknown")).lower()
        if status == "running" and not held:
            status = "interrupted"
        record = TrialRecord(
            trial_id=state.get("trial_id", trial_id),
            status=status,
            score=state.get("score"),
            hyperparameters={k: v for k, v in values.items() if k not in TUNER_KEYS},
            epochs=values.get("tuner/epochs"),
            initial_epoch=int(values.get("tuner/initial_epoch") or 0),
            bracket=values.get("tuner/bracket"),
            round=values.get("tuner/round"),
            continued_from=values.get("tuner/trial_id"),
            best_step=state.get("best_step"),
            message=failure_reason(state.get("message") or "", status) if status in ("failed", "invalid") else "",
        )
        timing = read_json_object(run.timing_file(record.trial_id))
        if timing and timing.get("ended") and timing.get("started"):
            record.seconds = float(timing["ended"]) - float(timing["started"])
        if timing:
            record.started = timing.get("started")
            record.parameters = timing.get("parameters")
            record.preset, record.preset_recorded = timing.get("preset"), "preset" in timing
            record.epoch_log = [e for e in timing.get("epoch_log") or [] if isinstance(e, dict) and "epoch" in e]
        if timing and status != "running":
            record.trained = 0 if status in ("failed", "invalid") else timing.get("epochs_trained")
        records.append(record)
    return records


def ranked(records: list[TrialRecord]) -> list[TrialRecord]:
    """Completed trials first, best score first; then running, failed and unreadable ones."""
    return sorted(records, key=lambda r: (STATUS_ORDER.get(r.status, 5), -(r.score or 0.0), r.trial_id))


# Every name a leaderboard shows for a column (table header, export key) sorts by that column: the
# table's headers (#, trial, val acc, epochs, time) and the exports' keys (rank, trial_id, score, ...).
SORT_ALIASES = {
    "#": "rank",
    "rank": "rank",
    "score": "score",
    "val_acc": "score",
    "val acc": "score",
    "val_accuracy": "score",
    "trial": "trial_id",
    "trial_id": "trial_id",
    "status": "status",
    "time": "seconds",
    "seconds": "seconds",
    "duration": "seconds",
    "epochs": "reached",
    "initial_epoch": "initial_epoch",
    "epochs_trained": "trained",
    "epochs_scheduled": "epochs",
    "bracket": "bracket",
    "round": "round",
    "message": "message",
}
DESCENDING_FIRST = ("score",)  # best first; every other column smallest (or first in its order) first


def sort_records(
    records: list[TrialRecord], column: str | None = None, descending: bool | None = None
) -> list[TrialRecord]:
    """``ranked`` order, or ordered by ``column`` (any name a leaderboard shows: score, rank, trial, time,
    epochs, epochs_scheduled, ... or a hyperparameter's name). ``descending``: largest first (None: the
    column's own order: the score largest first, every other column smallest first); unknown values last,
    equal ones in ``ranked`` order. Raises ConfigError for an unknown column."""
    base = ranked(records)
    field_name = "score" if column is None else SORT_ALIASES.get(column)
    hp_names = {k for r in records for k in r.hyperparameters}
    if field_name is None and column not in hp_names:
        known = ", ".join(sorted(set(SORT_ALIASES) | hp_names))
        raise ConfigError(f"--sort: unknown column '{column}'; known: {known}")
    if descending is None:
        descending = field_name in DESCENDING_FIRST
    if field_name == "score" and descending:
        return base
    ranks = score_ranks(records)

    def value(r: TrialRecord):
        if field_name is None:
            return r.hyperparameters.get(column)
        if field_name == "status":
            return STATUS_ORDER.get(r.status, len(STATUS_ORDER))
        if field_name == "rank":
            return ranks.get(r.trial_id)
        if field_name == "score":
            return r.score if r.status == "completed" else None
        if field_name == "message":
            return r.message or None
        return getattr(r, field_name)

    known_values = [r for r in base if value(r) is not None]
    unknown = [r for r in base if value(r) is None]
    try:
        ordered = sorted(known_values, key=value, reverse=descending)
    except TypeError:  # values of several types (e.g. a hyperparameter saved as 2 and as "2"): as text
        ordered = sorted(known_values, key=lambda r: str(value(r)), reverse=descending)
    return ordered + unknown


def score_ranks(records: list[TrialRecord]) -> dict[str, int]:
    """Rank by validation score of each completed trial (1 = best)."""
    done = [r for r in ranked(records) if r.status == "completed"]
    return {r.trial_id: i for i, r in enumerate(done, 1)}


def leaderboard_rows(records: list[TrialRecord], sort: str | None = None, descending: bool | None = None) -> list[dict]:
    """One dict per trial (rank, id, status, score, epochs, time, hyperparameters), best first or by ``sort``
    (``descending``: see ``sort_records``)."""
    ranks = score_ranks(records)
    return [
        {
            "rank": ranks.get(r.trial_id),
            "trial_id": r.trial_id,
            "status": r.status,
            "score": r.score,
            "epochs": r.reached,
            "initial_epoch": r.initial_epoch,
            "epochs_trained": r.trained,
            "epochs_scheduled": r.epochs,
            "bracket": r.bracket,
            "round": r.round,
            "seconds": r.seconds,
            "hyperparameters": r.hyperparameters,
            "message": r.message,
        }
        for r in sort_records(records, sort, descending)
    ]


@dataclass(frozen=True)
class TrialCounts:
    """One definition of a search's progress, for every command that shows it."""

    completed: int
    failed: int  # failed or invalid: ended without a score
    recorded: int  # trials KerasTuner has created so far
    scheduled: int | None  # trials the Hyperband schedule plans (None: unknown)
    finished: bool  # the search is over (its oracle stopped; the final retrain may follow)
    not_run: int = 0  # scheduled trials never started: the search ended on its time budget (runfolder.budget)

    @property
    def done(self) -> int:
        """Trials ended: completed or failed."""
        return self.completed + self.failed

    @property
    def total(self) -> int | None:
        """Trials the search has in all: what it ran once it is over (failed trials are not promoted, so
        fewer than scheduled may run), else what the schedule plans."""
        if self.finished:
            return self.recorded
        return max(self.scheduled, self.recorded) if self.scheduled is not None else None

    def text(self) -> str:
        """``12/23`` (running or interrupted), ``5/5`` when over; ``, 3 failed`` when some failed."""
        total = "?" if self.total is None else str(self.total)
        return (
            f"{self.done}/{total}"
            + (f", {self.failed} failed" if self.failed else "")
            + (f"; ended on its time budget, {self.not_run} scheduled not run" if self.not_run else "")
        )


def trial_counts(records: list[TrialRecord], scheduled: int | None, finished: bool) -> TrialCounts:
    """The ``TrialCounts`` of ``records``; ``scheduled``: trials the schedule plans (None: unknown),
    ``finished``: whether the search is over."""
    return TrialCounts(
        completed=sum(r.status == "completed" for r in records),
        failed=sum(r.status in ("failed", "invalid") for r in records),
        recorded=len(records),
        scheduled=scheduled,
        finished=finished,
    )
