"""What each ingredient of `transfer --ensemble K --tta N` contributes, from the members a comparison saved:
no training, only the held-out probabilities each member kept (plain and with TTA).

    .venv/bin/python bench/transfer_ingredients.py RUN [--backbone mnist] [--data-dir DIR]
    .venv/bin/python bench/transfer_ingredients.py --tiny    # made-up probabilities: the arithmetic only

For 1..K members, with and without TTA, both models: the mean over the folds of each fold's accuracy
(its seeds averaged, as `transfer` reports), and transfer - scratch with its paired 95 % interval over
the folds. The row with K members and TTA is the comparison's own result (`results.json`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import _common  # noqa: F401 - puts the repository on sys.path
import numpy as np
from rich.console import Console
from rich.table import Table

from emnist_tuner.experiments.stats import mean_std, paired_interval


def accuracy(members: list[dict], key: str, labels: np.ndarray) -> float:
    """The accuracy of the members' mean probabilities (``key``: plain or tta) on ``labels``, as `transfer`
    computes its ensemble's."""
    from emnist_tuner.experiments.transfer_members import ensemble_prediction

    return float((ensemble_prediction(members, tta=key == "tta") == labels).mean())


def ingredients(members: dict, labels: dict, ensemble: int, tta: bool) -> list[dict]:
    """Rows for 1..``ensemble`` members, plain and (``tta``) with TTA: per model the folds' accuracies
    (seeds averaged) and the paired difference. ``members[(model, fold, seed)]``: the saved members in
    order; ``labels[fold]``: the fold's held-out labels."""
    folds = sorted({fold for _, fold, _ in members})
    rows = []
    for k in range(1, ensemble + 1):
        for key in ("plain", "tta") if tta else ("plain",):
            per_model = {}
            for model in ("transfer", "scratch"):
                per_model[model] = [
                    float(
                        np.mean(
                            [
                                accuracy(members[(model, f, s)][:k], key, labels[f])
                                for (m, fold, s) in members
                                if m == model and fold == f
                            ]
                        )
                    )
                    for f in folds
                ]
            differences = np.subtract(per_model["transfer"], per_model["scratch"])
            low, high, _ = paired_interval(differences)
            rows.append(
                {
                    "models": k,
                    "tta": key == "tta",
                    "transfer": mean_std(per_model["transfer"]),
                    "scratch": mean_std(per_model["scratch"]),
                    "difference": float(differences.mean()),
                    "ci95": (low, high),
                }
            )
    return rows


def saved_members(run: Path, backbone: str, data_dir: str | None):
    """(members, labels, ensemble, tta) of the run's comparison for ``backbone`` on Binary AlphaDigits."""
    from emnist_tuner.experiments.transfer_data import load_target, transfer_folds
    from emnist_tuner.experiments.transfer_members import load_member
    from emnist_tuner.runfolder.layout import DEFAULT_TARGET, RunFolder

    out = RunFolder(run).transfer_folder(backbone, DEFAULT_TARGET)
    results = json.loads(out.results_file.read_text())
    config = json.loads(out.config_file.read_text())
    _, target_labels = load_target(DEFAULT_TARGET, data_dir)
    _, folds = transfer_folds(target_labels, config["folds"], DEFAULT_TARGET)
    labels = {fold + 1: target_labels[test] for fold, test in enumerate(folds)}
    store = run / results["scratch_store"]
    members = {}
    for fold in labels:
        for seed in range(config["seed"], config["seed"] + config["seeds"]):
            for model, where, suffix in (("transfer", out.path / "members", "-transfer"), ("scratch", store, "")):
                members[(model, fold, seed)] = [
                    load_member(where / f"fold-{fold}-seed-{seed}-member-{m}{suffix}.npz")
                    for m in range(config["ensemble"])
                ]
    return members, labels, config["ensemble"], config["tta"] > 1


def tiny_members(seed: int = 0):
    """Made-up members: 3 folds x 2 seeds x 3 members of 40 images, 4 classes; transfer a little surer."""
    rng = np.random.default_rng(seed)
    members, labels = {}, {}
    for fold in (1, 2, 3):
        labels[fold] = rng.integers(0, 4, 40)
        for s in (0, 1):
            for model, sure in (("transfer", 2.0), ("scratch", 1.5)):
                members[(model, fold, s)] = [
                    {
                        key: rng.random((40, 4)) + sure * np.eye(4)[labels[fold]] * rng.random((40, 1))
                        for key in ("plain", "tta")
                    }
                    for _ in range(3)
                ]
    return members, labels, 3, True


def table(rows: list[dict], title: str) -> Table:
    """The rows as a table: members, TTA, each model's mean ± std over the folds, the difference."""
    out = Table(title=title)
    for column in ("models", "TTA", "transfer %", "scratch %", "transfer - scratch [95 % interval]"):
        out.add_column(column, justify="right")
    for row in rows:
        low, high = row["ci95"]
        interval = f"[{100 * low:+.2f}, {100 * high:+.2f}]" if low is not None else "(too few folds)"
        out.add_row(
            str(row["models"]),
            "yes" if row["tta"] else "no",
            f"{100 * row['transfer']['mean']:.2f} ± {100 * row['transfer']['std']:.2f}",
            f"{100 * row['scratch']['mean']:.2f} ± {100 * row['scratch']['std']:.2f}",
            f"{100 * row['difference']:+.2f} {interval}",
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--backbone", default="mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tiny", action="store_true")
    args = parser.parse_args()
    if args.tiny:
        members, labels, ensemble, tta = tiny_members()
        title = "made-up probabilities (--tiny): the arithmetic only"
    else:
        if args.run is None:
            parser.error("give a run folder, or --tiny")
        members, labels, ensemble, tta = saved_members(args.run, args.backbone, args.data_dir)
        title = f"{args.run}, backbone {args.backbone}: {len(labels)} folds, seeds averaged per fold"
    Console(width=160).print(table(ingredients(members, labels, ensemble, tta), title))


if __name__ == "__main__":
    main()
