"""The run page's data: progress, the leaderboard and the numbers behind each interactive figure, and one
trial's details. The numbers come from the functions `plot` draws with (``figures.search_data``,
``figures.importance_data``) and the leaderboard's (``runfolder.trials``); read-only, no TensorFlow."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path

from ..figures import importance_data as imp
from ..figures import search_data as sd
from ..figures.accuracy_data import per_class
from ..io import read_json_object
from ..reports.confusion import ConfusionUnavailable, load_confusion, most_confused
from ..reports.formatting import duration
from ..runfolder.configs import read_run_config
from ..runfolder.layout import RunFolder
from ..runfolder.trials import TrialRecord, leaderboard_rows, read_trials
from .runs_data import plain, summary

CACHED = 16  # run views kept (each is recomputed only when one of its files changed)
_cache: OrderedDict[tuple[str, str], dict] = OrderedDict()


def version(path: Path) -> str:
    """A digest of the size and modification time of every file the run page reads: it changes as soon
    as a trial or an epoch is written, so the page redraws only then."""
    run = RunFolder(path)
    files = [run.config_file, run.status_file, run.final_file, run.predictions_file]
    files += sorted(run.project.glob("trial_*/*.json")) + sorted(run.timings.glob("*.json"))
    digest = hashlib.sha256()
    for f in files:
        try:
            stat = f.stat()
        except OSError:
            continue
        digest.update(f"{f}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def run_view(path: Path) -> dict:
    """The run page's data (cached until one of the run's files changes): summary, version, trials and
    the figures' numbers; a run that is not a search has its summary only."""
    key = (str(path.resolve()), version(path))
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    view = _compute(path, key[1])
    _cache[key] = view
    while len(_cache) > CACHED:
        _cache.popitem(last=False)
    return view


def _compute(path: Path, stamp: str) -> dict:
    run, config = read_run_config(path)
    view: dict = {"summary": summary(path), "version": stamp, "kind": config.get("kind", "search")}
    if view["kind"] != "search":
        return plain(view)
    records = read_trials(path)
    final = read_json_object(run.final_file) or {}
    rows = leaderboard_rows(records)
    by_id = {r.trial_id: r for r in records}
    for row in rows:
        r = by_id[row["trial_id"]]
        row.update(time=duration(r.seconds), parameters=r.parameters, preset=r.preset, started=r.started)
    view.update(
        final={"trial_id": final.get("trial_id"), "test_accuracy": final.get("test_accuracy")} if final else None,
        trials=rows,
        hyperparameters=sorted({k for r in records for k in r.hyperparameters}),
        history=_history(records),
        curves=[c.__dict__ for c in sd.learning_curves(records)],
        pareto=_pareto(records),
        importance=_importance(records),
    )
    return plain(view)


def _history(records: list[TrialRecord]) -> dict:
    h = sd.optimization_history(records)
    return {
        "trial_ids": h.trial_ids,
        "order": h.order,
        "scores": h.scores,
        "best_so_far": h.best_so_far,
        "minutes": h.minutes,
        "others": [{"place": p, "status": s, "trial_id": t} for p, s, t in h.others],
        "labels": h.labels,
    }


def _pareto(records: list[TrialRecord]) -> dict:
    """Accuracy against parameters and against training time (a promoted trial's time includes its
    parent's), with each panel's Pareto front; trials without a recorded count or time are left out."""
    done = sd.completed(records)
    seconds = sd.cumulative_seconds(records)
    panels = {}
    for name, cost in (("parameters", lambda r: r.parameters), ("seconds", lambda r: seconds.get(r.trial_id))):
        shown = [r for r in done if cost(r) is not None]
        costs, scores = [float(cost(r)) for r in shown], [float(r.score) for r in shown]  # type: ignore[arg-type]
        front = list(sd.pareto_front(costs, scores)) if shown else []
        panels[name] = {
            "trial_ids": [r.trial_id for r in shown],
            "costs": costs,
            "scores": scores,
            "front": [shown[i].trial_id for i in front],
            "left_out": len(done) - len(shown),
        }
    return panels


def _importance(records: list[TrialRecord]) -> dict:
    shares = imp.importance_shares(records)
    return {
        "trials": shares.trials,
        "shares": [{"name": n, "share": s, "low": lo, "high": hi} for n, s, lo, hi in shares.shares],
        "no_effect": shares.no_effect,
        "reason": shares.reason,
    }


def trial_view(path: Path, trial_id: str) -> dict | None:
    """One trial's details (None: no such trial): its leaderboard row, its epochs, and, when it is the
    run's final model, the final model's per-class test accuracy and most confused pairs."""
    view = run_view(path)
    row = next((t for t in view.get("trials", []) if t["trial_id"] == trial_id), None)
    if row is None:
        return None
    record = next(r for r in read_trials(path) if r.trial_id == trial_id)
    curve = next((c for c in view["curves"] if c["trial_id"] == trial_id), None)
    final = view.get("final") or {}
    detail = {**row, "epoch_log": record.epoch_log, "curve": curve, "is_final": final.get("trial_id") == trial_id}
    if detail["is_final"]:
        detail["final"] = final
        detail["per_class"] = _per_class(path)
    return plain(detail)


def _per_class(path: Path) -> dict:
    """The final model's per-class test accuracy with its interval and most confused pairs, computed
    without writing the confusion cache; ``reason`` where it cannot be shown."""
    _, config = read_run_config(path)
    try:
        matrix, names = load_confusion(path, config, cache=False)
    except ConfusionUnavailable as exc:
        return {"reason": str(exc)}
    p = per_class(matrix, names)
    return {
        "names": p.names,
        "accuracy": p.accuracy,
        "low": p.low,
        "high": p.high,
        "images": p.images,
        "overall": p.overall,
        "left_out": p.left_out,
        "confused": [{"true": t, "predicted": q, "count": n} for t, q, n in most_confused(matrix, names)],
    }
