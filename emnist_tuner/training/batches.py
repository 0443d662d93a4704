"""What ``model.fit`` is given to train on: with the TensorFlow backend, our own tf.data pipeline with
tf.data's autotuning switched off; with any other backend, the arrays themselves.

Why not hand Keras the arrays: Keras turns them into a pipeline that autotunes its prefetching, and
on 2 cores that pipeline stalls for about a second in many epochs, and sometimes when a fit ends
(``bench/input_stalls.py``, convnet on 10,000 MNIST images: steady epochs 1.37-2.81 s, mean 1.90 s, 5 of
12 stalled, against 1.35-1.46 s, mean 1.41 s, none; BENCHMARKS.md, "Search efficiency"). A search is
dozens of short fits.

``batches`` does what Keras does with arrays: one copy of the data, a new random order every epoch
(drawn from TensorFlow's seed), batches gathered by index, the next batches prepared while the model
trains; only with fixed sizes instead of autotuned ones.
"""

from __future__ import annotations

import keras

from ..errors import plural

PREFETCH_BATCHES = 2


def batches(x, y, batch_size: int, shuffle: bool = True):
    """A tf.data pipeline of (images, targets) batches of ``batch_size`` (the last one may be smaller),
    in a new random order every epoch when ``shuffle``. Its length (in batches) is known to Keras."""
    import tensorflow as tf

    images, targets = tf.convert_to_tensor(x), tf.convert_to_tensor(y)
    count = int(images.shape[0])
    if int(targets.shape[0]) != count:
        raise ValueError(f"{plural(count, 'image')} but {plural(int(targets.shape[0]), 'target')}")
    order = tf.data.Dataset.range(count)
    if shuffle:
        order = order.shuffle(count, reshuffle_each_iteration=True)

    def gather(indices):
        return tf.gather(images, indices), tf.gather(targets, indices)

    pipeline = order.batch(batch_size).map(gather).prefetch(PREFETCH_BATCHES)
    options = tf.data.Options()
    options.autotune.enabled = False
    # as Keras shards arrays under a distribution strategy: by batch, not by file
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return pipeline.with_options(options)


def fit_inputs(x, y, batch_size: int, validation=None) -> dict:
    """The keyword arguments of ``model.fit`` (and of KerasTuner's ``search``) for training on images
    ``x`` with targets ``y`` in batches of ``batch_size``, validating on the ``(images, targets)`` pair
    ``validation`` if given."""
    if keras.backend.backend() != "tensorflow":
        inputs = {"x": x, "y": y, "batch_size": batch_size}
        if validation is not None:
            inputs["validation_data"] = tuple(validation)
        return inputs
    inputs = {"x": batches(x, y, batch_size), "shuffle": False}  # it shuffles itself (Keras warns otherwise)
    if validation is not None:
        val_x, val_y = validation
        inputs["validation_data"] = batches(val_x, val_y, batch_size, shuffle=False)
    return inputs
