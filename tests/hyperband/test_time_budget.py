"""`search --time-budget` and a grown search (``--iterations``), on the synthetic dataset.

Schedule: max_epochs 2, factor 2 -> 5 trials per iteration. The search's clock is a fake one that advances
60 s per ended trial (``RUN/timings`` files), so that the budget decides after exactly which trial the search
stops, whatever the machine's speed; each worker runs one trial (a worker asks the clock between trials).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from rich.console import Console

from emnist_tuner import api
from emnist_tuner.runfolder import budget

SEARCH = dict(max_epochs=2, factor=2, trials_per_worker=1, seed_presets=False, tensorboard=False)


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200), out


@pytest.fixture
def trial_clock(monkeypatch):
    """The search's clock: 60 s per ended trial of the run being searched."""
    runs: list[Path] = []

    def now() -> float:
        return 60.0 * sum(len(list((run / "timings").glob("*.json"))) for run in runs if (run / "timings").is_dir())

    monkeypatch.setattr(budget, "clock", now)
    return runs


def _trials(run: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted((run / "tuner").glob("trial_*/trial.json"))}


def _trial_bytes(run: Path, names) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for n in names for p in sorted((run / "tuner" / n).iterdir()) if p.is_file()}


@pytest.mark.slow
def test_a_budget_stops_starting_trials_resume_counts_the_time_spent_and_a_grown_search_keeps_its_trials(
    tmp_path, trial_clock
):
    run = tmp_path / "run"
    trial_clock.append(run)
    options = {**SEARCH, "trials_per_worker": 3, "recipe": api.final_recipe(final_epochs=1)}
    console, out = _console()
    final = api.search("synthetic", run, time_budget="100s", console=console, **options)
    # one worker of 3 trials (a running worker is not stopped by the parent's clock), then none: 180 s > 100 s
    assert sorted(_trials(run)) == ["trial_0000", "trial_0001", "trial_0002"]
    assert {t["status"] for t in _trials(run).values()} == {"COMPLETED"}
    timed = json.loads((run / "search_time.json").read_text())
    assert timed["ended"] == "budget" and timed["not_run"] == 2 and timed["spent"] == pytest.approx(180)
    said = out.getvalue()
    assert "time budget 1m40s reached after 3m of search: no new trial started; 2 scheduled trials not run" in said
    assert final["trial_id"] in {t["trial_id"] for t in _trials(run).values()} and (run / "best_model.keras").is_file()
    assert json.loads((run / "config.json").read_text())["time_budget"] == 100
    counts = _counts(run)
    assert counts == "3/3; ended on its time budget, 2 scheduled not run"

    # the same command with a larger budget goes on where it stopped, counting the 180 s already spent
    console, out = _console()
    api.search("synthetic", run, time_budget="10m", console=console, **options)
    assert len(_trials(run)) == 5 and "3m spent before this session" in out.getvalue()
    timed = json.loads((run / "search_time.json").read_text())
    assert timed["ended"] == "done" and timed["spent"] == pytest.approx(300)
    first = _trials(run)
    kept = _trial_bytes(run, first)

    # grown: one more Hyperband iteration continues the schedule; the completed trials stay byte for byte
    console, out = _console()
    final = api.search("synthetic", run, iterations=2, console=console, **{**options, "trials_per_worker": 5})
    grown = _trials(run)
    now = _trial_bytes(run, first)  # the completed trials, byte for byte; but for the checkpoints that
    gone = set(kept) - set(now)  # --keep-checkpoints needed let go (recorded before they were deleted)
    deleted = {p.stem for p in (run / "deleted-checkpoints").glob("*.json")}
    assert all(p.endswith("checkpoint.weights.h5") and Path(p).parent.name[len("trial_") :] in deleted for p in gone)
    assert len(grown) == 10 and now == {k: v for k, v in kept.items() if k not in gone}
    new = [grown[n]["hyperparameters"]["values"] for n in sorted(set(grown) - set(first))]
    assert [v["tuner/bracket"] for v in new] == [1, 1, 1, 0, 0]  # iteration 2's brackets, not a restart
    oracle = json.loads((run / "tuner" / "oracle.json").read_text())
    assert oracle["hyperband_iterations"] == 2 and oracle["current_iteration"] == 1
    best = max(grown.values(), key=lambda t: t["score"] or 0)
    assert final["trial_id"] == best["trial_id"]
    assert json.loads((run / "config.json").read_text())["iterations"] == 2
    assert _counts(run) == "10/10"


def _counts(run: Path) -> str:
    from emnist_tuner.reports.formatting import search_counts
    from emnist_tuner.runfolder.configs import read_run_config
    from emnist_tuner.runfolder.trials import read_trials

    folder, config = read_run_config(run)
    return search_counts(folder, config, read_trials(run)).text()


def test_the_final_training_is_kept_when_the_winner_did_not_change(tmp_path, monkeypatch):
    """A grown run whose search adds no better trial: no final worker, the model file untouched."""
    run = tmp_path / "run"
    calls = _grown_run_without_workers(run, monkeypatch, winner="0001")
    console, out = _console()
    api.search("synthetic", run, iterations=2, console=console, **SEARCH)
    assert calls == ["search"], calls
    assert "the winner did not change (trial 0001): its final training is kept" in out.getvalue()
    assert (run / "best_model.keras").read_bytes() == b"model"
    # the final model is of another trial: retrained
    calls.clear()
    final = json.loads((run / "final.json").read_text())
    (run / "final.json").write_text(json.dumps({**final, "trial_id": "0000"}))
    (run / "tuner" / "oracle.json").write_text(json.dumps({"hyperband_iterations": 2}))
    api.search("synthetic", run, iterations=3, console=console, **SEARCH)
    assert calls == ["search", "final"], calls


def _grown_run_without_workers(run: Path, monkeypatch, winner: str) -> list[str]:
    """A finished run of 2 trials (``winner`` the better) whose oracle ran 1 iteration; workers only recorded."""
    from emnist_tuner.hyperband import search
    from emnist_tuner.hyperband.space import fingerprint_for

    config = api.search_config("synthetic", **SEARCH)
    config.space = fingerprint_for(config)
    run.mkdir()
    config.save(run)
    for trial_id, score in (("0000", 0.2), ("0001", 0.5)):
        folder = run / "tuner" / f"trial_{trial_id}"
        folder.mkdir(parents=True)
        state = {"trial_id": trial_id, "status": "COMPLETED", "score": score, "hyperparameters": {"values": {}}}
        (folder / "trial.json").write_text(json.dumps(state))
    (run / "tuner" / "oracle.json").write_text(json.dumps({"hyperband_iterations": 1}))
    (run / "final.json").write_text(json.dumps({"trial_id": winner, "test_accuracy": 0.5}))
    (run / "best_model.keras").write_bytes(b"model")
    calls: list[str] = []

    def worker(run_, mode, budget_, display, **kwargs):
        calls.append(mode)
        if mode == "final":
            (run / "final.json").write_text(json.dumps({"trial_id": winner, "test_accuracy": 0.5, "at": time.time()}))
        return "search_done" if mode == "search" else "final_end"

    monkeypatch.setattr(search, "run_worker_process", worker)
    monkeypatch.setattr(search, "check_tuner_state", lambda run, tuner_id=None: [])
    return calls
