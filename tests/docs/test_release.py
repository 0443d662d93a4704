"""The release's version is one: pyproject.toml's, the package's ``__version__`` (what ``--version`` prints)
and the newest section of CHANGELOG.md agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import emnist_tuner

REPO = Path(__file__).resolve().parents[2]


def test_the_package_and_pyproject_give_one_version():
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert emnist_tuner.__version__ == declared, (
        f"emnist_tuner/__init__.py says {emnist_tuner.__version__}, pyproject.toml says {declared}: bump both"
    )


def test_the_changelog_has_a_section_for_the_version_and_every_one_before():
    sections = re.findall(r"(?m)^## \[(\d+\.\d+\.\d+)\]", (REPO / "CHANGELOG.md").read_text())
    assert sections, "CHANGELOG.md has no '## [X.Y.Z]' section"
    assert sections[0] == emnist_tuner.__version__, (
        f"CHANGELOG.md's newest section is {sections[0]}, the package is {emnist_tuner.__version__}"
    )
    versions = [tuple(int(part) for part in v.split(".")) for v in sections]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions), sections
    assert sections[-1] == "0.1.0", "the changelog starts at the first version, 0.1.0"
