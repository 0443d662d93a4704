"""Read a run folder's trials from disk, without writing anything and without importing TensorFlow.

Works on a run in any state: running, interrupted, failed or done. A trial file that cannot be
read (e.g. being replaced at this instant) is reported as "unreadable" rather than failing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from .layout import TRIAL, RunFolder

TUNER_KEYS = ("tuner/epochs", "tuner/initial_epoch", "tuner/bracket", "tuner/round", "tuner/trial_id")
STATUS_ORDER = {"COMPLETED": 0, "RUNNING": 1, "INVALID": 2, "FAILED": 3, "UNREADABLE": 4}


@dataclass
class TrialRecord:
    trial_id: str
    status: str
    score: float | None = None
    hyperparameters: dict = field(default_factory=dict)
    epochs: int | None = None  # total epochs this trial reached (Hyperband's tuner/epochs)
    initial_epoch: int = 0
    bracket: int | None = None
    round: int | None = None
    continued_from: str | None = None
    best_step: int | None = None
    seconds: float | None = None
    message: str = ""

    @property
    def new_epochs(self) -> int | None:
        return None if self.epochs is None else self.epochs - self.initial_epoch


def _read(path: Path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_trials(run_path: Path | str) -> list[TrialRecord]:
    run = RunFolder(run_path)
    records = []
    for trial_dir in run.trial_dirs():
        trial_id = trial_dir.name[len("trial_"):]
        state = _read(trial_dir / TRIAL)
        if not isinstance(state, dict):
            records.append(TrialRecord(trial_id, "UNREADABLE", message="trial.json could not be read"))
            continue
        values = dict((state.get("hyperparameters") or {}).get("values") or {})
        message = (state.get("message") or "").strip().splitlines()
        record = TrialRecord(
            trial_id=state.get("trial_id", trial_id),
            status=state.get("status", "UNKNOWN"),
            score=state.get("score"),
            hyperparameters={k: v for k, v in values.items() if k not in TUNER_KEYS},
            epochs=values.get("tuner/epochs"),
            initial_epoch=int(values.get("tuner/initial_epoch") or 0),
            bracket=values.get("tuner/bracket"),
            round=values.get("tuner/round"),
            continued_from=values.get("tuner/trial_id"),
            best_step=state.get("best_step"),
            message=message[-1] if message else "",
        )
        timing = _read(run.timing_file(record.trial_id))
        if isinstance(timing, dict) and timing.get("ended") and timing.get("started"):
            record.seconds = float(timing["ended"]) - float(timing["started"])
        records.append(record)
    return records


def ranked(records: list[TrialRecord]) -> list[TrialRecord]:
    """Completed trials first, best score first; then running, failed and unreadable ones."""
    return sorted(records, key=lambda r: (STATUS_ORDER.get(r.status, 5), -(r.score or 0.0), r.trial_id))


SORT_ALIASES = {"score": "score", "val_acc": "score", "trial": "trial_id", "trial_id": "trial_id",
                "time": "seconds", "seconds": "seconds", "duration": "seconds", "epochs": "epochs"}


def sort_records(records: list[TrialRecord], column: str | None = None) -> list[TrialRecord]:
    """``ranked`` order, or ordered by ``column`` (score, trial, time, epochs or a hyperparameter's
    name; unknown values last). Raises ConfigError for an unknown column."""
    base = ranked(records)
    if column is None or SORT_ALIASES.get(column) == "score":
        return base
    hp_names = {k for r in records for k in r.hyperparameters}
    if column not in SORT_ALIASES and column not in hp_names:
        known = ", ".join(sorted(set(SORT_ALIASES) | hp_names))
        raise ConfigError(f"--sort: unknown column '{column}'; known: {known}")

    def key(r: TrialRecord):
        value = getattr(r, SORT_ALIASES[column]) if column in SORT_ALIASES else r.hyperparameters.get(column)
        return (value is None, value if value is not None else 0)

    return sorted(base, key=key)


def score_ranks(records: list[TrialRecord]) -> dict[str, int]:
    """Rank by validation score of each completed trial (1 = best)."""
    done = [r for r in ranked(records) if r.status == "COMPLETED"]
    return {r.trial_id: i for i, r in enumerate(done, 1)}


def leaderboard_rows(records: list[TrialRecord], sort: str | None = None) -> list[dict]:
    """One dict per trial (rank, id, status, score, epochs, time, hyperparameters), best first or by ``sort``."""
    ranks = score_ranks(records)
    return [
        {"rank": ranks.get(r.trial_id), "trial_id": r.trial_id, "status": r.status,
         "score": r.score, "epochs": r.epochs, "initial_epoch": r.initial_epoch, "bracket": r.bracket,
         "round": r.round, "seconds": r.seconds, "hyperparameters": r.hyperparameters, "message": r.message}
        for r in sort_records(records, sort)
    ]


def read_json_file(path: Path):
    data = _read(path)
    return data if isinstance(data, dict) else None
