"""The final-training recipe: its schedule, its weight average (the weights kept and evaluated), its
config (saved, compared, validated), and the ensemble's averaged model."""

from __future__ import annotations

import math
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from emnist_tuner.errors import ConfigError
from emnist_tuner.runfolder.configs import SearchConfig
from emnist_tuner.runfolder.recipe_config import FinalRecipe
from emnist_tuner.runfolder.train_configs import RetrainConfig, TrainConfig
from emnist_tuner.training.ensemble import average_model
from emnist_tuner.training.recipe import (
    compile_with_recipe,
    ema_momentum,
    learning_rate_schedule,
    one_hot,
    recipe_callbacks,
)


def _rates(schedule, steps):
    return np.array([float(keras.ops.convert_to_numpy(schedule(step))) for step in steps])


def test_schedule_warms_up_linearly_then_falls_to_zero_by_cosine():
    steps_per_epoch, epochs, peak = 10, 5, 0.002
    schedule = learning_rate_schedule(peak, epochs, warmup_epochs=1, steps=steps_per_epoch)
    rates = _rates(schedule, range(epochs * steps_per_epoch + 1))
    assert rates[0] == 0.0
    np.testing.assert_allclose(rates[:11], np.linspace(0, peak, 11), rtol=1e-5, atol=1e-9)  # warm-up
    decay = rates[10:]
    assert np.all(np.diff(decay) < 0) and decay[-1] == pytest.approx(0.0, abs=1e-9)
    # half way through the decay: half the peak (cosine)
    assert rates[10 + 20] == pytest.approx(peak * 0.5 * (1 + math.cos(math.pi * 0.5)), rel=1e-5)
    no_warmup = _rates(learning_rate_schedule(peak, epochs, 0, steps_per_epoch), [0, 50])
    assert no_warmup[0] == pytest.approx(peak) and no_warmup[1] == pytest.approx(0.0, abs=1e-9)
    one_epoch = _rates(learning_rate_schedule(peak, 1, 3, steps_per_epoch), [0])  # warm-up never takes all
    assert one_epoch[0] == pytest.approx(peak)


def test_ema_momentum_follows_the_length_of_the_training():
    assert ema_momentum(100_000) == 0.999  # capped
    short = ema_momentum(2_345)  # 5 epochs of MNIST at batch 128
    assert 0.99 < short < 0.999 and short**2_345 == pytest.approx(math.exp(-10), rel=0.03)
    assert ema_momentum(5) == 0.0  # a handful of steps: no average at all


def _tiny(optimizer="adam"):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9) if optimizer == "sgd" else keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_compiling_keeps_the_optimizer_and_adds_the_recipe():
    model = _tiny("sgd")
    compile_with_recipe(model, FinalRecipe(label_smoothing=0.2, weight_decay=0.01, ema=True), epochs=4, steps=100)
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD) and optimizer.momentum == 0.9
    assert optimizer.use_ema and optimizer.ema_momentum == pytest.approx(ema_momentum(400))
    assert optimizer.weight_decay == pytest.approx(0.01)
    rates = _rates(optimizer._learning_rate, [0, 100])  # the schedule itself
    assert rates[0] == 0.0 and rates[1] == pytest.approx(0.05)  # peak: the architecture's own rate
    assert isinstance(model.loss, keras.losses.CategoricalCrossentropy)
    assert model.loss.get_config()["label_smoothing"] == pytest.approx(0.2)


def test_compiling_under_mixed_float16_rebuilds_the_inner_optimizer():
    keras.mixed_precision.set_global_policy("mixed_float16")  # what `auto` picks on a GPU
    try:
        model = _tiny()
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        compile_with_recipe(model, FinalRecipe(), epochs=3, steps=10)
        inner = model.optimizer.inner_optimizer
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        assert isinstance(inner, keras.optimizers.Adam) and inner.use_ema
        x, y = np.zeros((8, 4), "float32"), np.zeros(8, int)
        model.fit(x, one_hot(y, 3), epochs=1, batch_size=4, verbose=0, callbacks=recipe_callbacks(FinalRecipe()))
    finally:
        keras.mixed_precision.set_global_policy("float32")


