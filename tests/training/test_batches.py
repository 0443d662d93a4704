"""``training.batches``: the input pipeline of every fit (TensorFlow backend) gives each image once per
epoch with its own target, in a new order each epoch, with tf.data's autotuning off; other backends get
the arrays."""

from __future__ import annotations

import numpy as np
import pytest
from optional import require_tensorflow

from emnist_tuner.training import batches as batches_module
from emnist_tuner.training.batches import batches, fit_inputs


def _epoch(pipeline) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x.numpy(), y.numpy()) for x, y in pipeline]


def test_each_image_comes_once_per_epoch_with_its_target_in_a_new_order():
    require_tensorflow()  # the tf.data pipeline
    images = np.arange(50, dtype=np.uint8).reshape(50, 1, 1) * np.ones((1, 2, 2), np.uint8)
    targets = np.arange(50) + 1000
    pipeline = batches(images, targets, 16)
    assert int(pipeline.cardinality()) == 4  # known to Keras: 16 + 16 + 16 + 2
    first, second = _epoch(pipeline), _epoch(pipeline)
    for epoch in (first, second):
        assert [len(y) for _, y in epoch] == [16, 16, 16, 2]
        seen = np.concatenate([x[:, 0, 0] for x, _ in epoch]).astype(int)
        labels = np.concatenate([y for _, y in epoch])
        assert sorted(seen) == list(range(50)) and np.array_equal(labels, seen + 1000)
    order = lambda epoch: np.concatenate([y for _, y in epoch]).tolist()  # noqa: E731
    assert order(first) != order(second) and order(first) != sorted(order(first))


def test_validation_keeps_its_order_and_autotuning_is_off():
    require_tensorflow()  # the tf.data pipeline
    images, targets = np.zeros((20, 3, 3), np.float32), np.arange(20)
    inputs = fit_inputs(images, targets, 8, validation=(images[:10], targets[:10]))
    assert set(inputs) == {"x", "validation_data", "shuffle"}  # the pipeline carries the batch size
    assert inputs["shuffle"] is False  # it shuffles itself
    assert np.concatenate([y for _, y in _epoch(inputs["validation_data"])]).tolist() == list(range(10))
    for pipeline in (inputs["x"], inputs["validation_data"]):
        assert pipeline.options().autotune.enabled is False


def test_images_and_targets_of_different_lengths_are_refused():
    require_tensorflow()  # the tf.data pipeline
    with pytest.raises(ValueError, match="5 images but 4 targets"):
        batches(np.zeros((5, 2, 2)), np.zeros(4), 2)


def test_other_backends_get_the_arrays(monkeypatch):
    monkeypatch.setattr(batches_module.keras.backend, "backend", lambda: "jax")
    images, targets = np.zeros((4, 2, 2)), np.arange(4)
    inputs = fit_inputs(images, targets, 2, validation=[images, targets])
    assert inputs["x"] is images and inputs["y"] is targets and inputs["batch_size"] == 2
    assert inputs["validation_data"] == (images, targets)
    assert "validation_data" not in fit_inputs(images, targets, 2)
