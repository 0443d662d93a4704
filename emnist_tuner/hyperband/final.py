"""After the search: the winner's final training on train + validation, evaluated once on the held-out
test split; with ``--ensemble K``, K - 1 more members and their average.

The winner is trained under the run's final-training recipe (``runfolder.recipe_config``): for the
recipe's epochs, or by default the number of epochs at which its best validation score was reached
during the search (Hyperband's continued trials included), on all the training and validation images
together, also when the search used a subset: validation was only needed to choose, and more data
helps the final model. With no validation data left to pick an epoch, the learning rate falls to zero
(cosine) so the last epoch's weights are the settled ones; with a constant rate, the last epoch of a
BatchNorm model was measured to land anywhere in a band of about 0.4 points of test accuracy.

Ensemble members are trained the same way: the winner with the next seeds, or the leaderboard's next
best distinct architectures (``ensemble_of``). Each member is saved with its record as soon as it is
trained, so an interrupted ensemble resumes member by member; then ``RUN/ensemble.keras`` averages them.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np

from ..errors import RunError, plural
from ..io import read_json_object, write_json_atomic
from ..runfolder.configs import SEED_LIMIT
from ..runfolder.trials import failure_reason
from ..training.ensemble import average_model
from ..training.fit import EventCallback, evaluate_on_test, save_model_atomic
from ..training.recipe import fit_with_recipe
from ..training.tta import augmentation_of, tta_predict
from .search import ensemble_matches
from .tuner import best_completed_trial, epochs_reached


def retrain_best(tuner, config, data, emit) -> dict:
    """The winner's final model (``final.json``), then the ensemble's missing members (if any)."""
    run = tuner.run
    trial = best_completed_trial(tuner.oracle)
    if trial is None:
        failed = [t for t in tuner.oracle.trials.values() if t.status == "FAILED"]
        reason = [failure_reason(failed[-1].message or "", "failed")] if failed else []
        raise RunError(
            f"{run.path}: no completed trial to retrain"
            + (
                f": all {plural(len(failed), 'trial')} failed (last reason: {reason[0] if reason else 'unknown'}); "
                "widen the limits (e.g. --max-params) and start a new run"
                if failed
                else "; resume the search first"
            )
        )
    final = read_json_object(run.final_file)
    if final is None or str(final.get("trial_id")) != trial.trial_id:  # none yet, or a grown search's new winner
        final = _final_model(tuner, config, data, trial, emit)
    if config.ensemble > 1 and not ensemble_matches(final.get("ensemble"), config):
        final = _ensemble(tuner, config, data, final, emit)
    ensemble = final.get("ensemble") or {}
    emit(
        {
            "event": "final_end",
            "test_accuracy": final["test_accuracy"],
            "epochs": final["epochs"],
            "ensemble_members": len(ensemble.get("members", [])),
            "ensemble_accuracy": ensemble.get("test_accuracy"),
            "ensemble_tta": ensemble.get("tta"),
        }
    )
    return final


def _train(tuner, config, data, hyperparameters, seed: int, epochs: int, emit):
    """A fresh model at ``hyperparameters`` trained under the run's recipe; (model, seconds)."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = tuner.hypermodel.build(hyperparameters)
    x, y = data.train_and_val()
    started = time.time()
    fit_with_recipe(model, x, y, config.recipe, epochs, config.batch_size, [EventCallback(emit)])
    return model, time.time() - started


def _tta(model, config, data) -> dict | None:
    """The held-out accuracy with test-time augmentation (``--tta N``), or None when not asked."""
    if config.tta <= 1:
        return None
    if not augmentation_of(model):
        return {"copies": config.tta, "skipped": "trained without augmentation"}
    probabilities = tta_predict(model, data.x_test, config.tta, seed=config.seed)
    return {"copies": config.tta, "test_accuracy": float(np.mean(np.argmax(probabilities, axis=1) == data.y_test))}


def _values(trial) -> dict:
    return {k: v for k, v in trial.hyperparameters.values.items() if not k.startswith("tuner/")}


