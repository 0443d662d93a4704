"""A search given more: a time budget (``--time-budget``), more Hyperband iterations (``--iterations``).

- ``time budget``: the parent process counts the search time (``runfolder.budget.SearchClock``, kept in
  ``RUN/search_time.json`` across sessions) and starts no worker once it is spent; each search worker (and a
  distributed chief) gets the deadline in its environment, and its oracle hands out no new trial after it
  (``RunOracle.create_trial``). With ``--time-budget-hard`` the running trial also stops at its next epoch
  end (``BudgetStop``): KerasTuner records it as completed with the epochs it trained, like a trial that
  stopped early (``RUN/timings/ID.json`` says ``"stopped_on_budget": true``).
- ``growing``: a larger ``--iterations`` on a run keeps its completed trials and continues KerasTuner's
  schedule (``RunOracle.reload`` raises the saved ``hyperband_iterations``); the winner is retrained only if
  it changed (``hyperband.final``). Any other change of the search's identity is refused as before.
"""

from __future__ import annotations

import time

from ..errors import RunError, plural
from ..io import read_json_object
from ..runfolder.budget import SearchClock, deadline_from_env, ended_on_budget, format_duration
from ..runfolder.configs import SearchConfig
from ..runfolder.layout import RunFolder


def take_growth(saved: SearchConfig, config: SearchConfig) -> int:
    """The iterations a search command asks of the run ``saved``: a larger ``--iterations`` grows it (returned,
    and ``config`` compared with the run's own count); left out, the run's count and budget are kept."""
    given = config.given
    if given is not None and "iterations" not in given:
        config.iterations = saved.iterations
    if given is not None and "time_budget" not in given:
        config.time_budget, config.time_budget_hard = saved.time_budget, saved.time_budget_hard
    asked = config.iterations
    if asked <= saved.iterations:
        return saved.iterations  # fewer is a difference, refused by the caller
    config.iterations = saved.iterations  # more is not: the completed trials stay valid
    return asked


def oracle_iterations(run: RunFolder) -> int | None:
    """The Hyperband iterations KerasTuner's saved oracle state was last run with (None: none saved)."""
    state = read_json_object(run.oracle_file) or {}
    value = state.get("hyperband_iterations")
    return int(value) if isinstance(value, (int, float)) else None


def search_left(run: RunFolder, config: SearchConfig) -> bool:
    """Whether a run whose final step is done still has trials to run: it was grown (more iterations than its
    oracle ran), or its search ended on its time budget and the budget now allows more."""
    ran = oracle_iterations(run)
    if ran is not None and config.iterations > ran:
        return True
    if not ended_on_budget(run):
        return False
    clock = SearchClock(run, config.time_budget)
    return not clock.out_of_time()


def budget_said(clock: SearchClock, scheduled: int, started: int, ui) -> None:
    """Records (and says) that the search stopped on its budget, with ``scheduled - started`` trials not run."""
    clock.ended, clock.not_run = "budget", max(0, scheduled - started)
    clock.save()
    assert clock.budget is not None
    ui.say(
        f"time budget {format_duration(clock.budget)} reached after {format_duration(clock.spent())} of search: "
        f"no new trial started; {plural(clock.not_run, 'scheduled trial')} not run. Give a larger --time-budget "
        "to the same search command to go on"
    )
    from ..runfolder.trials import read_trials

    if not any(r.status == "completed" and r.score is not None for r in read_trials(clock.run.path)):
        raise RunError(
            f"the time budget of {format_duration(clock.budget)} was spent before any trial completed: no winner to "
            f"train; give a larger --time-budget to the same search command (the {format_duration(clock.spent())} "
            "spent are counted)"
        )


def budget_callbacks(config: SearchConfig, emit, environ) -> list:
    """The trial callbacks of ``--time-budget-hard``: stop at the first epoch end after the deadline."""
    found = deadline_from_env(environ)
    if not config.time_budget_hard or found is None:
        return []
    deadline: float = found
    import keras

    class BudgetStop(keras.callbacks.Callback):
        """Stops training at the first epoch end past the search's deadline."""

        def on_epoch_end(self, epoch, logs=None):
            if time.time() >= deadline:
                self.model.stop_training = True
                emit({"event": "budget_stop", "epoch": epoch + 1})

    return [BudgetStop()]


def kept_winner(run: RunFolder, config: SearchConfig) -> str | None:
    """The trial id of the final model's trial when it is still the best completed trial (its final step,
    ensemble included, needs no new training), else None."""
    from ..runfolder.trials import read_trials
    from .search import ensemble_complete

    final = read_json_object(run.final_file)
    scored = [r for r in read_trials(run.path) if r.status == "completed" and r.score is not None]
    if final is None or not scored or not ensemble_complete(run, config):
        return None
    best = max(scored, key=lambda r: r.score or 0.0)
    return best.trial_id if best.trial_id == str(final.get("trial_id")) else None
