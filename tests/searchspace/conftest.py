"""Fixtures of the search-space tests."""

import keras
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    """Every test leaves a clean Keras state (layer names, graphs) to the next one.

    Without the garbage collection pass, which would cost ~0.3 s a test."""
    yield
    keras.backend.clear_session(free_memory=False)


@pytest.fixture
def tiny_batch():
    """A function giving (images, labels): uint8 (n, h, w) noise and labels 0..classes-1."""

    def make(n=32, shape=(28, 28), num_classes=26, seed=0):
        rng = np.random.default_rng(seed)
        images = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
        labels = rng.integers(0, num_classes, size=n)
        return images, labels

    return make
