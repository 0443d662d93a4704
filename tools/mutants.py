"""Mutation testing of the modules that decide numbers without training (``make mutants``).

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) mutates the files listed there and runs, for
each mutant, only the fast tests that call the mutated function. This script picks the functions in
scope (``SCOPE``: the pure ones of a module that also trains or exports), runs mutmut on them, and
prints the kill ratio per module. TESTING.md explains the choices and lists the surviving mutants.

    python tools/mutants.py run [--jobs N]     # mutate, test, then the summary (what `make mutants` does)
    python tools/mutants.py run --survivors    # test again only the mutants the last run did not kill
    python tools/mutants.py summary [--survivors]   # the summary of the last run

``run --survivors`` is for after adding tests: a mutant the last run killed stays killed (tests are only
added), so only the others are run again, and the last run's verdicts are kept for the rest.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"  # mutmut's working copy (ignored by git)

# module -> the functions mutated (mutmut's names: x_<function>, xǁ<Class>ǁ<method>); "*" is every one.
SCOPE: dict[str, tuple[str, ...]] = {
    "emnist_tuner.runfolder.configs": ("*",),
    "emnist_tuner.runfolder.train_configs": ("*",),
    "emnist_tuner.runfolder.config_diff": ("*",),
    "emnist_tuner.runfolder.origin": ("*",),
    "emnist_tuner.runfolder.ablation_config": ("*",),
    "emnist_tuner.runfolder.layout": ("*",),
    "emnist_tuner.runfolder.lifecycle": ("*",),
    "emnist_tuner.runfolder.recipe_config": ("*",),
    "emnist_tuner.runfolder.repair": ("*",),
    "emnist_tuner.runfolder.transfer_config": ("*",),
    "emnist_tuner.runfolder.trials": ("*",),
    "emnist_tuner.data.prepare": ("*",),
    # the splits and the subset; reading and verifying files is left out
    "emnist_tuner.data.datasets": (
        "x_stratified_split",
        "x_stratified_subset",
        "x_load_dataset",
        "x__raw_arrays",
        "xǁDatasetǁtrain_and_val",
    ),
    "emnist_tuner.data.glyphs": ("*",),
    "emnist_tuner.hyperband.schedule": ("*",),
    "emnist_tuner.figures.search_data": ("*",),
    "emnist_tuner.figures.importance_data": ("*",),
    "emnist_tuner.figures.accuracy_data": ("*",),
    "emnist_tuner.experiments.stats": ("*",),
    "emnist_tuner.reports.leaderboard": ("*",),
    # the accept/reject decision and the option checks; writing and running each format needs TensorFlow
    "emnist_tuner.inference.export": ("x_check_options", "x_export"),
}

KILLED = {"killed", "timeout", "segfault", "caught by type check"}
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout"}
STATUS |= {-24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", -11: "segfault", -9: "segfault"}


def mutant_globs() -> list[str]:
    return [f"{module}.{function}__mutmut_*" for module, functions in SCOPE.items() for function in functions]


def in_scope(name: str) -> str | None:
    """The module of mutant ``name`` when it is in ``SCOPE``, else None."""
    module, _, function = name.split("__mutmut_")[0].rpartition(".")
    patterns = SCOPE.get(module, ())
    return module if any(fnmatch.fnmatchcase(function, p) for p in patterns) else None


def _read_meta(meta: Path) -> dict:
    for _ in range(20):  # mutmut rewrites it while it runs
        try:
            return json.loads(meta.read_text())
        except ValueError:
            time.sleep(0.1)
    return json.loads(meta.read_text())


def results() -> dict[str, dict[str, str]]:
    """module -> {mutant name: status} of the last run, for the mutants in scope."""
    out: dict[str, dict[str, str]] = {module: {} for module in SCOPE}
    for meta in sorted(WORK.rglob("*.py.meta")):
        for name, code in _read_meta(meta)["exit_code_by_key"].items():
            module = in_scope(name)
            if module:
                out[module][name] = "not checked" if code is None else STATUS.get(code, "suspicious")
    return out


def _def_line(module: str, key: str) -> int:
    """The line of the ``def`` of mutmut's function key (x_name, or xǁClassǁname) in ``module``'s source."""
    import ast

    source = ROOT / (module.replace(".", "/") + ".py")
    cls, _, name = key[2:].rpartition("ǁ") if key.startswith("xǁ") else ("", "", key[2:])
    cls = cls.lstrip("ǁ")
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ClassDef) and cls and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    return item.lineno
        if not cls and isinstance(node, ast.FunctionDef) and node.name == name and node.col_offset == 0:
            return node.lineno
    return 0


def describe(name: str) -> str:
    """``line N: old -> new`` for mutant ``name`` (its source line and the change), from mutmut's diff."""
    import os

    from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

    os.chdir(ROOT)
    diff = get_diff_for_mutant(name, path=find_mutant(name).path).splitlines()
    module, key = name.split("__mutmut_")[0].rsplit(".", 1)
    start, offset, old, new = 1, 0, [], []
    for line in diff[2:]:
        if line.startswith("@@"):
            start, offset = int(line.split()[1].split(",")[0][1:]), 0
        elif line.startswith("-"):
            old.append((start + offset, line[1:].strip()))
            offset += 1
        elif line.startswith("+"):
            new.append(line[1:].strip())
        else:
            offset += 1
    first = _def_line(module, key) + old[0][0] - 1 if old else 0
    return f"line {first}: `{' '.join(t for _, t in old)}` -> `{' '.join(new)}`"


