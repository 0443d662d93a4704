"""Datasets: find, download, verify, load and split them (``files``, ``datasets``, ``prepare``, ``status``)."""
