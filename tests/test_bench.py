"""The bench scripts run, as real subprocesses, in their tiny modes (synthetic data) and print their tables.

No timing goal is checked here (machines are noisy): only that each script works end to end and
reports what it measured.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run_bench(script: str, *args: str, env: dict | None = None) -> list[str]:
    proc = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "160", **(env or {})},
        cwd=BENCH.parent,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()


def test_overhead_prints_its_phases_and_a_ratio_last():
    lines = run_bench("overhead.py", "--tiny", "--repeats", "1", "--no-tensorboard")
    text = "\n".join(lines)
    assert re.search(r"A with --no-tensorboard: total / epochs \(paired ratio \d+\.\d\d\)", text)
    for phase in ("until the first epoch", "epochs (fit incl. validation)", "after the last epoch", "total"):
        assert phase in text
    assert "synthetic" in text
    match = re.fullmatch(r"ratio (\d+\.\d\d)", lines[-1])
    assert match and 0.2 < float(match.group(1)) < 20


def test_pipeline_prints_pipeline_and_training_rates():
    lines = run_bench("pipeline.py", "--tiny", "--presets", "dense")
    text = "\n".join(lines)
    assert "Keras array adapter" in text and "in-model preprocessing" in text and "fit dense" in text
    assert re.fullmatch(r"ratio \d+\.\d\d", lines[-1])


def test_gpu_cpu_mode_prints_images_per_second_per_preset():
    lines = run_bench("gpu.py", "--cpu", "--tiny", "--presets", "dense")
    text = "\n".join(lines)
    assert "images/s" in text and "dense" in text and "CPU" in text
    assert re.search(r"│ dense\s+│\s+101,770 │", text)  # the dense preset's parameter count at 10 classes


def test_memory_reports_rss_per_trial_and_a_ratio_last():
    lines = run_bench("memory.py", "--tiny")
    text = "\n".join(lines)
    assert "RSS (MiB) at the end of each trial" in text and "last / first" in text
    rows = [line for line in lines if re.match(r"│\s+\d+ │\s+\d+ │", line)]
    assert len(rows) == 3  # --tiny: 3 Hyperband iterations of one one-epoch trial each
    assert re.fullmatch(r"workers of \d+ \(default\): allocator (tcmalloc|glibc)", lines[-2])
    assert re.fullmatch(r"ratio \d+\.\d\d", lines[-1])


def test_quick_profile_tiny_prints_its_table_and_minutes_last():
    lines = run_bench("quick_profile.py", "--tiny")
    text = "\n".join(lines)
    assert "trials run / scheduled" in text and "held-out test accuracy" in text
    assert re.fullmatch(r"minutes \d+\.\d", lines[-1])


def test_predict_prints_accuracy_of_files_and_arrays_and_every_export_format():
    lines = run_bench("predict.py", "--tiny")
    text = "\n".join(lines)
    assert "scan-like PNG/JPEG files" in text and "arrays (.npy, as stored)" in text
    for fmt in ("keras", "saved_model", "onnx", "litert"):
        assert re.search(rf"│ {fmt}\s+│ .+│\s+1\.0000 │", text), fmt
    assert re.fullmatch(r"difference -?\d+\.\d\d", lines[-1])


def test_precision_prints_each_policy_per_preset():
    lines = run_bench("precision.py", "--tiny")
    text = "\n".join(lines)
    assert re.search(r"│ dense\s+│ float32\s+│.*│\s+1\.00x │", text)
    assert re.search(r"│ dense\s+│ mixed_bfloat16\s+│", text)


def test_plot_times_every_figure_and_both_commands():
    lines = run_bench("plot.py", "--tiny", "--repeats", "1")
    text = "\n".join(lines)
    assert "23 trials" in text
    for name in (
        "history",
        "curves",
        "pareto",
        "importance",
        "effects",
        "confusion",
        "per-class",
        "confused-images",
        "transfer",
        "ablation",
    ):
        assert any(line.strip().strip("│ ").startswith(name) for line in lines), name
    assert re.search(r"emnist-tuner plot RUN: \d+\.\d s wall", text)
    assert re.fullmatch(r"all figures \d+\.\d\d s", lines[-1])


def test_transfer_recipes_tests_candidates_on_the_selection_fold_only():
    lines = run_bench("transfer_recipes.py", "--tiny")
    text = "\n".join(lines)
    assert "selection fold: 234 images, trained on the other 1170" in text
    assert re.search(r"best transfer: T1 .*\(\d+\.\d\d %\)", text) and re.search(
        r"best scratch: S8 .*\(\d+\.\d\d %\)", text
    )


def test_final_recipe_prints_each_recipe_and_the_ensemble():
    lines = run_bench("final_recipe.py", "--tiny")
    text = "\n".join(lines)
    for recipe in ("before", "default", "long-ls-ema"):
        for seed in (0, 1):
            assert re.search(rf"│ {recipe}\s+│\s+{seed} │\s+1 │\s+\d+\.\d\d │", text), recipe
        assert re.search(
            rf"^{recipe}: mean \d+\.\d\d ± \d+\.\d\d % over 2 seeds; ensemble of the 2 "
            rf"\(mean softmax\): \d+\.\d\d %$",
            text,
            re.M,
        ), recipe


def test_race_runs_both_tools_on_the_same_trials():
    text = "\n".join(run_bench("race.py", "--tiny"))
    assert "trials with the same values in both: 5 of 5" in text  # equal terms: the same Hyperband trials
    for tool in ("plain KerasTuner", "emnist-tuner"):
        assert re.search(rf"{tool}, best val accuracy over time: \d+ s: \d\.\d{{4}}", text)
    assert re.search(r"search phase, ours / plain: \d+\.\d\d$", text)


def test_tta_prints_one_line_per_number_of_copies():
    lines = run_bench("tta.py", "--tiny", "--copies", "2,3", "--repeats", "2")
    assert re.fullmatch(r"1 copy \(no TTA\): \d+\.\d\d %", lines[-3])
    for line, copies in zip(lines[-2:], (2, 3)):
        assert re.fullmatch(rf"{copies} copies: \d+\.\d\d ± \d+\.\d\d % over 2 repeats", line)


POOL = r"TensorFlow's pool \(TensorFlow's default\)"


@pytest.mark.parametrize(
    "setting, labels",
    [
        ("opts", [r"oneDNN on \(TensorFlow's default\)", "oneDNN off"]),
        (
            "allocator",
            [
                POOL,
                *[
                    name
                    for name in ("jemalloc", "tcmalloc")
                    if ctypes.util.find_library(f"{name}") or ctypes.util.find_library(f"{name}_minimal")
                ],
            ],
        ),
        ("glibc", [POOL, "system malloc", "system malloc, glibc heaps kept"]),
    ],
)
def test_onednn_times_each_value_of_a_setting(setting, labels):
    lines = run_bench("onednn.py", "--tiny", "--presets", "dense", "--setting", setting)
    if setting == "allocator":  # what is not installed is said to be left out
        left_out = {"jemalloc", "tcmalloc"} - set(labels)
        assert {line.split(":")[0] for line in lines if "is not installed)" in line} == left_out
    for what, unit in (("dense", "s"), ("peak RSS of the process", "MiB")):
        results = [line for line in lines if line.startswith(f"{what}, ")]
        assert len(results) == len(labels)
        assert re.fullmatch(
            rf"{what}, {labels[0]}: \d+\.\d\d {unit} \(1\.00x the first's\); all: \d+\.\d\d", results[0]
        )
        for label, line in zip(labels[1:], results[1:]):
            assert re.fullmatch(rf"{what}, {label}: \d+\.\d\d {unit} \(\d+\.\d\dx the first's\); all: \d+\.\d\d", line)
    if setting == "glibc":
        assert "TF_ONEDNN_USE_SYSTEM_ALLOCATOR=1 MALLOC_MMAP_THRESHOLD_=33554432" in "\n".join(lines)


def test_input_stalls_times_both_feeds_epoch_by_epoch():
    lines = run_bench("input_stalls.py", "--tiny")
    text = "\n".join(lines)
    assert "synthetic" in text
    for feed in (r"arrays \(Keras' adapter, autotuned\)", r"training\.batches \(ours\)"):
        assert len(re.findall(rf"round \d, {feed}: epochs \d+\.\d\d \d+\.\d\d s; after the last epoch", text)) == 2
        assert re.search(rf"{feed}: steady epoch median \d+\.\d\d s, mean .* over 1\.3x the fastest: \d of 2", text)
    assert re.fullmatch(r"ratio \d+\.\d\d", lines[-1])


def test_serve_pages_prints_answer_times_and_the_servers_memory():
    lines = run_bench("serve_pages.py", "--tiny")
    text = "\n".join(lines)
    assert "23 trials" in text and "run data (JSON)" in text and "plotly.min.js" in text
    assert "tensorflow loaded: no" in text
    match = re.fullmatch(r"rss_mib (\d+)", lines[-1])
    assert match and 10 < int(match.group(1)) < 300


def test_try_page_draws_test_digits_in_chromium_and_compares_with_predict():
    from helpers import CHROMEDRIVER, CHROMIUM
    from optional import require

    require(
        "browser", bool(CHROMIUM and CHROMEDRIVER), "not installed: chromium, chromedriver (Debian: chromium-driver)"
    )
    lines = run_bench("try_page.py", "--tiny")
    text = " ".join(" ".join(lines).split())
    for row in ("arrays (.npy, as stored)", "28x28 PNG files (predict)", "drawn on the Try page (Chromium)"):
        assert re.search(rf"{re.escape(row)} │ +\d+\.\d\d % │", text), row
    assert "the first 10 synthetic test images drawn on the canvas" in text and "0 answered an error" in text
    assert re.fullmatch(r"difference -?\d+\.\d\d", lines[-1])


def test_own_data_tiny_converts_each_format_and_times_a_folder():
    lines = run_bench("own_data.py", "--tiny")
    text = "\n".join(lines)
    for source in ("npz", "csv", "folder"):
        assert re.search(rf"│ {source}\s+│ .+│ ([0-9a-f]{{16}}) │ \1 │ same\s+│", text), source
    assert re.search(r"│ 40x40 scans \(glyph function\)\s+│ \d+\.\d\d\s+│ \d+\.\d\d\s+│ 200\s+│", text)
    assert lines[-1] == "same arrays"


@pytest.mark.realdata
def test_own_data_gives_the_built_in_loaders_arrays_on_the_real_data(shared_data):
    lines = run_bench("own_data.py", "--data-dir", str(shared_data), "--no-timing")
    text = "\n".join(lines)
    for name, source in (("binary-alphadigits", "folder"), ("emnist-letters-sample", "csv"), ("mnist", "npz")):
        assert re.search(rf"│ {name}\s+│ {source}\s+│ .+│ ([0-9a-f]{{16}}) │ \1 │ same\s+│ same\s+│", text), name
    assert lines[-1] == "same arrays"


def test_time_budget_prints_one_line_per_budget_and_no_late_start():
    lines = run_bench("time_budget.py", "--tiny", "--budgets", "25")
    assert lines[-2].split()[0] == "25" and "budget" in lines[-3]
    # no trial starts after the budget: what the option promises, whatever the machine's speed
    assert re.fullmatch(r"budgets 1 late 0 worst-overshoot -?\d+\.\d", lines[-1]), lines


def test_workers_runs_one_and_two_workers_on_the_same_trials():
    lines = run_bench("workers.py", "--tiny")
    text = "\n".join(lines)
    rows = [line for line in lines if re.match(r"│\s+[12] │", line)]
    assert len(rows) == 2 and all(re.search(r"│\s+5 │ .* │\s+yes │$", row) for row in rows), text
    assert re.fullmatch(r"ratio \d+\.\d\d", lines[-1])


def test_transfer_ingredients_gives_each_ensemble_size_with_and_without_tta():
    lines = run_bench("transfer_ingredients.py", "--tiny")
    rows = [re.findall(r"[-+]?\d+\.\d+|\b\d\b|yes|no", line) for line in lines if line.startswith("│")]
    assert [(row[0], row[1]) for row in rows] == [(str(k), tta) for k in (1, 2, 3) for tta in ("no", "yes")]
    for row in rows:  # mean ± std per model, then transfer - scratch: the difference of the two means
        transfer, scratch, difference = float(row[2]), float(row[4]), float(row[6])
        assert difference == pytest.approx(transfer - scratch, abs=0.011)
    assert float(rows[4][2]) > float(rows[2][2]) > float(rows[0][2])  # the made-up members: more is better
