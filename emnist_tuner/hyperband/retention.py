"""``--keep-checkpoints all|needed|best``: which trial checkpoints a search keeps, and their deletion.

KerasTuner's Hyperband writes each trial's best weights to ``tuner/trial_ID/checkpoint.weights.h5``
and needs one again only to *continue* that trial: when its bracket promotes it to the next round
(``populate_space``), the new trial carries ``tuner/trial_id`` = its parent and starts from the
parent's checkpoint. A checkpoint may still be needed while

- its trial can still be promoted: it sits in round r of a bracket still in the oracle's state
  (KerasTuner drops a bracket once its last round is full), was not promoted yet, and round r + 1
  is not full (the sizes are the schedule's, ``schedule.hyperband_schedule``); or
- a trial continued from it has not ended (a killed continuation is rerun from its parent's
  checkpoint; its ``trial.json`` names the parent even after its bracket left the state).

Everything else can never be read by the search again: the final training and the ensemble's
members train from scratch with the trials' hyperparameters, and ``leaderboard``, ``report``,
``plot``, ``export``, ``predict`` and ``best_model()`` read ``trial.json``, ``RUN/timings`` and the
final models. Still kept, besides what may be needed:

- ``needed`` (the default): the best completed trial (``KEEP_BEST``: K = 1; every trial tied with it)
  and the trial it was continued from: plain KerasTuner's ``get_best_models()`` on the reopened
  project works (it builds a continued trial's model from its parent's checkpoint, then loads the
  trial's own). K = 1 because nothing else reads a checkpoint once the search is over: the final
  training and every ensemble member (``--ensemble-of top`` included) train from scratch from the
  trials' hyperparameters; ``best_model()``, ``export``, ``predict`` and ``report`` read the final
  models. (Measured on the quick profile's MNIST run: the best 3 and their parents kept 46 % of the
  folder, the winner and its parent 23 %);
- ``best``: the best one only (during the search, the best so far; afterwards, the winner); its
  final model is ``RUN/best_model.keras``. Plain KerasTuner still reopens the project and lists its
  trials, and loads the winner when it was not continued from another trial (a continued winner's
  parent checkpoint is gone);
- ``all``: every checkpoint (nothing is deleted).

Only a trial that has ended is ever touched, and nothing is deleted without a readable oracle.json.
Deletion is monotonic (a trial that cannot be promoted now never can later), so a kill at any point
loses nothing needed; each deletion is recorded first (``runfolder.checkpoints``). Switching from
``needed`` to ``all`` on resume keeps what is left; deleted files cannot come back.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..io import read_json_object
from ..runfolder.checkpoints import record_deleted
from ..runfolder.layout import TRIAL, RunFolder
from ..runfolder.repair import ENDED

KEEP_BEST = {"needed": 1, "best": 1}  # the best K completed trials kept (ties included)


@functools.lru_cache
def round_sizes(max_epochs: int, factor: int) -> dict[tuple[int, int], int]:
    """(bracket, round) -> trials Hyperband creates in that round."""
    from .schedule import hyperband_schedule

    return {(r.bracket, r.round): r.trials for r in hyperband_schedule(max_epochs, factor, 1)}


def may_be_needed(oracle_state: dict, trials: dict[str, dict], sizes: dict[tuple[int, int], int]) -> set[str]:
    """Trial ids whose checkpoints Hyperband may still read (module docstring). ``trials``: trial id ->
    its trial.json state (or {} when unreadable)."""
    needed = set()
    for bracket in oracle_state.get("brackets") or []:
        number, rounds = bracket.get("bracket_num"), bracket.get("rounds") or []
        for r in range(len(rounds) - 1):
            promoted = {entry.get("past_id") for entry in rounds[r + 1]}
            if len(rounds[r + 1]) < sizes.get((number, r + 1), len(rounds[r + 1]) + 1):  # unknown size: not full
                needed |= {entry.get("id") for entry in rounds[r] if entry.get("id") not in promoted}
        for entries in rounds:  # an unfinished continuation is (re)run from its parent's checkpoint
            needed |= {e.get("past_id") for e in entries if _status(trials, e.get("id")) not in ENDED}
    needed |= {_parent(state) for state in trials.values() if state.get("status") not in ENDED}
    return {str(t) for t in needed if t}


def _parent(state: dict):
    """The trial a trial was continued from (its ``tuner/trial_id``), or None."""
    return ((state.get("hyperparameters") or {}).get("values") or {}).get("tuner/trial_id")


def _status(trials: dict[str, dict], trial_id) -> str | None:
    return (trials.get(str(trial_id)) or {}).get("status")


def best_kept(trials: dict[str, dict], keep: int) -> set[str]:
    """The ``keep`` best completed trials by score, with every trial tied with the last of them."""
    scored = sorted(
        ((s["score"], t) for t, s in trials.items() if s.get("status") == "COMPLETED" and s.get("score") is not None),
        reverse=True,
    )
    if not scored:
        return set()
    floor = scored[min(keep, len(scored)) - 1][0]
    return {t for score, t in scored if score >= floor}


def deletable(oracle_state: dict, trials: dict[str, dict], sizes: dict[tuple[int, int], int], mode: str) -> set[str]:
    """Ended trials whose checkpoints ``mode`` lets go (none for ``all``)."""
    if mode not in KEEP_BEST:
        return set()
    best = best_kept(trials, KEEP_BEST[mode])
    if mode == "needed":  # plain KerasTuner builds a continued trial's model from its parent's checkpoint
        best |= {str(_parent(trials[t])) for t in best if _parent(trials[t])}
    keep = may_be_needed(oracle_state, trials, sizes) | best
    return {t for t, s in trials.items() if s.get("status") in ENDED and t not in keep}


def prune(run: RunFolder, config) -> dict[str, dict]:
    """Deletes the checkpoints ``config.keep_checkpoints`` lets go in ``run``, recording each first;
    returns the new record entries (trial id -> {"bytes", "mode"})."""
    mode = getattr(config, "keep_checkpoints", "all")
    oracle_state = read_json_object(run.oracle_file)
    if mode not in KEEP_BEST or not oracle_state:
        return {}
    trials = {d.name[len("trial_") :]: read_json_object(d / TRIAL) or {} for d in run.trial_dirs()}
    sizes = round_sizes(config.max_epochs, config.factor)
    try:  # an OSError (a read-only or full disk, a file another pruner removed): the next pruning tries again
        files = {t: _checkpoints(run, t) for t in deletable(oracle_state, trials, sizes, mode)}
        entries = {t: {"bytes": sum(f.stat().st_size for f in fs), "mode": mode} for t, fs in files.items() if fs}
        if entries:
            record_deleted(run.path, entries)  # first: a kill before an unlink leaves a record, never a silent gap
        for trial_id in entries:
            for f in files[trial_id]:
                f.unlink(missing_ok=True)
    except OSError:
        return {}
    return entries


def _checkpoints(run: RunFolder, trial_id: str) -> list[Path]:
    return [f for f in (run.project / f"trial_{trial_id}").glob("checkpoint*") if f.is_file()]
