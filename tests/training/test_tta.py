"""Test-time augmentation: the transforms are the model's own, one copy is a plain prediction, more
copies average transformed images (an ensemble's members' ranges are found too)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from emnist_tuner.searchspace import CharacterHyperModel, build_preset, preset_hyperparameters
from emnist_tuner.training.ensemble import average_model
from emnist_tuner.training.tta import augmentation_of, tta_predict


def _augmented(rotation, translation, zoom):
    hypermodel = CharacterHyperModel((28, 28), 10)
    values = dict(preset_hyperparameters("convnet", hypermodel).values)
    values.update(augment=True, rotation=rotation, translation=translation, zoom=zoom)
    return hypermodel.build(hypermodel.hyperparameters_for(values))


def test_the_transforms_are_the_models_own():
    model = _augmented(0.05, 0.12, 0.08)
    assert augmentation_of(model) == pytest.approx({"rotation": 0.05, "translation": 0.12, "zoom": 0.08})
    assert augmentation_of(average_model([model, _augmented(0.02, 0.04, 0.06)])) == pytest.approx(
        {"rotation": 0.05, "translation": 0.12, "zoom": 0.08}
    )  # found inside the members
    dense = build_preset("dense", (28, 28), 10)
    assert augmentation_of(dense) == {}  # trained without augmentation: nothing to vary
    images = np.random.default_rng(0).uniform(0, 255, (4, 28, 28)).astype("float32")
    np.testing.assert_allclose(tta_predict(dense, images, 8), dense.predict(images, verbose=0), rtol=1e-6)


def test_one_copy_is_a_plain_prediction_and_more_copies_average_moved_images():
    keras.utils.set_random_seed(0)
    model = _augmented(0.03, 0.1, 0.1)
    images = np.zeros((6, 28, 28), "float32")
    images[:, 8:20, 12:16] = 255.0  # a bar: moving it changes what the model sees
    plain = model.predict(images, verbose=0)
    np.testing.assert_allclose(tta_predict(model, images, 1), plain, rtol=1e-6)
    averaged = tta_predict(model, images, 4, seed=1)
    assert averaged.shape == plain.shape and np.allclose(averaged.sum(axis=1), 1.0, atol=1e-5)
    assert not np.allclose(averaged, plain, atol=1e-6)
    np.testing.assert_allclose(tta_predict(model, images, 4, seed=1), averaged, rtol=1e-5)  # seeded
