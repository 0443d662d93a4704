"""A plain KerasTuner search, written the way KerasTuner's getting-started guide does it: a
``kt.Hyperband`` tuner over a hypermodel, ``tuner.search`` with early stopping, ``get_best_models``.
No run folder, no workers, no resume, no progress display: the baseline ``bench/race.py`` runs
against ``emnist-tuner search``.

For equal terms it takes our ``CharacterHyperModel`` (the same space as ``emnist-tuner search
--profile quick``), our data split (the same stratified subset, the same validation images) and the
same Hyperband settings, seed, batch size, early stopping and model-size limit. The only additions to
the guide's script are measurements, written as JSON to ``--out``: the wall-clock time of each trial's
end and the process's RSS then (``on_trial_end``), each trial's values and score, the best model's
test accuracy.

    .venv/bin/python bench/plain_kerastuner.py --out FILE [--subset 20000] [--max-epochs 6] [--factor 3]
                                               [--seed 0] [--data-dir DIR] [--tiny]
"""

from __future__ import annotations

import time

STARTED = time.time()  # before any import: the same start as the race's clock for the other tool

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402

import _common  # noqa: E402


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def race_options(parser: argparse.ArgumentParser) -> None:
    """The options both sides of the race take (``bench/race.py`` passes them on)."""
    parser.add_argument("--subset", type=int, default=20_000)
    parser.add_argument("--max-epochs", type=int, default=6)
    parser.add_argument("--factor", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=_common.default_data_dir())
    parser.add_argument("--tiny", action="store_true")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    race_options(parser)
    args = parser.parse_args()

    import keras
    import keras_tuner as kt
    import numpy as np

    from emnist_tuner.data.prepare import prepare_data
    from emnist_tuner.hyperband.space import hypermodel_for
    from emnist_tuner.runfolder.configs import SearchConfig

    dataset = "synthetic" if args.tiny else "mnist"
    config = SearchConfig.from_profile(
        dataset,
        "quick",
        subset=None if args.tiny else args.subset,
        max_epochs=args.max_epochs,
        factor=args.factor,
        seed=args.seed,
    )
    keras.utils.set_random_seed(config.seed)
    data = prepare_data(dataset, config.subset, config.seed, config.val_fraction, args.data_dir)
    trials: list[dict] = []

    class MeasuredHyperband(kt.Hyperband):  # the only addition to the guide's script: when each trial ended
        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            trials.append({"trial_id": trial.trial_id, "ended": time.time(), "rss_mib": rss_mib()})

    tuner = MeasuredHyperband(
        hypermodel_for(config),
        objective="val_accuracy",
        max_epochs=config.max_epochs,
        factor=config.factor,
        hyperband_iterations=config.iterations,
        seed=config.seed,
        max_model_size=config.max_params,
        directory=tempfile.mkdtemp(prefix="plain-kt-"),
        project_name="plain",
    )
    stop_early = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=config.patience)
    tuner.search(
        data.x_train,
        data.y_train,
        validation_data=(data.x_val, data.y_val),
        epochs=config.max_epochs,
        batch_size=config.batch_size,
        callbacks=[stop_early],
        verbose=0,
    )
    search_ended = time.time()
    best_model = tuner.get_best_models(num_models=1)[0]
    predictions = np.argmax(best_model.predict(data.x_test, batch_size=1024, verbose=0), axis=1)
    done = sorted((t for t in tuner.oracle.trials.values()), key=lambda t: t.trial_id)
    result = {
        "started": STARTED,
        "search_ended": search_ended,
        "trials": [
            {
                "trial_id": t.trial_id,
                "status": t.status,
                "score": t.score,
                "values": {k: v for k, v in t.hyperparameters.values.items() if not k.startswith("tuner/")},
            }
            for t in done
        ],
        "measured": trials,
        "test_accuracy": float(np.mean(predictions == data.y_test)),
        "test_images": int(len(data.y_test)),
        "directory": tuner.project_dir,
    }
    with open(args.out, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
