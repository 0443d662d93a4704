"""``RunOracle``: KerasTuner's Hyperband oracle with durable state, the study's presets as its first
points, a repair after a kill, and the trial bookkeeping a distributed chief needs.

Each addition overrides or adds an oracle method (KerasTuner's extension point: a subclass handed
to the tuner); the methods that change shared state are ``keras_tuner.synchronized``, like
KerasTuner's own, so the chief's gRPC threads never see half an update.

- ``save`` and ``_save_trial`` write atomically (temporary file, fsync, rename), keeping a
  ``.last-good`` copy of oracle.json and a mirror of each trial.json (see ``runfolder.repair``);
- seed 0 is a seed (``SEED_ZERO``), not KerasTuner's "pick one at random" (a chief picked another one);
- ``_random_values`` returns each of ``starting_points`` first, once each (a point counts as used
  once KerasTuner recorded its values in ``_tried_so_far``, part of oracle.json, so a resumed
  search never repeats one), then KerasTuner's random sampling;
- ``create_trial`` hands out no trial once the search's deadline (``--time-budget``, see ``growth``) is past;
- ``populate_space`` hands out trials in the order one worker would get them: KerasTuner's Hyperband promotes
  from a round as soon as more of its trials have ended than it will throw away, and starts the next bracket
  when it cannot promote yet, so with several workers the trials (ids, hence seeds; promotions) depended on
  which trial ended first. Here a step that needs the results of a round still running answers IDLE (the
  worker asks again) until every trial of that round has ended; one worker never sees a running trial there,
  so a one-process search is unchanged;
- ``reload`` raises the saved ``hyperband_iterations`` to a larger one asked for (a grown search continues
  KerasTuner's schedule: its next bracket is the next iteration's first), and repairs the trace of a kill
  between KerasTuner's two writes: a trial whose trial.json
  says COMPLETED while oracle.json still lists it as running is not retrained, a running trial
  forgets the metrics its killed run reported, and a trial created on disk but never recorded by
  the oracle is forgotten (its id is reused).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import keras_tuner as kt

from ..io import write_text_atomic
from ..runfolder.budget import deadline_from_env
from ..runfolder.layout import TRIAL, last_good
from ..runfolder.lifecycle import write_error
from . import kt_ext

ENDED = ("COMPLETED", "FAILED")
# KerasTuner takes a false seed for none (``seed or random.randint(1, 10000)``). For --seed 0 a one-process
# search drew that number right after ``keras.utils.set_random_seed(0)`` (``worker``): 6312; a distributed
# chief, which seeds nothing, drew another one at every start, hence other trials. Seed 0 is that 6312 now,
# in every process (the one-process search's draws are unchanged).
SEED_ZERO = random.Random(0).randint(1, 10000)


def _write_state(path: str | Path, state: dict, keep: str | None = None) -> None:
    """``state`` as JSON at ``path``, atomically; ``keep``: "previous" (copy the old file to .last-good
    first) or "mirror" (write the new content to .last-good too)."""
    path = Path(path)
    text = json.dumps(state)
    try:
        if keep == "previous" and path.exists() and path.stat().st_size > 0:
            shutil.copy2(path, last_good(path))
        write_text_atomic(path, text)
        if keep == "mirror":
            write_text_atomic(last_good(path), text)
    except OSError as exc:
        raise write_error(path, exc) from None


def trial_number(oracle, trial_id: str) -> int | None:
    """A trial's number in the search: its place in KerasTuner's start order, so a trial rerun from the
    retry queue keeps its number; None for an oracle without one (a distributed worker's client)."""
    order = getattr(oracle, "start_order", None) or []
    return order.index(trial_id) + 1 if trial_id in order else None


def _forget_metrics(trial) -> None:
    """A trial to be rerun from scratch: drop what an earlier (killed or lost) run reported."""
    trial.metrics = type(trial.metrics)()
    trial.best_step = 0


class RunOracle(kt.oracles.HyperbandOracle):
    """KerasTuner's ``HyperbandOracle`` with the additions listed in the module docstring;
    ``starting_points``: hyperparameter values sampled first, once each."""

    def __init__(self, *args, starting_points: Sequence[dict] = (), **kwargs):
        kt_ext.check_version()  # the overrides below rely on KerasTuner 1.4.8's private names
        self.starting_points = [dict(p) for p in starting_points]
        self._issued: set[str] = set()
        if kwargs.get("seed") == 0:
            kwargs["seed"] = SEED_ZERO
        super().__init__(*args, **kwargs)
        self.asked_iterations: float = kwargs.get("hyperband_iterations") or float("inf")
        self.deadline = deadline_from_env(os.environ)  # --time-budget: no trial starts after it

    @kt.synchronized
    def create_trial(self, tuner_id):
        """KerasTuner's, or a STOPPED trial (no new trial) for a tuner holding none once the deadline is past."""
        if self.deadline is not None and time.time() >= self.deadline and tuner_id not in self.ongoing_trials:
            self.tuner_ids.discard(tuner_id)
            return kt.engine.trial.Trial(self.hyperparameters.copy(), status=kt.engine.trial.TrialStatus.STOPPED)
        return super().create_trial(tuner_id)

    # trials in the one-worker order
    def populate_space(self, trial_id):
        """KerasTuner's next Hyperband step, or IDLE while that step depends on a trial still running."""
        if self._needs_running_results():
            return {"status": kt.engine.trial.TrialStatus.IDLE}
        return super().populate_space(trial_id)

    def _needs_running_results(self) -> bool:
        """Whether KerasTuner's ``populate_space`` would now look at the results of a round that has a
        trial not yet ended (it walks the brackets, then their rounds, the same way: a round 0 not yet
        full gets a new random trial; round r promotes the best of round r - 1 once enough have ended)."""
        self._remove_completed_brackets()  # KerasTuner's first step too (it depends on trials created only)
        for bracket in self._brackets:
            number, rounds = bracket["bracket_num"], bracket["rounds"]
            if len(rounds[0]) < self._get_size(number, 0):
                return False  # a random trial: no result needed
            for r in range(1, len(rounds)):
                earlier = [self.trials.get(info["id"]) for info in rounds[r - 1]]
                if any(trial is not None and trial.status not in ENDED for trial in earlier):
                    return True
                chosen = {info["past_id"] for info in rounds[r]}
                completed = [
                    info
                    for info, trial in zip(rounds[r - 1], earlier, strict=True)
                    if info["id"] not in chosen and trial is not None and trial.status == "COMPLETED"
                ]
                if len(completed) > self._get_size(number, r - 1) - self._get_size(number, r):
                    return False  # KerasTuner promotes from a round whose trials have all ended
        return False  # a new bracket (or the end): no result needed

    # durable state
    def save(self):
        """Writes oracle.json atomically, the previous one kept as ``oracle.json.last-good``."""
        _write_state(self._get_oracle_fname(), self.get_state(), keep="previous")

    def _save_trial(self, trial):
        _write_state(str(Path(self._get_trial_dir(trial.trial_id)) / TRIAL), trial.get_state(), keep="mirror")

    # the study's presets first
    def _random_values(self):
        for values in self.starting_points:
            key = self._compute_values_hash(values)
            if key not in self._issued and not self._duplicate(values):
                self._issued.add(key)
                return dict(values)
        return super()._random_values()

    # after a kill
    def reload(self):
        """KerasTuner's reload, then the repairs after a kill (module docstring); saves the state again
        if a trial's end had not been recorded."""
        super().reload()
        changed = False
        ran: float = getattr(self, "hyperband_iterations", 0)
        if self.asked_iterations > ran:  # a grown search
            self.hyperband_iterations = self.asked_iterations
            changed = True
        for trial_id in list(self._retry_queue):
            trial = self.trials.get(trial_id)
            if trial is None:
                continue
            if trial.status in ENDED:  # ended on disk; the kill came before oracle.json was written
                self._retry_queue.remove(trial_id)
                if trial_id not in self.end_order:
                    self.end_order.append(trial_id)
                changed = True
            else:
                _forget_metrics(trial)
        known = set(self.start_order)
        for trial_id in [t for t, trial in self.trials.items() if t not in known and trial.status == "RUNNING"]:
            del self.trials[trial_id]
        if changed:
            self.save()

    # the chief's bookkeeping (see hyperband.distributed.chief)
    @kt.synchronized
    def restart_trial_of(self, tuner_id: str):
        """A worker asks for a trial while holding one (it was restarted): rerun it from scratch.
        Returns the trial, or None when ``tuner_id`` holds none."""
        trial = self.ongoing_trials.get(tuner_id)
        if trial is not None:
            _forget_metrics(trial)
        return trial

    @kt.synchronized
    def requeue(self, tuner_id: str):
        """``tuner_id`` was given up on: its trial goes back to the retry queue for the next worker."""
        trial = self.ongoing_trials.pop(tuner_id, None)
        self.tuner_ids.discard(tuner_id)
        if trial is not None:
            _forget_metrics(trial)
            self._retry_queue.append(trial.trial_id)
            self.save()
        return trial

    @kt.synchronized
    def claim(self, tuner_id: str, trial_id: str) -> str | None:
        """A result for ``trial_id`` from ``tuner_id``: if the trial waits in the retry queue (its worker
        was given up on, nobody took it yet), it goes back to ``tuner_id``. Returns the tuner id now
        holding the trial (None if nobody does)."""
        owner = next((t for t, trial in self.ongoing_trials.items() if trial.trial_id == trial_id), None)
        if owner is None and trial_id in self._retry_queue:
            self._retry_queue.remove(trial_id)
            self.ongoing_trials[tuner_id] = self.trials[trial_id]
            self.tuner_ids.add(tuner_id)
            owner = tuner_id
        return owner

    @kt.synchronized
    def adopt(self, saved_ongoing: dict[str, str], prefix: str) -> None:
        """After a chief restart: give the trials its workers (ids starting with ``prefix``) were
        training back to them (``reload`` put them in the retry queue)."""
        for tuner_id, trial_id in saved_ongoing.items():
            trial = self.trials.get(trial_id)
            if tuner_id.startswith(prefix) and trial_id in self._retry_queue and trial is not None:
                self._retry_queue.remove(trial_id)
                self.ongoing_trials[tuner_id] = trial
                self.tuner_ids.add(tuner_id)
        if saved_ongoing:
            self.save()

    @kt.synchronized
    def forget_idle(self, tuner_id: str) -> None:
        """An idle worker that went away: do not wait for it before stopping."""
        self.tuner_ids.discard(tuner_id)

    def idle_workers(self) -> list[str]:
        """Tuner ids known to the oracle that hold no trial."""
        return [t for t in self.tuner_ids if t not in self.ongoing_trials]

    def is_done(self) -> bool:
        """Whether no worker holds a trial or is still waiting for one."""
        return not self.ongoing_trials and not self.tuner_ids


def saved_ongoing_trials(oracle_file) -> dict[str, str]:
    """The running trials (tuner id -> trial id) recorded in an oracle.json, {} if unreadable."""
    from ..io import read_json_object

    try:
        return dict((read_json_object(oracle_file) or {}).get("ongoing_trials") or {})
    except (TypeError, ValueError):  # not a mapping
        return {}
