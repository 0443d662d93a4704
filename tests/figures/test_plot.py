"""`emnist-tuner plot` on run folders written by hand and on a search killed by the old version:
which figures are drawn, that they are valid image files, that RUN is never written, and one-line
errors for bad input with nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, snapshot
from PIL import Image

from emnist_tuner.figures import model_plots
from emnist_tuner.figures.plot import FIGURES, build_figures, plot_run

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "search-v0.1-killed"
SEARCH_FIGURES = ["history", "curves", "pareto", "importance", "effects", "confusion", "per-class", "confused-images"]


def test_every_search_figure_of_a_search_with_data(search_run, tmp_path):
    before = snapshot(search_run)
    written, skipped = plot_run(search_run, out=tmp_path / "figs")
    assert [p.stem for p in written] == SEARCH_FIGURES
    assert skipped == [("transfer", "no transfer run yet (emnist-tuner transfer RUN)")]
    for path in written:
        with Image.open(path) as image:
            image.verify()
            assert image.size[0] > 300 and image.size[1] > 200
    assert snapshot(search_run) == before  # RUN untouched: no cache, no figure


def test_svg_and_only(search_run, tmp_path):
    written, skipped = plot_run(search_run, out=tmp_path / "svg", fmt="svg", only="history,ablation")
    assert [p.name for p in written] == ["history.svg"]
    # asked for by name, so said why: which runs have it, and what this run has instead
    assert skipped == [
        (
            "ablation",
            "a figure of ablation runs (emnist-tuner ablate) only; a search run has: history, curves, pareto, "
            "importance, effects, confusion, per-class, confused-images, transfer",
        )
    ]
    assert written[0].read_text().lstrip().startswith(("<?xml", "<svg"))


def test_figures_carry_the_data(search_run):
    figures = dict(build_figures(search_run, ["history", "curves", "pareto"]).figures)
    by_order = figures["history"].axes[0]
    best_line = next(line for line in by_order.get_lines() if line.get_label() == "best so far")
    assert best_line.get_ydata()[-1] == 0.85
    assert {t.get_text() for t in by_order.get_legend().get_texts()} >= {"failed", "interrupted"}
    curves = figures["curves"].axes[0]
    assert len([line for line in curves.get_lines() if line.get_linestyle() == "-"]) == 7  # every completed trial
    assert any(line.get_linestyle() == ":" for line in curves.get_lines())  # the promotion 0001 -> 0004
    pareto = figures["pareto"].axes[0]
    front = next(c for c in pareto.collections if c.get_label() == "Pareto front")
    assert sorted(map(tuple, front.get_offsets().tolist())) == [
        (2000.0, 0.58),
        (5000.0, 0.6),
        (9000.0, 0.7),
        (20000.0, 0.85),
    ]


def test_a_search_killed_by_the_old_version(tmp_path):
    run = tmp_path / "killed"
    shutil.copytree(FIXTURE, run)
    before = snapshot(run)
    figures = build_figures(run)
    # killed during its first trial: the history shows that trial, as interrupted; nothing else has data yet
    assert [name for name, _ in figures.figures] == ["history"]
    legend = dict(figures.figures)["history"].axes[0].get_legend()
    assert "interrupted" in {t.get_text() for t in legend.get_texts()}
    assert dict(figures.skipped)["confusion"] == "no final model tested yet (no test predictions in the run)"
    assert snapshot(run) == before


def test_most_confused_examples_take_the_frequent_pairs_first():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    predictions = np.array([1, 1, 0, 2, 1, 0, 0, 0])
    assert model_plots.most_confused_examples(labels, predictions, limit=3) == [
        5,
        0,
        3,
    ]  # 2→0 three times, 0→1 twice, 1→2 once
    assert model_plots.most_confused_examples(labels, labels) == []


def test_an_ablation_run_draws_its_forest_plot(tmp_path):
    run = tmp_path / "ablation"
    (run / "variants").mkdir(parents=True)
    variants = [
        {"name": "base", "label": "base", "adds_method": False},
        {"name": "batch_norm", "label": "+ batch norm", "adds_method": True},
    ]
    (run / "config.json").write_text(
        json.dumps(
            {
                "kind": "ablation",
                "base": "model1",
                "dataset": "synthetic",
                "seeds": 3,
                "epochs": 2,
                "variants": variants,
            }
        )
    )
    from emnist_tuner.experiments.ablation import read_results

    for name, accs in (("base", (0.80, 0.81, 0.79)), ("batch_norm", (0.85, 0.87, 0.84))):
        for seed, acc in enumerate(accs):
            folder = run / "variants" / name / f"seed{seed}"
            folder.mkdir(parents=True)
            (folder / "result.json").write_text(
                json.dumps(
                    {"variant": name, "seed": seed, "test_accuracy": acc, "train_seconds": 1.0, "epochs_trained": 2}
                )
            )
    assert len(read_results(run)) == 6
    figures = build_figures(run)
    assert [name for name, _ in figures.figures] == ["ablation"]
    ax = dict(figures.figures)["ablation"].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["+ batch norm"]


def test_cli_writes_the_figures(search_run, tmp_path, capsys):
    code, out, err = run_cli(capsys, "plot", str(search_run), "--out", str(tmp_path / "o"), "--only", "history")
    assert code == 0, err
    assert out.strip() == f"wrote {tmp_path / 'o' / 'history.png'}"


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--only", "histogram"], 2, "--only: unknown figure 'histogram'; known: " + ", ".join(FIGURES)),
        (["--format", "jpg"], 2, "--format must be one of png, svg, got 'jpg'"),
        (["--out", "FILE"], 2, "is a file (or under one); choose a folder"),
    ],
)
def test_cli_bad_options_are_one_line_and_write_nothing(search_run, tmp_path, capsys, args, code, message):
    (tmp_path / "FILE").write_text("x")
    args = [str(tmp_path / "FILE") if a == "FILE" else a for a in args]
    before = sorted(tmp_path.rglob("*"))
    got, out, err = run_cli(capsys, "plot", str(search_run), *args)
    assert got == code and message in err and err.count("\n") == 1 and err.startswith("error: ")
    assert sorted(tmp_path.rglob("*")) == before


def test_cli_not_a_run_folder(tmp_path, capsys):
    code, _, err = run_cli(capsys, "plot", str(tmp_path), "--out", str(tmp_path / "o"))
    assert code == 1 and "is not a run folder" in err and not (tmp_path / "o").exists()


def test_cli_unwritable_out(search_run, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")  # a folder cannot be made under a file (permissions would not stop root)
    code, _, err = run_cli(capsys, "plot", str(search_run), "--out", str(blocker / "figs"))
    assert code == 2 and err.startswith("error: --out") and err.count("\n") == 1
    assert blocker.read_text() == "x"


def test_compare_plot(search_run, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(search_run, other)
    out = tmp_path / "side.png"
    code, stdout, err = run_cli(capsys, "compare", str(search_run), str(other), "--plot", str(out))
    assert code == 0, err
    assert stdout.rstrip().endswith(f"wrote {out}")
    with Image.open(out) as image:
        image.verify()
    code, stdout, err = run_cli(capsys, "compare", str(search_run), str(other), "--plot", str(tmp_path / "s.jpg"))
    assert code == 2 and "give a file name ending in .png or .svg" in err and stdout == ""
    assert not (tmp_path / "s.jpg").exists()


def test_transfer_figure_shows_each_fold_and_the_interval(search_run):
    results = {
        "transfer": {"mean": 0.88, "std": 0.01, "folds": [0.87, 0.88, 0.89]},
        "scratch": {"mean": 0.86, "std": 0.01, "folds": [0.85, 0.86, 0.87]},
        "difference": {"mean": 0.02, "std": 0.0, "folds": [0.02, 0.02, 0.02], "ci95": [0.01, 0.03]},
        "folds": 3,
        "seeds": 1,
        "size": 20,
        "backbone": "mnist",
        "winner": "trial 0004",
    }
    (search_run / "transfer").mkdir()
    (search_run / "transfer" / "results.json").write_text(json.dumps(results))
    figure = dict(build_figures(search_run, ["transfer"]).figures)["transfer"]
    dots, gap = figure.axes
    assert not dots.patches  # dots on a zoomed axis, not bars
    by_label = {line.get_label().split()[0]: line for line in dots.get_lines() if line.get_marker() == "o"}
    assert [round(v, 2) for v in by_label["transfer"].get_ydata()] == [87.0, 88.0, 89.0]
    assert [round(v, 2) for v in by_label["scratch"].get_ydata()] == [85.0, 86.0, 87.0]
    assert gap.get_title() == "mean +2.00 [+1.00, +3.00]"
    assert figure.get_suptitle().endswith("; interval: 95 %") and "each model" not in figure.get_suptitle()
    assert [line.get_marker() for line in dots.get_lines()].count("x") == 0
    single = {
        "transfer": {"mean": 0.85, "std": 0.01, "folds": [0.84, 0.85, 0.86]},
        "scratch": {"mean": 0.83, "std": 0.01, "folds": [0.82, 0.83, 0.84]},
    }
    ensemble = {**results, "ensemble": 3, "tta": 8, "single_model": single}
    (search_run / "transfer" / "results.json").write_text(json.dumps(ensemble))
    shown = dict(build_figures(search_run, ["transfer"]).figures)["transfer"]
    assert shown.get_suptitle().endswith("; each model: an ensemble of 3, TTA 8; interval: 95 %")
    crosses = {line.get_label(): line for line in shown.axes[0].get_lines() if line.get_marker() == "x"}
    one = crosses["scratch, one model without TTA 83.00 %"]
    assert [round(v, 2) for v in one.get_ydata()] == [82.0, 83.0, 84.0]
    assert "transfer, one model without TTA 85.00 %" in crosses and shown.axes[0].get_ylim()[0] < 82
    for name in ("transfer", "scratch", "difference"):  # two folds (a file written before the rule)
        results[name]["folds"] = results[name]["folds"][:2]
    (search_run / "transfer" / "results.json").write_text(json.dumps({**results, "folds": 2}))
    two = dict(build_figures(search_run, ["transfer"]).figures)["transfer"]
    assert two.axes[1].get_title() == "mean +2.00 (no interval: 2 folds)"
    assert "interval: 95 %" not in two.get_suptitle()
