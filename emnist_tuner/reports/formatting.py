"""Shared cell formats: hyperparameter names and values, durations, percentages."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..runfolder.trials import TrialCounts

# One name per thing: hyperparameters and their values appear under their own names everywhere (tables,
# captions, exports), so every name a user sees is one `--sort` accepts and one the API returns.


def fmt_value(value) -> str:
    """A hyperparameter value in a table cell (blank when inactive)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2g}"
    return str(value)


def search_counts(run, config: dict, records, keras: bool = True) -> TrialCounts:
    """The search's trial counts (``runfolder.trials.TrialCounts``): what every command shows. A run of
    version 0.1 did not save its schedule: ``keras`` computes it with KerasTuner (a TensorFlow import),
    else its total is unknown."""
    from ..runfolder.trials import trial_counts

    scheduled = config.get("scheduled_trials")
    if scheduled is None and keras:  # written by version 0.1: KerasTuner's schedule (a TensorFlow import) says it
        try:
            from ..hyperband.schedule import hyperband_schedule, total_trials
            from ..quiet import import_keras_quietly

            import_keras_quietly()
            scheduled = total_trials(
                hyperband_schedule(int(config["max_epochs"]), int(config["factor"]), int(config.get("iterations", 1)))
            )
        except (KeyError, TypeError, ValueError):  # a partial config: show what is known
            scheduled = None
    from dataclasses import replace

    from ..runfolder.budget import read_search_time

    timed = read_search_time(run)
    counts = trial_counts(records, scheduled, run.search_is_over())
    return replace(counts, not_run=int(timed.get("not_run") or 0)) if timed.get("ended") == "budget" else counts


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}"


def pct(value, digits: int = 2) -> str:
    """A fraction (or a percentage above 1) as a fixed-precision percentage; blank when unknown."""
    if value is None:
        return ""
    value = float(value)
    return f"{100 * value if value <= 1.0 else value:.{digits}f} %"
