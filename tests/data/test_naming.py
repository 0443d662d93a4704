"""``dataset_slug``: a dataset's name as a folder name (built-in names kept, source specs hashed)."""

from __future__ import annotations

import hashlib
import re

import pytest

from emnist_tuner.data.naming import canonical_spec, dataset_slug, is_source_spec


@pytest.mark.parametrize(
    "name", ["mnist", "emnist-letters", "binary-alphadigits", "emnist-letters-sample", "synthetic", "emnist-balanced"]
)
def test_a_built_in_name_is_its_own_slug(name):
    assert dataset_slug(name) == name and not is_source_spec(name)


def test_a_source_spec_becomes_scheme_stem_and_8_hex_of_its_canonical_spec(tmp_path, monkeypatch):
    path = tmp_path / "kaggle" / "letters-train.csv"
    canonical = f"csv:{path.resolve()}"
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
    assert dataset_slug(f"csv:{path}") == f"csv-letters-train-{digest}"
    monkeypatch.chdir(tmp_path)  # a relative spec names the same file: the same slug
    assert canonical_spec("csv:kaggle/letters-train.csv") == canonical
    assert dataset_slug("csv:kaggle/letters-train.csv") == f"csv-letters-train-{digest}"


def test_sources_of_the_same_name_in_other_folders_or_schemes_get_other_slugs(tmp_path):
    one, two = tmp_path / "a" / "digits.npz", tmp_path / "b" / "digits.npz"
    slugs = {dataset_slug(f"npz:{one}"), dataset_slug(f"npz:{two}"), dataset_slug(f"csv:{one}")}
    assert len(slugs) == 3 and all(s.split("-")[1] == "digits" for s in slugs)


def test_a_slug_is_safe_as_a_folder_name_whatever_the_path(tmp_path):
    folder = tmp_path / "my scans (2024)" / "Hand written: ü & ß"
    slug = dataset_slug(f"folder:{folder}")
    assert re.fullmatch(r"folder-[A-Za-z0-9._-]+-[0-9a-f]{8}", slug), slug
    assert slug.startswith("folder-Hand-written-")  # a folder: its own name, not a stem
    long = dataset_slug(f"npz:{tmp_path / ('x' * 200 + '.npz')}")
    assert len(long) < 60 and re.fullmatch(r"npz-x+-[0-9a-f]{8}", long)
    assert re.fullmatch(r"csv-data-[0-9a-f]{8}", dataset_slug(f"csv:{tmp_path / '!!!.csv'}"))


def test_a_specs_options_are_part_of_its_hash_not_of_its_name(tmp_path):
    path = tmp_path / "letters.csv"
    plain = dataset_slug(f"csv:{path}")
    spec = f"csv:{path}#mapping={tmp_path / 'emnist-letters-mapping.txt'},transposed"
    digest = hashlib.sha256(spec.encode()).hexdigest()[:8]
    assert canonical_spec(spec) == spec and dataset_slug(spec) == f"csv-letters-{digest}" != plain