def summary(survivors: bool = False) -> float:
    table = results()
    total = Counter()
    print(f"{'module':42} {'mutants':>8} {'killed':>7} {'survived':>9} {'no tests':>9} {'kill ratio':>11}")
    for module, statuses in table.items():
        counts = Counter("killed" if s in KILLED else s for s in statuses.values())
        checked = sum(n for s, n in counts.items() if s != "not checked")
        total.update(counts)
        ratio = f"{100 * counts['killed'] / checked:.1f} %" if checked else "-"
        print(f"{module:42} {checked:8} {counts['killed']:7} {counts['survived']:9} {counts['no tests']:9} {ratio:>11}")
    checked = sum(n for s, n in total.items() if s != "not checked")
    overall = total["killed"] / checked if checked else 0.0
    print(
        f"{'all':42} {checked:8} {total['killed']:7} {total['survived']:9} {total['no tests']:9} "
        f"{100 * overall:10.1f} %"
    )
    if total["not checked"]:
        print(f"({total['not checked']} mutants in scope were not checked)")
    if survivors:
        for statuses in table.values():
            for name, status in sorted(statuses.items()):
                if status not in KILLED and status != "not checked":
                    print(f"{status}: {name}: {describe(name)}")
    return overall


def _exit_codes() -> dict[Path, dict]:
    return {meta: _read_meta(meta) for meta in sorted(WORK.rglob("*.py.meta"))}


def run(jobs: int, survivors: bool = False) -> None:
    previous = _exit_codes() if survivors else {}
    if survivors:
        names = [name for statuses in results().values() for name, s in statuses.items() if s not in KILLED]
        if not names:
            sys.exit("no surviving mutant to run again")
    else:
        shutil.rmtree(WORK, ignore_errors=True)  # mutmut keeps stale copies of changed sources otherwise
        names = mutant_globs()
    started = time.monotonic()
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *names]
    with open(ROOT / "mutants.log", "w") as log:  # its per-mutant progress lines go here
        code = subprocess.call(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    minutes = (time.monotonic() - started) / 60
    if code != 0:
        sys.exit(f"mutmut failed (exit {code}); see mutants.log")
    for meta, old in previous.items():  # a changed test selection makes mutmut forget every verdict
        now = json.loads(meta.read_text())
        for name, exit_code in old["exit_code_by_key"].items():
            if now["exit_code_by_key"].get(name) is None:
                now["exit_code_by_key"][name] = exit_code
        meta.write_text(json.dumps(now))
    summary()
    print(f"{minutes:.1f} minutes; `mutmut show NAME` shows a mutant, `python tools/mutants.py summary --survivors`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    runner = sub.add_parser("run")
    runner.add_argument("--jobs", type=int, default=2)
    runner.add_argument("--survivors", action="store_true", help="only the mutants the last run did not kill")
    sub.add_parser("summary").add_argument("--survivors", action="store_true")
    args = parser.parse_args()
    if args.command == "run":
        run(args.jobs, args.survivors)
    else:
        summary(args.survivors)


if __name__ == "__main__":
    main()
