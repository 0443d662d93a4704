"""Carrying out a ``FinalRecipe`` (``runfolder.recipe_config``) on a compiled model.

The model keeps its optimizer's kind and peak learning rate (the architecture's, e.g. the searched
``learning_rate``); ``compile_with_recipe`` compiles it again with:

- the rate as a schedule per step: linear warm-up from 0 over ``warmup_epochs``, then cosine decay
  to 0 over the remaining steps (so the last epoch's weights are the settled ones);
- decoupled weight decay (Keras optimizers' own ``weight_decay``) when the recipe sets one;
- an exponential moving average of the weights (the optimizer's ``use_ema``). Its momentum follows
  the run's length: at most 0.999, and low enough that the initial weights weigh e^-10 at the end
  (``ema_momentum``). Keras puts the averaged weights into the model when ``fit`` ends; during
  ``fit``, validation sees them too (``AveragedWeights``, which on JAX also keeps the model's
  weights and the optimizer's average apart after ``fit``). Early stopping then judges the averaged
  model and only stops: what is kept is the average when it stops (restoring the best epoch would
  restore the raw weights, not their average);
- cross-entropy on one-hot labels with the recipe's label smoothing.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from ..runfolder.recipe_config import FinalRecipe
from .batches import fit_inputs

EMA_MAX_MOMENTUM = 0.999
EMA_FORGET = 10.0  # the initial weights' share of the average at the end: e^-EMA_FORGET


def steps_per_epoch(images: int, batch_size: int) -> int:
    return max(1, math.ceil(images / batch_size))


def ema_momentum(total_steps: int) -> float:
    """The averaging momentum for a training of ``total_steps`` steps."""
    return float(min(EMA_MAX_MOMENTUM, max(0.0, 1.0 - EMA_FORGET / max(total_steps, 1))))


def learning_rate_schedule(peak: float, epochs: int, warmup_epochs: int, steps: int):
    """Warm-up then cosine decay to 0, per step (``steps`` per epoch); warm-up never takes every epoch."""
    warmup = min(warmup_epochs, epochs - 1) * steps
    decay = max(1, epochs * steps - warmup)
    if warmup:
        return keras.optimizers.schedules.CosineDecay(0.0, decay, alpha=0.0, warmup_target=peak, warmup_steps=warmup)
    return keras.optimizers.schedules.CosineDecay(peak, decay, alpha=0.0)


def _peak_rate(optimizer) -> float:
    rate = optimizer.learning_rate
    return float(keras.ops.convert_to_numpy(rate if not callable(rate) else rate(0)))


def compile_with_recipe(model: keras.Model, recipe: FinalRecipe, epochs: int, steps: int) -> None:
    """Compile ``model`` again for ``epochs`` epochs of ``steps`` steps under ``recipe`` (see the module)."""
    optimizer = getattr(model.optimizer, "inner_optimizer", model.optimizer)  # under mixed_float16, compile
    config = optimizer.get_config()  # wraps it in a LossScaleOptimizer, and does so again below
    config["learning_rate"] = learning_rate_schedule(_peak_rate(optimizer), epochs, recipe.warmup_epochs, steps)
    if recipe.weight_decay:
        config["weight_decay"] = recipe.weight_decay
    if recipe.ema:
        config.update(use_ema=True, ema_momentum=ema_momentum(epochs * steps), ema_overwrite_frequency=None)
    model.compile(
        optimizer=type(optimizer).from_config(config),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=["accuracy"],
    )


class AveragedWeights(keras.callbacks.SwapEMAWeights):
    """Keras' ``SwapEMAWeights`` (validation sees the averaged weights); then, once ``fit`` has put the
    average into the model, each of the optimizer's averaged variables gets its own copy of its value.

    Keras puts the average in by assigning each averaged variable to its model variable. On JAX that
    leaves both holding one array, and the model's next jitted call (``predict``, ``evaluate``, ``fit``)
    donates the model's weights, which deletes that array: the optimizer's average is left deleted, and
    saving the model (with its optimizer) fails with ``RuntimeError: Array has been deleted``. Keras'
    ``fit`` calls ``on_train_end`` after putting the average in. TensorFlow's and PyTorch's variables
    copy what they are assigned: there, nothing is done."""

    def on_train_end(self, logs=None):
        if keras.backend.backend() != "jax":
            return
        optimizer = getattr(self.model.optimizer, "inner_optimizer", self.model.optimizer)
        for average in getattr(optimizer, "_model_variables_moving_average", None) or ():
            if average is not None:
                average.assign(keras.ops.copy(average))


def recipe_callbacks(recipe: FinalRecipe, patience: int | None = None) -> list:
    """The callbacks of a recipe's training: validation on the averaged weights (``AveragedWeights``), and
    early stopping on validation accuracy with ``patience`` (restoring the best epoch only without an average)."""
    callbacks = [AveragedWeights()] if recipe.ema else []
    if patience:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=patience, restore_best_weights=not recipe.ema
            )
        )
    return callbacks


def one_hot(labels, num_classes: int) -> np.ndarray:
    return keras.utils.to_categorical(np.asarray(labels), num_classes).astype("float32")


def fit_with_recipe(
    model: keras.Model,
    x,
    y,
    recipe: FinalRecipe,
    epochs: int,
    batch_size: int,
    callbacks=(),
    validation=None,
    patience: int | None = None,
):
    """Compile ``model`` for ``recipe`` and fit it on images ``x`` with integer labels ``y`` (and the
    ``validation`` pair, if any, with early stopping after ``patience``); ``callbacks`` run first.
    Returns Keras' History."""
    compile_with_recipe(model, recipe, epochs, steps_per_epoch(len(y), batch_size))
    classes = int(model.output_shape[-1])
    validation_data = None if validation is None else (validation[0], one_hot(validation[1], classes))
    return model.fit(
        **fit_inputs(x, one_hot(y, classes), batch_size, validation_data),
        epochs=epochs,
        callbacks=[*callbacks, *recipe_callbacks(recipe, patience)],
        verbose=0,
    )
