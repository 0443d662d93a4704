"""Input pipeline vs training: images/s the pipeline delivers against images/s training consumes.

In this package images stay uint8 numpy arrays (N, H, W) until the model: rescaling and augmentation
are Keras layers inside the model, so they run as part of each training step. What runs outside
the model is Keras' own array data adapter (shuffling, batching, conversion to backend tensors),
which ``model.fit`` uses for numpy inputs. Measured here, each over whole epochs:

- pipeline: the adapter's batches as ``fit`` gets them (tf.data dataset on the TensorFlow backend,
  the backend's iterator otherwise); a ``tf.data`` variant (from_tensor_slices, cache, shuffle,
  batch, prefetch; TensorFlow only); and the in-model preprocessing alone (add channel + rescale,
  and + rotation/translation/zoom augmentation in training mode), compiled, as a separate stage;
- training: ``model.fit`` images/s of presets (second epoch, steady state, no validation), and
  convnet fed from the tf.data variant (TensorFlow only).

The last line is ``ratio X.XX`` = the adapter pipeline's images/s over the fastest training
images/s measured. Goal: >= 3.

    .venv/bin/python bench/pipeline.py [--tiny] [--presets dense,convnet,model1] [--subset 20000]
"""

from __future__ import annotations

import argparse
import time

import _common
import numpy as np
from rich.console import Console
from rich.table import Table


def rate_of(batches, images: int) -> float:
    """Images/s of draining ``batches`` (an iterable of (x, y) batches) once."""
    started = time.perf_counter()
    for x, _ in batches:
        np.asarray(x[:1])  # the batch exists (backend tensors are materialised by now)
    return images / (time.perf_counter() - started)


def adapter_batches(x, y, batch_size: int):
    """What ``model.fit`` iterates for numpy inputs on this backend."""
    import keras
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    adapter = ArrayDataAdapter(x, y, batch_size=batch_size, shuffle=True)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return adapter.get_tf_dataset()
    if backend == "jax":
        return adapter.get_jax_iterator()
    if backend == "torch":
        return adapter.get_torch_dataloader()
    return adapter.get_numpy_iterator()


def tf_data(x, y, batch_size: int):
    import tensorflow as tf

    return (
        tf.data.Dataset.from_tensor_slices((x, y))
        .cache()
        .shuffle(len(y), seed=0)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )


def preprocessing_rate(x, batch_size: int, augment: bool, epochs: int = 2) -> float:
    """Images/s of the model's own preprocessing layers alone (training mode), compiled by Keras."""
    import keras

    from emnist_tuner.searchspace.hypermodel import augmentation_layers

    height, width = x.shape[1:]

    class Train(keras.layers.Layer):  # applies the wrapped layers with training=True inside predict
        def __init__(self, inner, **kwargs):
            super().__init__(**kwargs)
            self.inner = inner

        def call(self, inputs):
            return self.inner(inputs, training=True)

    inputs = keras.Input(shape=(height, width))
    z = keras.layers.Reshape((height, width, 1))(inputs)
    z = keras.layers.Rescaling(1.0 / 255.0)(z)
    inner = keras.Model(
        inputs, augmentation_layers(z, {"rotation": 0.05, "translation": 0.1, "zoom": 0.1}) if augment else z
    )
    outer_in = keras.Input(shape=(height, width))
    model = keras.Model(outer_in, keras.layers.GlobalAveragePooling2D()(Train(inner)(outer_in)))
    model.predict(x[: batch_size * 2], batch_size=batch_size, verbose=0)  # compile
    started = time.perf_counter()
    for _ in range(epochs):
        model.predict(x, batch_size=batch_size, verbose=0)
    return epochs * len(x) / (time.perf_counter() - started)


def training_rate(preset: str, data, batch_size: int, dataset=None) -> float:
    """Images/s of ``model.fit`` in its second epoch (the first includes tracing)."""
    args, kwargs = ((data.x_train, data.y_train), {"batch_size": batch_size}) if dataset is None else ((dataset,), {})
    _, _, marks = _common.timed_fit(preset, data, args, kwargs)
    return len(data.y_train) / (marks[3] - marks[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="synthetic data, dense and convnet only")
    parser.add_argument("--presets", default=None, help="comma-separated (default dense,convnet,model1)")
    parser.add_argument("--subset", type=int, default=20_000, help="training images (real MNIST slice)")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    presets = (args.presets or ("dense,convnet" if args.tiny else "dense,convnet,model1")).split(",")

    import keras

    data, described = _common.bench_data(args.tiny, args.subset, args.data_dir)
    x, y, n, bs = data.x_train, data.y_train, len(data.y_train), args.batch_size
    tensorflow = keras.backend.backend() == "tensorflow"
    pipes: list[tuple[str, float]] = []
    rate_of(adapter_batches(x, y, bs), n)  # warm-up
    pipes.append(
        (
            "Keras array adapter (what fit does with numpy): shuffle, batch, to tensors",
            max(rate_of(adapter_batches(x, y, bs), n) for _ in range(3)),
        )
    )
    if tensorflow:
        cached = tf_data(x, y, bs)
        rate_of(cached, n)  # fills the cache
        pipes.append(
            ("tf.data: from_tensor_slices, cache, shuffle, batch, prefetch", max(rate_of(cached, n) for _ in range(3)))
        )
    pipes.append(("in-model preprocessing alone: add channel, rescale", preprocessing_rate(x, bs, False)))
    pipes.append(("in-model preprocessing alone: + rotation, translation, zoom", preprocessing_rate(x, bs, True)))
    trains = [(f"fit {p} (numpy arrays)", training_rate(p, data, bs)) for p in presets]
    if tensorflow and "convnet" in presets:
        trains.append(("fit convnet (tf.data variant above)", training_rate("convnet", data, bs, tf_data(x, y, bs))))
    fastest = max(rate for _, rate in trains)

    table = Table(title=f"Input pipeline vs training, batch {bs}")
    table.add_column("stage")
    table.add_column("images/s", justify="right")
    table.add_column("x fastest training", justify="right")
    for name, rate in pipes:
        table.add_row(f"pipeline: {name}", f"{rate:,.0f}", f"{rate / fastest:.1f}")
    for name, rate in trains:
        table.add_row(f"training: {name}", f"{rate:,.0f}", f"{rate / fastest:.2f}")
    table.caption = f"data: {described}; {_common.machine()}"
    Console().print(table)
    print(f"ratio {pipes[0][1] / fastest:.2f}")


if __name__ == "__main__":
    main()
