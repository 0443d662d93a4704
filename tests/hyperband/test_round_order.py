"""Several workers get the trials one worker would get, in the same order (RunOracle.populate_space).

In-process: an oracle, simulated workers and a score that depends on a trial's values alone (what a
trial seeded from its id would give); no training. Schedule max_epochs 9, factor 3: 23 trials, 9 in the
first round, rounds promoting 3 of 9, 1 of 3 and 2 of 5 (KerasTuner alone promotes before such a round
has ended and starts the next bracket early when two or more workers run it).
"""

from __future__ import annotations

import random

import keras_tuner as kt

from emnist_tuner.hyperband.distributed.local import placement
from emnist_tuner.hyperband.oracle import RunOracle


def oracle_in(folder, cls=RunOracle):
    oracle = cls(objective=kt.Objective("val_accuracy", "max"), max_epochs=9, factor=3, seed=3)
    oracle._set_project_dir(str(folder), "tuner")
    hp = kt.HyperParameters()
    hp.Int("units", 1, 10_000)
    oracle.update_space(hp)
    return oracle


def score(values: dict) -> float:
    """Grows with the epochs; which trials are best depends on their values."""
    return (values["units"] * 7919 % 1000) / 2000 + values["tuner/epochs"] / 20


def search(oracle, workers: int, seed: int) -> tuple[dict, list[str]]:
    """Runs the oracle's search with ``workers`` workers, the running trial that ends next chosen at random.
    Returns {trial id: (values, score)} and the trial ids in the order they were handed out."""
    rng, running, stopped, handed = random.Random(seed), {}, set(), []
    names = [f"worker-{i}" for i in range(workers)]
    while len(stopped) < workers:
        for name in names:
            if name in running or name in stopped:
                continue
            trial = oracle.create_trial(name)
            if trial.status == "STOPPED":
                stopped.add(name)
            elif trial.status == "RUNNING":
                running[name] = trial
                handed.append(trial.trial_id)
        if running:
            trial = running.pop(rng.choice(sorted(running)))
            oracle.update_trial(trial.trial_id, {"val_accuracy": score(trial.hyperparameters.values)})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
        else:
            assert len(stopped) == workers, "IDLE with no trial running: the search would never end"
    trials = {t.trial_id: (t.hyperparameters.values, t.score) for t in oracle.trials.values()}
    return trials, handed


def test_several_workers_get_the_one_worker_trials_in_its_order(tmp_path, monkeypatch):
    monkeypatch.setattr(RunOracle, "save", lambda self: None)  # its fsyncs: most of the time, no part of the order
    monkeypatch.setattr(RunOracle, "_save_trial", lambda self, trial: None)
    one, one_order = search(oracle_in(tmp_path / "one"), 1, seed=0)
    assert len(one) == 23 and one_order == sorted(one)  # the whole schedule
    for workers, seed in [(2, 0), (2, 1), (3, 2)]:
        many, many_order = search(oracle_in(tmp_path / f"many-{seed}"), workers, seed)
        assert many == one  # same ids, values (promotions: tuner/trial_id, epochs, round, bracket), scores
        assert many_order == one_order


def test_one_worker_gets_what_kerastuner_alone_gives(tmp_path):
    plain, _ = search(oracle_in(tmp_path / "plain", kt.oracles.HyperbandOracle), 1, seed=0)
    ours, _ = search(oracle_in(tmp_path / "ours"), 1, seed=0)
    assert ours == plain


def test_seed_0_draws_the_same_trials_in_every_process(tmp_path):
    # KerasTuner takes seed 0 for "none" and picks one from Python's global random state: a one-process
    # search (which seeds it with --seed 0 first) drew 6312, a chief (which does not) anything
    oracles = []
    for state in (0, 1):
        random.seed(state)
        oracles.append(RunOracle(objective="val_accuracy", max_epochs=2, factor=2, seed=0))
    assert [o.seed for o in oracles] == [6312, 6312]
    random.seed(0)
    assert random.randint(1, 10_000) == 6312  # what KerasTuner drew after keras.utils.set_random_seed(0)


def test_a_cpu_worker_keeps_one_process_intra_op_threads():
    # TensorFlow splits a CPU op's sums by its intra-op thread count: with one thread each, 4 of the quick
    # profile's 23 trials scored differently from one process (measured); the other pools are shared out
    env = placement(1, workers=2, gpus=[], cores=8)
    assert env["TF_NUM_INTRAOP_THREADS"] == "8" and env["TF_NUM_INTEROP_THREADS"] == env["OMP_NUM_THREADS"] == "4"
    assert placement(1, workers=2, gpus=["0", "1"], cores=8) == {"CUDA_VISIBLE_DEVICES": "1"}
