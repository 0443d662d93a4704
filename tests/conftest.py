"""Shared fixtures: an isolated data environment, the real data folder, synthetic IDX files, a small trained run."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from helpers import glyph_f, spec_for, write_idx_gz
from optional import SHARED_DATA, require

from emnist_tuner.data import datasets


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Tests marked ``jax`` run only with KERAS_BACKEND=jax, in the TF-free environment (``make test-jax``).

    Under pytest-xdist (``-n 2 --dist loadgroup``, as ``make test TEST_JOBS=2`` runs), tests that share
    something costly run in one process: a module's tests that use a module-scoped fixture (a search, a
    trained model), and the docs tests (the site's session commands run once per process, in reading order)."""
    option = config.option  # in an xdist worker, dist is "no" and loadgroup says what the run asked
    if getattr(option, "loadgroup", False) or getattr(option, "dist", "no") == "loadgroup":
        for item in items:
            if item.get_closest_marker("xdist_group"):
                continue
            path = item.path.relative_to(config.rootpath).as_posix()
            if path.startswith("tests/docs/"):
                item.add_marker(pytest.mark.xdist_group("docs"))
            elif any(d[-1].scope == "module" for d in item._fixtureinfo.name2fixturedefs.values() if d):
                item.add_marker(pytest.mark.xdist_group(path))
    if os.environ.get("KERAS_BACKEND") == "jax":
        return
    skip = pytest.mark.skip(reason="the JAX job: `make test-jax` runs it in .venv-jax (KERAS_BACKEND=jax)")
    for item in items:
        if item.get_closest_marker("jax"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_data_env(tmp_path_factory, monkeypatch):
    """No test sees the user's cache or data folder unless it asks for it."""
    monkeypatch.delenv("EMNIST_TUNER_DATA", raising=False)
    monkeypatch.delenv("EMNIST_TUNER_MIRROR", raising=False)
    monkeypatch.setenv("EMNIST_TUNER_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def shared_data() -> Path:
    """The real data folder (../shared/data). Missing is a failure in CI, a skip elsewhere (``optional``)."""
    require("data", SHARED_DATA is not None, "the real data folder ../shared/data (or EMNIST_TUNER_DATA) is missing")
    assert SHARED_DATA is not None
    return SHARED_DATA


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A finished train run folder: the dense preset trained 2 epochs on the synthetic glyphs (about 5 s),
    shared by every test that only reads it (predict, the Try page)."""
    import emnist_tuner as et

    run = tmp_path_factory.mktemp("trained") / "train-dense"
    with pytest.MonkeyPatch.context() as patch:  # session-scoped: isolated here, as isolated_data_env does
        patch.delenv("EMNIST_TUNER_DATA", raising=False)
        patch.delenv("EMNIST_TUNER_MIRROR", raising=False)
        patch.setenv("EMNIST_TUNER_CACHE", str(tmp_path_factory.mktemp("cache")))
        et.train("dense", "synthetic", run, epochs=2, console=None)
    return run


@pytest.fixture
def fake_emnist(tmp_path, monkeypatch) -> Path:
    """Synthetic EMNIST Letters IDX files written the NIST way (transposed), registered with their sums.

    Train: 26 classes x 12 images, test 26 x 4; every image is the 'F' glyph plus its class index
    written into pixel (27, 27) of the upright image.
    """
    folder = tmp_path / "emnist-data"
    info = datasets.DATASETS["emnist-letters"]
    arrays = []
    for per_class in (12, 4):
        labels = np.repeat(np.arange(1, 27, dtype=np.uint8), per_class)
        images = np.stack([glyph_f() for _ in labels])
        images[:, 27, 27] = labels
        arrays += [images.transpose(0, 2, 1), labels]  # NIST stores images transposed
    specs = []
    for spec, array in zip(info.files, arrays):
        specs.append(spec_for(write_idx_gz(folder / spec.subdir / spec.name, array), spec))
    monkeypatch.setitem(datasets.DATASETS, "emnist-letters", dataclasses.replace(info, files=tuple(specs)))
    return folder