def _final_model(tuner, config, data, trial, emit) -> dict:
    run = tuner.run
    epochs = config.recipe.epochs or epochs_reached(trial)
    images = len(data.y_train) + len(data.y_val)
    emit(
        {
            "event": "final_begin",
            "trial_id": trial.trial_id,
            "epochs": epochs,
            "images": images,
            "recipe": config.recipe.describe(epochs),
        }
    )
    model, seconds = _train(tuner, config, data, trial.hyperparameters, config.seed, epochs, emit)
    test_accuracy = evaluate_on_test(model, data, run)
    save_model_atomic(model, run.best_model_file)
    tta = _tta(model, config, data)
    final = {
        "trial_id": trial.trial_id,
        "val_accuracy": trial.score,
        "epochs": epochs,
        "train_images": images,
        "test_images": int(len(data.y_test)),
        "test_accuracy": test_accuracy,
        "train_seconds": seconds,
        "recipe": config.recipe.describe(epochs),
        "parameters": int(model.count_params()),
        "hyperparameters": _values(trial),
        "model": run.best_model_file.name,
        **({"tta": tta} if tta else {}),
    }
    write_json_atomic(run.final_file, final)
    emit({"event": "model_end", "test_accuracy": test_accuracy, "epochs": epochs, "tta": tta})
    return final


def member_plan(oracle, config, winner_id: str) -> list[tuple[Any, int]]:
    """(trial, seed) of members 1..K: the winner with seeds seed, seed+1, …, or the leaderboard's top K
    distinct architectures (fewer if the search has fewer), each at the run's seed."""
    winner = oracle.trials[winner_id]
    if config.ensemble_of == "seeds":
        return [(winner, (config.seed + i) % SEED_LIMIT) for i in range(config.ensemble)]
    done = sorted(
        (t for t in oracle.trials.values() if t.status == "COMPLETED" and t.score is not None), key=lambda t: -t.score
    )
    plan, seen = [(winner, config.seed)], [_values(winner)]
    for trial in done:
        if len(plan) == config.ensemble:
            break
        if _values(trial) not in seen:
            plan.append((trial, config.seed))
            seen.append(_values(trial))
    return plan


def _ensemble(tuner, config, data, final: dict, emit) -> dict:
    run = tuner.run
    plan = member_plan(tuner.oracle, config, final["trial_id"])
    members = [
        {
            "member": 1,
            "trial_id": final["trial_id"],
            "seed": config.seed,
            "epochs": final["epochs"],
            "test_accuracy": final["test_accuracy"],
            "model": run.best_model_file.name,
        }
    ]
    for number, (trial, seed) in enumerate(plan[1:], start=2):
        model_file, record_file = run.member_files(number)
        record = read_json_object(record_file)
        if (
            record is None
            or not model_file.is_file()
            or (record.get("trial_id"), record.get("seed")) != (trial.trial_id, seed)
        ):  # not trained yet, killed before it was saved, or another plan's
            record = _member(tuner, config, data, trial, seed, number, len(plan), emit)
        members.append(record)
    models = [keras.models.load_model(run.best_model_file, compile=False)]
    models += [keras.models.load_model(run.member_files(m["member"])[0], compile=False) for m in members[1:]]
    ensemble = average_model(models)
    test_accuracy = evaluate_on_test(ensemble, data, run.ensemble_folder)
    save_model_atomic(ensemble, run.ensemble_model_file)
    tta = _tta(ensemble, config, data)
    final = {
        **final,
        "ensemble": {
            "of": config.ensemble_of,
            "asked": config.ensemble,
            "members": members,
            "test_accuracy": test_accuracy,
            "parameters": int(ensemble.count_params()),
            "model": run.ensemble_model_file.name,
            **({"tta": tta} if tta else {}),
        },
    }
    write_json_atomic(run.final_file, final)
    return final


def _member(tuner, config, data, trial, seed: int, number: int, total: int, emit) -> dict:
    run = tuner.run
    epochs = config.recipe.epochs or epochs_reached(trial)
    emit(
        {
            "event": "final_begin",
            "trial_id": trial.trial_id,
            "epochs": epochs,
            "images": len(data.y_train) + len(data.y_val),
            "member": number,
            "members": total,
            "seed": seed,
        }
    )
    model, seconds = _train(tuner, config, data, trial.hyperparameters, seed, epochs, emit)
    probabilities = model.predict(data.x_test, batch_size=1024, verbose=0)
    model_file, record_file = run.member_files(number)
    model_file.parent.mkdir(parents=True, exist_ok=True)
    save_model_atomic(model, model_file)
    record = {
        "member": number,
        "trial_id": trial.trial_id,
        "seed": seed,
        "epochs": epochs,
        "test_accuracy": float(np.mean(np.argmax(probabilities, axis=1) == data.y_test)),
        "train_seconds": seconds,
        "model": f"{model_file.parent.name}/{model_file.name}",
    }
    write_json_atomic(record_file, record)
    emit(
        {
            "event": "model_end",
            "test_accuracy": record["test_accuracy"],
            "epochs": epochs,
            "member": number,
            "members": total,
        }
    )
    return record
