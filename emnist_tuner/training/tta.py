"""Test-time augmentation: a model's softmax averaged over the image itself and N - 1 randomly
transformed copies of it (the model's own augmentation ranges: rotation, translation, zoom).

Measured on the quick MNIST search's winner (BENCHMARKS.md, "Test-time augmentation"): 4 copies
raised the held-out accuracy from 99.25 % to 99.51 %. The transforms are the ones the model was
trained with, read from its augmentation layers (members of an ensemble included). A model trained
without augmentation is not varied at test time: measured, mild transforms cost a dense model of the
EMNIST letters sample 5 points. Prediction costs N times as much.
"""

from __future__ import annotations

import keras
import numpy as np

from ..searchspace.hypermodel import augmentation_layers


def _layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _layers(layer)


def _magnitude(value) -> float:
    if isinstance(value, (tuple, list)):
        return float(max(abs(v) for v in value if v is not None))
    return float(abs(value or 0.0))


def augmentation_of(model) -> dict[str, float]:
    """The rotation, translation and zoom ranges of ``model``'s augmentation layers (empty if none)."""
    found: dict[str, float] = {}
    for layer in _layers(model):
        config = layer.get_config()
        if isinstance(layer, keras.layers.RandomRotation):
            found["rotation"] = max(found.get("rotation", 0.0), _magnitude(config["factor"]))
        elif isinstance(layer, keras.layers.RandomTranslation):
            found["translation"] = max(found.get("translation", 0.0), _magnitude(config["height_factor"]))
        elif isinstance(layer, keras.layers.RandomZoom):
            found["zoom"] = max(found.get("zoom", 0.0), _magnitude(config["height_factor"]))
    return found


def test_time_transform(model, seed: int = 0):
    """A Keras model that moves (N, height, width, 1) images within ``model``'s own augmentation ranges
    (``training=True``), seeded; None for a model trained without augmentation."""
    factors = augmentation_of(model)
    if not factors:
        return None
    keras.utils.set_random_seed(seed)  # the transforms' layers draw their own seeds when built
    canvas = keras.Input((None, None, 1))
    return keras.Model(canvas, augmentation_layers(canvas, factors))


def tta_predict(
    model, images: np.ndarray, copies: int, seed: int = 0, batch_size: int = 1024, transform=None
) -> np.ndarray:
    """``model``'s mean softmax over ``images`` and ``copies`` - 1 transformed copies (``copies`` 1, or a
    model without augmentation: a plain prediction). ``images``: (N, height, width) floats as the model
    takes them. ``transform``: one made by ``test_time_transform`` (built here from ``seed`` if not given),
    so that a caller predicting in chunks builds it once and each chunk gets its own draws."""
    total = model.predict(images, batch_size=batch_size, verbose=0)
    if copies <= 1:
        return total
    if transform is None:
        transform = test_time_transform(model, seed)
    if transform is None:
        return total
    for _ in range(1, copies):
        moved = np.concatenate(
            [
                keras.ops.convert_to_numpy(transform(images[i : i + batch_size, ..., None], training=True))[..., 0]
                for i in range(0, len(images), batch_size)
            ]
        )
        total = total + model.predict(moved, batch_size=batch_size, verbose=0)
    return total / copies
