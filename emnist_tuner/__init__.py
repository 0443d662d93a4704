"""emnist-tuner: Hyperband architecture search for handwritten-character CNNs.

The Python API (``search``, ``resume``, ``train``, ``retrain``, ``transfer``, ``ablate``, ``plot``, ``open_run``…)
lives in ``emnist_tuner.api`` and is loaded on first use, so ``import emnist_tuner`` stays cheap.
"""

import os as _os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) is noise for our users; errors still show.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"

_API = (
    "search",
    "resume",
    "train",
    "retrain",
    "transfer",
    "ablate",
    "predict",
    "export",
    "plot",
    "dashboard",
    "open_run",
    "Run",
    "fetch",
)


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'emnist_tuner' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_API])
