"""Memory between trials: what TensorFlow and glibc keep after a trial, released, and the process's RSS."""

from __future__ import annotations

import gc

import keras

from .allocator import release_allocator_memory


def release_traced_graphs() -> None:
    """Forget the gradient functions TensorFlow registered for earlier trials' traced training steps.

    Each trace of a Keras training step registers a ``CustomGradient-<uid>`` function in TensorFlow's
    global gradient registry and never removes it; its closure holds that step's whole FuncGraph, so
    every trained model stayed in memory (about 20 MiB a trial, even after ``clear_session()``).
    Called after each trial, when its graphs are not used again. No-op on other backends."""
    if keras.backend.backend() != "tensorflow":
        return
    try:
        from tensorflow.python.framework import ops

        registry = ops._gradient_registry._registry
    except (ImportError, AttributeError):  # another TensorFlow layout: keep its behaviour
        return
    for name in [name for name in registry if name.startswith("CustomGradient-")]:
        del registry[name]


def release_memory() -> None:
    """After a trial: drop its traced graphs and Keras state, collect, and hand the freed heap back to
    the system (glibc and tcmalloc keep freed blocks otherwise: RSS then follows the largest model so far)."""
    release_traced_graphs()
    keras.backend.clear_session()
    gc.collect()
    release_allocator_memory()


def rss_mib() -> float | None:
    """This process's resident memory (Linux), recorded with each trial's timing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None
