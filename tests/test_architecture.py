"""The package's architecture, enforced: the import chain between sub-packages, the one owner of the
run-folder format, and KerasTuner reached beyond its public API in one module only.

The chain (README, "Layout"): each layer imports only layers before it, at module level or inside
a function alike (a function-level import only delays a heavy import; it is no way around the rule).
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

from optional import require

PACKAGE = Path(__file__).resolve().parent.parent / "emnist_tuner"
LAYERS = [
    {"errors", "io", "quiet", "study"},
    {"data"},
    {"searchspace"},
    {"runfolder"},
    {"tracking"},
    {"training"},
    {"inference"},
    {"hyperband"},
    {"experiments"},
    {"reports"},
    {"figures"},
    {"web"},
    {"api"},
    {"cli"},
]
KT_EXTENSION_MODULE = "hyperband/kt_ext.py"
# the modules that subclass KerasTuner and may override or read its private names (README, "Layout")
KT_PRIVATE_ALLOWED = {KT_EXTENSION_MODULE, "hyperband/oracle.py", "hyperband/tuner.py", "hyperband/schedule.py"}


def _layer_of(top: str) -> int | None:
    return next((i for i, names in enumerate(LAYERS) if top in names), None)


def _imported_modules(path: Path, package: Path) -> list[tuple[int, str]]:
    """(line, dotted module inside the package) for every import of ``path``, relative or absolute."""
    module_parts = path.relative_to(package).with_suffix("").parts
    here = module_parts[:-1] if path.name != "__init__.py" else module_parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - (node.level - 1)]) if node.level > 1 else list(here)
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [alias.name] for alias in node.names] if not node.module else [target]
                found += [(node.lineno, ".".join(n)) for n in names]
            elif node.module and node.module.split(".")[0] == package.name:
                found.append((node.lineno, ".".join(node.module.split(".")[1:])))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, ".".join(a.name.split(".")[1:]))
                for a in node.names
                if a.name.split(".")[0] == package.name
            ]
    return found


def import_violations(package: Path = PACKAGE) -> list[str]:
    """Every import that goes up (or sideways into an unknown top-level module) the layer chain."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        if rel.parts == ("__init__.py",):
            continue  # the package root re-exports the API lazily
        own = _layer_of(rel.parts[0].removesuffix(".py"))
        if own is None:
            problems.append(f"{rel}: not in any layer (add it to the chain in tests/test_architecture.py)")
            continue
        for line, module in _imported_modules(path, package):
            top = module.split(".")[0]
            if not top or top == "__version__":  # the package root's own version string
                continue
            layer = _layer_of(top)
            if layer is None or layer > own:
                problems.append(f"{rel}:{line} imports {module} ({top} comes after {rel.parts[0]} in the chain)")
    return problems


def test_the_package_follows_the_import_chain():
    assert import_violations() == []


def test_an_upward_import_is_caught(tmp_path):
    copy = tmp_path / "emnist_tuner"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "runfolder" / "sneaky.py").write_text("def f():\n    from ..reports.leaderboard import leaderboard_table\n")
    (copy / "data" / "sneaky.py").write_text("from emnist_tuner.training import fit\n")
    problems = import_violations(copy)
    assert problems == [
        "data/sneaky.py:1 imports training (training comes after data in the chain)",
        "runfolder/sneaky.py:2 imports reports.leaderboard (reports comes after runfolder in the chain)",
    ]


RUN_FILE_NAMES = (
    "config.json",
    "status.json",
    "run.lock",
    "final.json",
    "best_model.keras",
    "metrics.json",
    "history.json",
    "test_predictions.npy",
    "confusion.json",
    "model.keras",
    "backbone.keras",
    "retrain.json",
    "transfer.json",
    "result.json",
    "results.json",
    "oracle.json",
    "trial.json",
    "checkpoint.weights.h5",
    "worker.log",
    "chief.log",
    ".last-good",
)


