"""emnist-tuner: Hyperband architecture search for handwritten-character CNNs."""

import os as _os

# TensorFlow's C++ start-up chatter (oneDNN, CPU features) is noise for our users; errors still show.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
