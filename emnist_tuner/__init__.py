"""emnist-tuner: Hyperband architecture search for handwritten-character CNNs."""

__version__ = "0.1.0"
