"""Training one model: fit with progress events, early stopping, the one evaluation on the test
split (``fit``), devices and precision (``devices``), and `emnist-tuner train` (``train``)."""
