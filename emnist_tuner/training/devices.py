"""Which devices train, and in which precision: MirroredStrategy with several GPUs, plain on one device.

``--precision`` sets Keras' global dtype policy: ``float32``, ``mixed_bfloat16``, ``mixed_float16``,
or ``auto`` (the default):

- on a GPU, ``mixed_float16`` (tensor cores; the model's output layer stays float32);
- on a CPU with AMX (``amx_bf16`` in /proc/cpuinfo: oneDNN runs bfloat16 convolutions and matrix
  products on its tiles), ``mixed_bfloat16``;
- on any other CPU, ``float32``: measured on an AVX512_BF16 CPU without AMX, bfloat16 gained 1.01x
  (model1) to 1.12x (convnet) over full MNIST epochs at the same accuracy (BENCHMARKS.md), not worth
  the change in numerics; a CPU without bfloat16 instructions would emulate it, slower.

Models are saved in float32 whatever the policy (``float32_model``): a saved model loads, predicts and
exports the same everywhere.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..runfolder.recipe_config import check_precision


@dataclass
class DeviceSetup:
    backend: str
    kind: str  # "gpu" or "cpu"
    count: int
    names: list[str]
    precision: str  # the dtype policy in force
    why: str = ""  # how auto chose it, or "asked"
    strategy: object | None = None

    @property
    def mixed_precision(self) -> bool:
        return self.precision != "float32"

    def describe(self) -> str:
        what = (
            f"{self.count} GPU{'s' if self.count > 1 else ''} ({', '.join(self.names)})"
            if self.kind == "gpu"
            else "CPU"
        )
        extras = [f"precision {self.precision} ({self.why})"]
        if self.strategy is not None:
            extras.append(f"{type(self.strategy).__name__}")
        return f"{what}, Keras backend {self.backend}, {', '.join(extras)}"


def cpu_flags(cpuinfo: Path | str = "/proc/cpuinfo") -> set[str]:
    """The CPU's feature flags (empty where /proc/cpuinfo cannot be read: not Linux)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def choose_precision(asked: str, gpu: bool, flags: set[str]) -> tuple[str, str]:
    """The dtype policy for ``asked`` on this machine, and why."""
    check_precision(asked)
    if asked != "auto":
        return asked, "asked"
    if gpu:
        return "mixed_float16", "auto: GPU"
    if "amx_bf16" in flags:
        return "mixed_bfloat16", "auto: CPU with AMX"
    if "avx512_bf16" in flags:
        return "float32", "auto: no AMX on this CPU"
    return "float32", "auto: CPU without bfloat16 instructions"


def configure_devices(precision: str = "auto") -> DeviceSetup:
    """Detect accelerators, set Keras' dtype policy (``choose_precision``) and a strategy for several GPUs."""
    import keras

    check_precision(precision)
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
    policy, why = choose_precision(precision, bool(names), cpu_flags())
    keras.mixed_precision.set_global_policy(policy)
    strategy = None
    if backend == "tensorflow" and len(names) > 1:
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()
    return DeviceSetup(backend, "gpu" if names else "cpu", max(len(names), 1), names, policy, why, strategy)


@contextmanager
def policy_restored():
    """Keras' global dtype policy as it was, after a training in this process set its own (the API)."""
    import keras

    before = keras.mixed_precision.global_policy()
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def float32_model(model):
    """``model`` itself when every layer computes in float32, else a float32 copy with the same weights
    (the variables of a mixed policy are float32 already)."""
    import keras

    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model

    def as_float32(layer):
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")  # the new input layers too
    try:
        copy = keras.models.clone_model(model, clone_function=as_float32)
    finally:
        keras.mixed_precision.set_global_policy(policy)
    copy.set_weights(model.get_weights())
    return copy