def test_run_folder_names_are_spelled_in_runs_only():
    """Each run file's name is a string literal in ``runfolder/`` only (docstrings and messages aside)."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "runfolder":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in RUN_FILE_NAMES:
                offenders.append(f"{rel}:{node.lineno} {node.value!r}")
    assert offenders == []


def test_keras_tuner_internals_are_reached_from_one_module_only():
    """No ``keras_tuner.src`` import, and no assignment to an attribute of a KerasTuner module or of an
    object the module does not own (``x.attr = …`` with ``x`` not ``self``), outside ``kt_ext``."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.as_posix() == KT_EXTENSION_MODULE:
            continue
        text = path.read_text()
        offenders += [f"{rel}: imports keras_tuner.src" for _ in re.finditer(r"keras_tuner\.src", text)]
        kt_names = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module = getattr(node, "module", None) or ""
                for alias in node.names:
                    if (module or alias.name).startswith("keras_tuner"):
                        kt_names.add(alias.asname or alias.name.split(".")[0])
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id in kt_names
                    ):
                        offenders.append(f"{rel}:{node.lineno} assigns {target.value.id}.{target.attr}")
    assert offenders == []


def keras_tuner_private_names() -> set[str]:
    """The private names (``_x``, not dunders) KerasTuner's own source defines: methods and attributes."""
    import keras_tuner

    names = set()
    for path in Path(keras_tuner.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def private_uses(tree: ast.Module, private: set[str]) -> list[tuple[int, str]]:
    """(line, name) where ``tree`` reads or sets a KerasTuner private attribute, or overrides a private
    method (a method of a class; a module-level function of the same name is our own)."""
    found = [(n.lineno, n.attr) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in private]
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        found += [(n.lineno, n.name) for n in cls.body if isinstance(n, ast.FunctionDef) and n.name in private]
    return sorted(found)


def kt_ext_import_line(tree: ast.Module) -> int | None:
    """The first line that imports ``kt_ext`` (which checks KerasTuner's version on import)."""
    lines = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        and ((n.module or "").endswith("kt_ext") or any(a.name == "kt_ext" for a in n.names))
    ]
    return min(lines, default=None)


def test_keras_tuner_private_names_only_in_the_allowed_modules_each_version_checked_first():
    private = keras_tuner_private_names()
    assert {"_random_values", "_retry_queue", "_build_and_fit_model", "_get_num_brackets"} <= private
    offenders, seen = [], set()
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text())
        uses = private_uses(tree, private)
        if not uses:
            continue
        seen.add(rel)
        if rel not in KT_PRIVATE_ALLOWED:
            offenders += [f"{rel}:{line} uses KerasTuner's private {name}" for line, name in uses]
        elif rel != KT_EXTENSION_MODULE:
            first = kt_ext_import_line(tree)
            if first is None or first > uses[0][0]:
                offenders.append(f"{rel}:{uses[0][0]} uses {uses[0][1]} before importing kt_ext (the version check)")
    assert offenders == []
    assert seen == KT_PRIVATE_ALLOWED  # the list holds no module that no longer needs to be on it
    checks = [
        n
        for n in ast.parse((PACKAGE / KT_EXTENSION_MODULE).read_text()).body
        if isinstance(n, ast.Expr)
        and isinstance(n.value, ast.Call)
        and getattr(n.value.func, "id", "") == "check_version"
    ]
    assert checks, "kt_ext must check KerasTuner's version when it is imported"


def test_the_boundary_check_sees_a_private_name(tmp_path):
    tree = ast.parse("class T(Base):\n    def _random_values(self):\n        return self._retry_queue\n")
    assert private_uses(tree, {"_random_values", "_retry_queue"}) == [(2, "_random_values"), (3, "_retry_queue")]
    assert private_uses(ast.parse("def _random_values():\n    pass\n"), {"_random_values"}) == []
    assert kt_ext_import_line(ast.parse("x = 1\nfrom . import kt_ext\n")) == 2


def test_modules_stay_small():
    # lines that hold something: ruff's format spreads a long signature over one line per argument
    sizes = {
        str(p.relative_to(PACKAGE)): sum(1 for line in p.read_text().splitlines() if line.strip())
        for p in PACKAGE.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 320} == {}


def test_no_source_file_is_ignored_by_git():
    """A .gitignore pattern meant for output folders (runs/, data/, logs/) must not hide package or test files."""
    import subprocess

    repo = PACKAGE.parent
    require("git", (repo / ".git").exists(), "not a git checkout")
    files = [
        str(p.relative_to(repo))
        for folder in (PACKAGE, repo / "tests")
        for p in folder.rglob("*.py")
        if "__pycache__" not in p.parts
    ]
    ignored = subprocess.run(["git", "check-ignore", *files], cwd=repo, capture_output=True, text=True).stdout
    assert ignored.split() == []