class _Weights(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.seen = getattr(self, "seen", []) + [[w.copy() for w in self.model.get_weights()]]


def test_the_weight_average_is_what_the_model_keeps_and_what_validation_sees():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 3, 64)
    x_val, y_val = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 3, 32)
    model = _tiny()
    start = [w.copy() for w in model.get_weights()]
    recipe = FinalRecipe(warmup_epochs=0, ema=True, label_smoothing=0.0)
    epochs, batch = 3, 16
    compile_with_recipe(model, recipe, epochs, steps=4)
    momentum = model.optimizer.ema_momentum
    assert 0 < momentum < 1
    raw = _Weights()
    history = model.fit(
        x,
        one_hot(y, 3),
        validation_data=(x_val, one_hot(y_val, 3)),
        epochs=epochs,
        batch_size=batch,
        callbacks=[raw, *recipe_callbacks(recipe)],
        verbose=0,
        shuffle=False,
    )
    average = start
    for weights in raw.seen:  # the average the recipe promises, computed by hand from the raw weights
        average = [momentum * a + (1 - momentum) * w for a, w in zip(average, weights)]
    for kept, expected, last in zip(model.get_weights(), average, raw.seen[-1]):
        np.testing.assert_allclose(kept, expected, rtol=1e-5, atol=1e-6)
        assert not np.allclose(kept, last)  # not the raw weights of the last step
    val_loss = model.evaluate(x_val, one_hot(y_val, 3), verbose=0)[0]
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-5)  # validated on the average


def test_early_stopping_with_an_average_stops_and_keeps_the_average():
    callbacks = recipe_callbacks(FinalRecipe(ema=True), patience=2)
    assert [type(c).__name__ for c in callbacks] == ["AveragedWeights", "EarlyStopping"]
    assert isinstance(callbacks[0], keras.callbacks.SwapEMAWeights)  # validation sees the average
    assert callbacks[1].restore_best_weights is False
    assert recipe_callbacks(FinalRecipe(ema=False), patience=2)[0].restore_best_weights is True
    assert recipe_callbacks(FinalRecipe(ema=False)) == []


def test_recipe_in_each_config_is_saved_typed_and_compared(tmp_path):
    quick = SearchConfig.from_profile("synthetic", "quick")
    assert quick.recipe == FinalRecipe() and quick.recipe.epochs is None  # quick: the winner's own epochs
    assert SearchConfig.from_profile("synthetic", "full").recipe.epochs == 30
    asked = SearchConfig.from_profile(
        "synthetic", "quick", recipe=FinalRecipe(epochs=12, label_smoothing=0.0), ensemble=3, ensemble_of="top"
    )
    asked.save(tmp_path)
    loaded = SearchConfig.load(tmp_path)
    assert isinstance(loaded.recipe, FinalRecipe) and loaded.recipe == FinalRecipe(epochs=12, label_smoothing=0.0)
    assert (loaded.ensemble, loaded.ensemble_of) == (3, "top")
    assert loaded.differences(quick) == [
        "--final-epochs: the run has 12, the command gives the winner's epochs",
        "--label-smoothing: the run has 0, the command gives 0.1",
    ]
    for kind in (
        TrainConfig(preset="dense", dataset="synthetic", recipe={"ema": False}),
        RetrainConfig(recipe={"weight_decay": 0.01, "unknown": 1}),
    ):
        assert isinstance(kind.recipe, FinalRecipe)
    old = tmp_path / "old"
    old.mkdir()
    (old / "config.json").write_text('{"kind": "train", "preset": "dense", "dataset": "synthetic"}')
    assert TrainConfig.load(old).recipe == FinalRecipe()  # a run from before recipes: the defaults


