"""emnist-tuner: Hyperband architecture search for handwritten-character CNNs.

The Python API (``search``, ``resume``, ``train``, ``retrain``, ``transfer``, ``ablate``, ``plot``, ``open_run``…)
lives in ``emnist_tuner.api`` and is loaded on first use, so ``import emnist_tuner`` stays cheap. Every name of
``emnist_tuner.api.__all__`` (the one list of public names) is reachable as ``emnist_tuner.NAME``.
"""

import os as _os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) is noise for our users; errors still show.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.4.0"


def _api():
    import importlib

    return importlib.import_module(f"{__name__}.api")


def __getattr__(name):
    if not name.startswith("_") and name != "api" and name in _api().__all__:
        return getattr(_api(), name)
    raise AttributeError(f"module 'emnist_tuner' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_api().__all__])
