"""`search` and `resume`: run a Hyperband search in a run folder, in bounded-lifetime workers.

The parent process holds the run's lock, shows the schedule, starts one worker after another
(each runs ``trials_per_worker`` trials and exits, see ``worker``), hands their progress events
to the display it was given, then runs the final retrain in one more worker. Interrupting
(Ctrl-C, SIGTERM) or killing it at any moment loses no completed trial: KerasTuner's state is
saved after every trial, atomically.

What the user sees is not decided here: the caller passes a ``ui`` (see ``reports.progress``)
with ``say(text)``, ``schedule(config, rounds)``, ``progress(...)`` (a live display of the search),
``final_progress()``, ``chief_log(total, timeout)`` and ``worker_log(worker_id)``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import RunError, plural
from ..io import read_json_object
from ..runfolder.budget import SearchClock, format_duration
from ..runfolder.configs import SearchConfig
from ..runfolder.layout import RunFolder
from ..runfolder.lifecycle import RunLock, check_new_or_same_kind, run_status
from ..runfolder.origin import check_data_unchanged, data_dir_now, made_by
from ..runfolder.repair import check_tuner_state
from ..runfolder.trials import ENDED, read_trials
from . import kt_ext
from .allocator import allocator_environment
from .growth import budget_said, kept_winner, search_left, take_growth
from .process import run_worker_process
from .schedule import hyperband_schedule, total_epochs, total_trials
from .space import fingerprint_for


def how_to_go_on(run_dir: Path | str) -> str:
    """What to do after Ctrl-C."""
    return f"Completed trials are kept. Resume with: emnist-tuner resume {run_dir}"


def start_search(config: SearchConfig, run_dir: Path | str, ui, chief=None) -> dict:
    """Start a search in ``run_dir``, or resume it when it holds the same search. With ``chief`` (a
    ``distributed.roles.ChiefRole``), the search runs as the oracle server of a distributed search
    (a ``distributed.local.LocalPool``: with its own local workers)."""
    allocator_environment()  # a bad EMNIST_TUNER_ALLOCATOR is one error line, before anything is written
    kt_ext.check_version()  # so is another keras-tuner
    run = RunFolder(run_dir)
    resuming = check_new_or_same_kind(run, "search")
    saved = SearchConfig.load(run.path) if resuming else None
    if saved is not None:
        config.keep_unasked(saved)  # recipe options, --tta and --space left out keep the run's values
    config.space = fingerprint_for(config)
    if saved is not None:
        iterations = take_growth(saved, config)  # a larger --iterations grows the run (growth)
        diffs = saved.differences(config)
        if diffs:
            raise RunError(
                f"{run.path} holds a different search: {'; '.join(diffs)}. To go on with it, give the run's "
                "values (recipe options and --tta left out keep the run's) or run `emnist-tuner resume "
                f"{run.path}`; for the new values, use a new --run-dir"
            )
        saved.data_dir = data_dir_now(run.path, config.data_dir, saved.data_dir)
        saved.trials_per_worker = config.trials_per_worker
        saved.precision, saved.tensorboard = config.precision, config.tensorboard  # may differ per machine
        saved.iterations = iterations
        saved.time_budget, saved.time_budget_hard = config.time_budget, config.time_budget_hard
        if config.given is None or "keep_checkpoints" in config.given:  # left out: the run's own
            saved.keep_checkpoints = config.keep_checkpoints
        if config.ensemble > 1:  # a finished search gains members (and keeps them when not asked again)
            saved.ensemble, saved.ensemble_of = config.ensemble, config.ensemble_of
        config = saved
    return _run(run, config, ui, chief, resuming=resuming)


def resume_search(
    run_dir: Path | str, ui, data_dir: str | None = None, chief=None, keep_checkpoints: str | None = None
) -> dict:
    """Resumes the search in ``run_dir`` with its saved config (``data_dir``: where to find the data
    now; ``chief``: as in ``start_search``; ``keep_checkpoints``: a new retention mode, None: the run's)
    and returns ``final.json``; RunError if the search space changed since it started."""
    allocator_environment()
    kt_ext.check_version()
    run = RunFolder(run_dir)
    config = SearchConfig.load(run.path)
    check_data_unchanged(run.path)
    if keep_checkpoints is not None:
        config.keep_checkpoints = keep_checkpoints
        config.validate()
    current = fingerprint_for(config)
    if current != config.space:
        raise RunError(
            f"the search space changed since {run.path} started (fingerprint {config.space} → {current}); "
            f"resuming would mix two spaces ({made_by(run.path)}). Start a new run, or reinstall the version that "
            "made it"
        )
    config.data_dir = data_dir_now(run.path, data_dir, config.data_dir)  # --data-dir, else as in ``origin``
    return _run(run, config, ui, chief)


def _run(run: RunFolder, config: SearchConfig, ui, chief=None, resuming: bool = False) -> dict:
    extra = chief.status() if chief else {}
    with RunLock(run) as lock:
        if resuming:  # said once the run is ours: a locked folder is one error line, nothing before it
            ui.say(f"{run.path} holds this search already: resuming it")
        if lock.took_over_from:
            ui.say(f"took over the lock left by process {lock.took_over_from}, which is no longer running")
        for note in check_tuner_state(run, tuner_id=chief.tuner_id if chief else None):
            ui.say(f"[yellow]repaired:[/yellow] {note}")
        rounds = hyperband_schedule(config.max_epochs, config.factor, config.iterations)
        config.scheduled_trials = total_trials(rounds)  # readers count trials without KerasTuner
        config.save(run.path)
        _prune(run, config, ui)  # what an earlier, looser --keep-checkpoints kept
        run.logs.mkdir(parents=True, exist_ok=True)
        ui.schedule(config, rounds)
        ui.say(f"run folder: {run.path}")
        with run_status(run, how_to_go_on(run.path), (config.dataset, config.data_dir), **extra):
            more = search_left(run, config)  # grown, or a budget that allows more
            if ensemble_complete(run, config) and not more:
                ui.say("the search and its final retrain are already complete")
            else:
                if read_json_object(run.final_file) is not None and not more:  # only the ensemble is left to do
                    ui.say(
                        "the search and the winner's final training are complete; training the ensemble's "
                        "missing members"
                    )
                else:
                    _note_skipped_presets(config, ui)
                    if chief:
                        chief.serve(run, config, ui, rounds)
                    else:
                        _search_until_done(run, config, ui, rounds)
                kept = kept_winner(run, config) if more else None
                if kept is not None:
                    ui.say(f"the winner did not change (trial {kept}): its final training is kept")
                else:
                    with ui.final_progress() as display:
                        run_worker_process(run, "final", None, display, **(chief.final_process() if chief else {}))
            _prune(run, config, ui)  # the search is over: only the best are kept (the winner, with best)
        return json.loads(run.final_file.read_text())


def _prune(run: RunFolder, config: SearchConfig, ui) -> None:
    """The checkpoints ``--keep-checkpoints`` lets go are deleted (``retention``); one line says how many."""
    from ..runfolder.checkpoints import human_bytes
    from .retention import prune

    deleted = prune(run, config)
    if deleted:
        freed = human_bytes(sum(e["bytes"] for e in deleted.values()))
        count, mode = plural(len(deleted), "trial checkpoint"), config.keep_checkpoints
        ui.say(f"deleted {count} ({freed}) that the search can no longer use (--keep-checkpoints {mode})")


def _note_skipped_presets(config: SearchConfig, ui) -> None:
    """One note naming the presets (of ``--seed-presets``) that the space file leaves out, and why."""
    from ..searchspace.narrowing import preset_outside

    reasons = {name: preset_outside(name, config.narrowing, config.augmentations) for name in config.seed_presets}
    skipped = [f"{name}: {why}" for name, why in reasons.items() if why]
    if skipped:
        ui.say(f"presets not tried first, outside the space of --space: {'; '.join(skipped)}")


def ensemble_complete(run: RunFolder, config: SearchConfig) -> bool:
    """Whether the final step is done: the winner's final model, and the ensemble when one was asked for."""
    final = read_json_object(run.final_file)
    return final is not None and (config.ensemble <= 1 or ensemble_matches(final.get("ensemble"), config))


def ensemble_matches(ensemble: dict | None, config: SearchConfig) -> bool:
    """Whether ``final.json``'s ensemble is the one ``config`` asks for."""
    return bool(ensemble and ensemble.get("asked") == config.ensemble and ensemble.get("of") == config.ensemble_of)


def _search_until_done(run: RunFolder, config: SearchConfig, ui, rounds) -> None:
    clock = SearchClock(run, config.time_budget, total_trials(rounds))
    if config.time_budget is not None:
        ui.say(
            f"time budget {format_duration(config.time_budget)}"
            + (", the running trial stopped at an epoch end" if config.time_budget_hard else "")
            + f": {format_duration(clock.before)} spent before this session"
        )
    records = read_trials(run.path)
    done = [r for r in records if r.status in ENDED]
    done_epochs = sum(r.new_epochs or 0 for r in done)
    # the key sees scored trials only (mypy cannot tell from the filter)
    best = max(
        (r for r in done if r.status == "completed" and r.score is not None),
        key=lambda r: r.score,  # type: ignore[arg-type,return-value]
        default=None,
    )
    if done:
        ui.say(f"resuming: {plural(len(done), 'trial')} already done, {len(records) - len(done)} to rerun or continue")
    with ui.progress(
        total_trials(rounds),
        total_epochs(rounds),
        len(done),
        done_epochs,
        best.score if best else None,
        best.trial_id if best else None,
    ) as display:
        watched = clock.watching(display)
        try:
            while not clock.out_of_time():
                env = clock.worker_env()
                if run_worker_process(run, "search", config.trials_per_worker, watched, env=env) == "search_done":
                    break
        finally:
            clock.save()  # an interrupted search keeps the time it spent
    started = len(read_trials(run.path))
    if config.time_budget is not None and clock.out_of_time() and started < total_trials(rounds):
        budget_said(clock, total_trials(rounds), started, ui)
    else:
        clock.ended, clock.not_run = "done", 0
        clock.save()
