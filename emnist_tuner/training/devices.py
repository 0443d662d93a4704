"""Which devices train: mixed precision on GPU, MirroredStrategy with several GPUs, plain on CPU."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeviceSetup:
    backend: str
    kind: str  # "gpu" or "cpu"
    count: int
    names: list[str]
    mixed_precision: bool
    strategy: object | None = None

    def describe(self) -> str:
        what = f"{self.count} GPU{'s' if self.count > 1 else ''} ({', '.join(self.names)})" if self.kind == "gpu" \
            else "CPU"
        extras = []
        if self.mixed_precision:
            extras.append("mixed precision float16")
        if self.strategy is not None:
            extras.append(f"{type(self.strategy).__name__}")
        return f"{what}, Keras backend {self.backend}" + (f", {', '.join(extras)}" if extras else "")


def configure_devices(mixed_precision: bool | None = None) -> DeviceSetup:
    """Detect accelerators and set Keras up for them. ``mixed_precision=None`` means: on GPU only."""
    import keras

    backend = keras.backend.backend()
    names: list[str] = []
    if backend == "tensorflow":
        import tensorflow as tf

        names = [d.name.replace("/physical_device:", "") for d in tf.config.list_physical_devices("GPU")]
        for gpu in tf.config.list_physical_devices("GPU"):
            tf.config.experimental.set_memory_growth(gpu, True)
    elif backend == "jax":
        import jax

        names = [str(d) for d in jax.devices() if d.platform == "gpu"]
    elif backend == "torch":
        import torch

        names = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    use_mp = bool(names) if mixed_precision is None else mixed_precision
    keras.mixed_precision.set_global_policy("mixed_float16" if use_mp else "float32")
    strategy = None
    if backend == "tensorflow" and len(names) > 1:
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()
    return DeviceSetup(backend, "gpu" if names else "cpu", max(len(names), 1), names, use_mp, strategy)
