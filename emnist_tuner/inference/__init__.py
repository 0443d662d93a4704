"""Using a trained model: where it comes from and what its outputs mean (``source``), predictions on a
user's own images (``predict``), and exports to deployable formats verified against their runtimes
(``export``)."""
