"""Every count a user reads has the right plural: ``errors.plural``, used by every message and table
(issue 27: "1 epochs", "1 images", "1 more trials")."""

from __future__ import annotations

import re
from pathlib import Path

from helpers import render

from emnist_tuner.errors import plural

PACKAGE = Path(__file__).resolve().parents[2] / "emnist_tuner"
NOUNS = (
    "epochs|images|trials|classes|files|runs|seeds|folds|members|copies|parameters|workers|models|values|"
    "columns|rows|layers|bytes|seconds|minutes|hours|steps|batches|examples|points|errors|labels|"
    "predictions|hyperparameters|samples|variants|targets|trainings|methods|pairs"
)
# a number (an f-string field) then a plural noun, maybe after one adjective ("3 test images");
# "28x{width} images" is a size, not a count
COUNTED = re.compile(
    r"(?<!x)\{[^{}]*\}(?: (?:more|other|new|test|train|training|held-out|stratified|completed|finished|failed))?"
    r" (?:" + NOUNS + r")\b"
)


def test_plural_of_a_count():
    assert plural(1, "epoch") == "1 epoch" and plural(2, "epoch") == "2 epochs" and plural(0, "trial") == "0 trials"
    assert plural(1000, "image") == "1,000 images" and plural(1, "test image") == "1 test image"
    assert plural(1, "copy", "copies") == "1 copy" and plural(3, "copy", "copies") == "3 copies"
    assert plural(1.5, "epoch") == "1.5 epochs" and plural(1.0, "epoch") == "1 epoch"
    assert plural(None, "seed") == "? seeds"


def test_no_count_in_the_package_is_followed_by_a_fixed_plural():
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if COUNTED.search(line) and "# not a count" not in line
    ]
    assert found == [], "use errors.plural for these counts:\n" + "\n".join(found)


def test_the_scan_finds_the_old_forms():
    for line in ('f"{n} more trials not shown"', 'f"({len(rows):,} images)"', 'f"{e} epochs"', 'f"{k} test images"'):
        assert COUNTED.search(line), line
    assert not COUNTED.search('f"reads {h}x{w} images"') and not COUNTED.search("f\"{plural(n, 'epoch')}\"")


def test_outputs_with_a_count_of_one():
    from emnist_tuner.reports.leaderboard import leaderboard_table
    from emnist_tuner.reports.predictions import predictions_table
    from emnist_tuner.runfolder.recipe_config import FinalRecipe
    from emnist_tuner.runfolder.trials import TrialRecord

    records = [TrialRecord("0000", "completed", 0.9), TrialRecord("0001", "completed", 0.8)]
    assert "1 more trial not shown" in render(leaderboard_table(records, top=1), width=200)
    assert FinalRecipe().describe(1).startswith("1 epoch:")
    table = predictions_table([{"input": "a.png", "top": [{"class": "A", "probability": 0.9}]}])
    assert "Predictions (1 image)" in " ".join(render(table).split())