@pytest.mark.parametrize(
    "recipe, overrides, message",
    [
        (FinalRecipe(epochs=0), {}, "--final-epochs must be at least 1"),
        (FinalRecipe(warmup_epochs=-1), {}, "--warmup-epochs must be at least 0"),
        (FinalRecipe(label_smoothing=1.0), {}, "--label-smoothing must be at least 0 and below 1"),
        (FinalRecipe(weight_decay=-0.1), {}, "--weight-decay must be at least 0"),
        (FinalRecipe(), {"ensemble": 0}, "--ensemble must be at least 1"),
        (FinalRecipe(), {"ensemble_of": "best"}, "--ensemble-of must be one of seeds, top"),
    ],
)
def test_bad_recipe_values_are_config_errors(recipe, overrides, message):
    with pytest.raises(ConfigError, match=message):
        SearchConfig.from_profile("synthetic", "quick", recipe=recipe, **overrides)


def test_recipe_in_words():
    assert FinalRecipe().describe(5) == "5 epochs: 1 warm-up, cosine to 0; label smoothing 0.1; weight EMA"
    assert (
        FinalRecipe(warmup_epochs=0, label_smoothing=0, ema=False, weight_decay=0.05).describe(30)
        == "30 epochs: cosine to 0; weight decay 0.05"
    )


def test_an_ensemble_outputs_the_mean_of_its_members_also_after_saving(tmp_path):
    members = []
    for seed in range(3):
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((6, 6))
        hidden = keras.layers.Flatten()(inputs)
        members.append(
            keras.Model(inputs, keras.layers.Dense(4, activation="softmax", name="head")(hidden), name="same_name")
        )
    ensemble = average_model(members)
    x = np.random.default_rng(0).normal(size=(8, 6, 6)).astype("float32")
    mean = np.mean([m.predict(x, verbose=0) for m in members], axis=0)
    np.testing.assert_allclose(ensemble.predict(x, verbose=0), mean, rtol=1e-6, atol=1e-7)
    assert not np.allclose(members[0].predict(x, verbose=0), mean)  # the members differ
    ensemble.save(tmp_path / "ensemble.keras")
    loaded = keras.models.load_model(tmp_path / "ensemble.keras", compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), mean, rtol=1e-6, atol=1e-7)
    assert ensemble.count_params() == sum(m.count_params() for m in members)


def _trial(trial_id, score, **values):
    hp = SimpleNamespace(values={**values, "tuner/epochs": 3})
    return SimpleNamespace(trial_id=trial_id, score=score, status="COMPLETED", hyperparameters=hp)


def test_members_are_seeds_of_the_winner_or_the_next_distinct_architectures():
    from emnist_tuner.hyperband.final import member_plan

    trials = [
        _trial("0", 0.9, a=1),
        _trial("1", 0.95, a=2),
        _trial("2", 0.93, a=2),
        _trial("3", 0.92, a=3),
        SimpleNamespace(trial_id="4", score=None, status="FAILED", hyperparameters=None),
    ]
    oracle = SimpleNamespace(trials={t.trial_id: t for t in trials})
    seeds = member_plan(oracle, SimpleNamespace(ensemble=3, ensemble_of="seeds", seed=7), "1")
    assert [(t.trial_id, s) for t, s in seeds] == [("1", 7), ("1", 8), ("1", 9)]
    top = member_plan(oracle, SimpleNamespace(ensemble=3, ensemble_of="top", seed=7), "1")
    assert [(t.trial_id, s) for t, s in top] == [("1", 7), ("3", 7), ("0", 7)]  # "2" repeats the winner's values
    few = member_plan(oracle, SimpleNamespace(ensemble=9, ensemble_of="top", seed=0), "1")
    assert [t.trial_id for t, _ in few] == ["1", "3", "0"]  # no more distinct architectures than that
