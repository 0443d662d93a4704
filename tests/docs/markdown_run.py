"""Run the code of a Markdown page as a test: its shell commands and its Python blocks.

Generic, for any page (README.md, the pages of a docs site); what is page-specific (how each command is
made tiny, what it needs, what is skipped and why) is a ``Page``; a ``Site`` is the pages a reader follows in
order (README.md, then the docs site's pages), whose session commands run in one folder, page after page.

What a page holds, as parsed here (``parse``):

- a fenced block whose lines start with ``$ `` is a transcript: each ``$ `` line is a command (``\\``
  continues it on the next line), the lines below it, up to the next ``$ `` line, its shown output;
- any other ``bash``/``sh``/``shell``/``console`` block, or a block without a language, is a list of
  commands, one a line (``#`` lines are comments);
- a ``python`` block is run as a script;
- blocks in any other language (``text``, ``json``, …) are not run.

A command's key is its text as written, without a trailing ``# comment``, whitespace collapsed; a Python
block's key is ``python: <heading> #N`` (the N-th Python block under that heading).

How a shown output is compared with the real one (``compare``), after normalising (the run's folder
taken out of paths; what depends on the machine, such as the precision and the allocator on a
``devices:`` line, replaced by a placeholder on both sides):

- shown lines starting with ``error:`` are what the command writes to stderr, the others its stdout;
- a line ``...`` (or ``…``) stands for any lines, ``…`` inside a line for any text;
- ``exact``: the text must be the same, whitespace collapsed (the page may wrap long lines); a table must
  be the same, drawn at the page's width (the command runs with ``COLUMNS`` = its widest table line);
- ``masked``: the same, except that every number matches any number (the run is tiny, the page's was
  not) and a table is compared by its column headers only;
- ``shape``: only each table's title (the line above it, numbers masked) and column headers, in order;
  a header that repeats a group of columns side by side (a long table folded in two) counts once;
- ``none``: the output is not compared (exit code and stderr still are).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

SHELL_LANGS = {"", "bash", "sh", "shell", "console", "shell-session"}
ELLIPSIS = re.compile(r"^\s*(\.\.\.|…)\s*$")
TABLE_START = "┏"
TABLE_LINE = tuple("┏┃┡│├└╇┗")
NUMBER = re.compile(r"[-+]?\d+(?:[.,:]\d+)*(?:e[-+]?\d+)?")
WILD = "\x00"
# What depends on the machine and not on the package: the precision `auto` picks and why, the allocator.
MACHINE = [
    (re.compile(r"precision \S+ \([^)]*\)"), "precision <machine>"),
    (re.compile(r"memory from .*$", re.M), "memory from <machine>"),
]


@dataclass(frozen=True)
class Snippet:
    """One command, or one Python block, of a page."""

    page: Path
    line: int  # where it starts in the page (1-based)
    kind: str  # "shell" or "python"
    key: str
    code: str  # the command (continuations joined, comment removed) or the Python source
    comment: str = ""
    shown: str | None = None  # the output shown below a `$ ` command; None where none is shown
    label: str = ""  # the page as named in messages (its path in the repository); else its file name

    def where(self) -> str:
        return f"{self.label or self.page.name}:{self.line}"


@dataclass(frozen=True)
class Tiny:
    """How one command or block of a page is run, and how its shown output is compared."""

    run: str | None = None  # the command actually run (tiny settings); None: as written
    check: str = "exact"  # exact | masked | shape | none
    exit: int = 0
    session: bool = True  # run in the page's shared folder, after the page's earlier commands (slow)
    setup: Callable[[Path], None] | None = None  # prepares the folder before the command runs
    realdata: bool = False  # needs the real data folder
    subs: tuple[tuple[str, str], ...] = ()  # (the page's text, what the tiny run prints there instead)
    vary_after: str | None = None  # shape: table columns after this one depend on the run
    edits: tuple[tuple[str, str], ...] = ()  # Python blocks: (text, replacement) made in the source
    expect: tuple[str, ...] = ()  # regular expressions the output must match (blocks without a shown output)
    files: tuple[str, ...] = ()  # files the run must leave in its folder
    after: Callable[[Path, str], list[str]] | None = None  # more checks: (folder, stdout) -> problems
    xfail: dict[str, str] = field(default_factory=dict)  # "output" / "stderr": a known bug in the code
    # Not run again: the result of the same command on that page (its label) is compared with this page's
    # shown output (this Tiny's check, subs, expect, files); for a command that two pages show.
    same_as: str | None = None


@dataclass
class Result:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float


# ---------------------------------------------------------------------------------------------- parsing


def _strip_comment(line: str) -> tuple[str, str]:
    """``cmd args  # comment`` -> (``cmd args``, ``comment``); a ``#`` inside quotes or a word stays."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
    return line.rstrip(), ""


def _commands(lines: list[tuple[int, str]]) -> list[tuple[int, str, str]]:
    """(line number, command, comment) of each command, ``\\`` continuations joined."""
    found, pending, start = [], "", 0
    for number, raw in lines:
        text, comment = _strip_comment(raw)
        if not pending and not text.strip():
            continue
        start = start if pending else number
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        found.append((start, " ".join((pending + text).split()), comment))
        pending = ""
    return found


def parse(page: Path, label: str = "") -> list[Snippet]:
    snippets: list[Snippet] = []
    heading, python_counts = "", {}
    lines = page.read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = re.match(r"^\s*(```+|~~~+)\s*([\w+-]*)", line)
        if not fence:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            i += 1
            continue
        marker, lang = fence.group(1), fence.group(2).lower()
        body_start = i + 1
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(marker):
            i += 1
        body = [(body_start + 1 + k, text) for k, text in enumerate(lines[body_start:i])]
        i += 1
        if lang in ("python", "py"):
            python_counts[heading] = python_counts.get(heading, 0) + 1
            key = f"python: {heading.replace('`', '')} #{python_counts[heading]}"
            code = "\n".join(text for _, text in body) + "\n"
            snippets.append(Snippet(page, body_start, "python", key, code, label=label))
        elif lang in SHELL_LANGS:
            snippets += _shell_block(page, body, label)
    return snippets


def _shell_block(page: Path, body: list[tuple[int, str]], label: str = "") -> list[Snippet]:
    if not any(text.startswith("$ ") for _, text in body):
        return [Snippet(page, n, "shell", cmd, cmd, comment, label=label) for n, cmd, comment in _commands(body)]
    snippets, k = [], 0
    while k < len(body):
        number, text = body[k]
        if not text.startswith("$ "):
            k += 1  # text above the first command: not an output of anything
            continue
        command_lines = [(number, text[2:])]
        while command_lines[-1][1].rstrip().endswith("\\") and k + 1 < len(body):
            k += 1
            command_lines.append(body[k])
        k += 1
        shown = []
        while k < len(body) and not body[k][1].startswith("$ "):
            shown.append(body[k][1])
            k += 1
        while shown and not shown[-1].strip():
            shown.pop()
        (_, cmd, comment), *_ = _commands(command_lines)
        shown_text = "\n".join(shown) if shown else None
        snippets.append(Snippet(page, number, "shell", cmd, cmd, comment, shown_text, label))
    return snippets


# -------------------------------------------------------------------------------------------- running


def argv_and_env(command: str) -> tuple[list[str], dict[str, str]]:
    """A command line as argv, with its leading ``NAME=value`` assignments as environment."""
    words = shlex.split(command)
    env = {}
    while words and re.match(r"^[A-Za-z_]\w*=", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return words, env


def entry_point(program: str) -> list[str]:
    """The installed console script of this interpreter's environment, else ``python -m`` of ``module``."""
    script = Path(sys.executable).with_name(program)
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", program.replace("-", "_") + ".cli"]


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> Result:
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return Result(argv, done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def table_width(shown: str | None) -> int | None:
    """The widest table line of a shown output: the terminal width it was drawn at, or near it."""
    widths = [len(line.rstrip()) for line in (shown or "").splitlines() if line.startswith(TABLE_LINE)]
    return max(widths) if widths else None


# ------------------------------------------------------------------------------------------ comparing


def normalise(text: str, folder: Path | None = None) -> str:
    if folder is not None:
        for form in {str(folder), str(folder.resolve())}:
            text = text.replace(form + os.sep, "").replace(form, ".")
    for pattern, placeholder in MACHINE:
        text = pattern.sub(placeholder, text)
    return text


def split_streams(shown: str) -> tuple[str, list[str]]:
    """A shown output as (its stdout part, its ``error:`` lines)."""
    lines = shown.splitlines()
    return "\n".join(line for line in lines if not line.startswith("error:")), [
        line for line in lines if line.startswith("error:")
    ]


def _headers(rows: list[str]) -> list[str]:
    """Column headers of a rich table's header rows (``┃ a ┃ b ┃``), wrapped header cells joined."""
    cells = [[cell.strip() for cell in row.strip().split("┃")[1:-1]] for row in rows if row.startswith("┃")]
    if not cells:
        return []
    columns = [" ".join(row[i] for row in cells if i < len(row) and row[i]) for i in range(len(cells[0]))]
    for period in range(1, len(columns)):
        if len(columns) % period == 0 and columns == columns[:period] * (len(columns) // period):
            return columns[:period]  # a long table folded side by side
    return columns


def _row_names(block: list[str]) -> list[str]:
    """The first cell of each body row of a table (a wrapped first cell's continuation left out)."""
    body = [row for row in block if row.startswith("│")]
    return [name for name in (row.split("│")[1].strip() for row in body) if name]


def items(text: str) -> list[tuple]:
    """A transcript as items: ("text", line), ("more",) for an elision, and
    ("table", title, headers, lines, row names, complete) where complete: drawn to its bottom border."""
    out: list[tuple] = []
    lines = text.splitlines()
    k = 0
    while k < len(lines):
        line = lines[k]
        if ELLIPSIS.match(line):
            out.append(("more",))
            k += 1
        elif line.startswith(TABLE_START):
            block = []
            while k < len(lines) and lines[k].startswith(TABLE_LINE):
                block.append(lines[k])
                k += 1
            head = []
            for row in block[1:]:
                if not row.startswith("┃"):
                    break
                head.append(row)
            title = out.pop()[1] if out and out[-1][0] == "text" else None
            out.append(("table", title, _headers(head), block, _row_names(block), block[-1].startswith("└")))
        else:
            out.append(("text", line))
            k += 1
    return out


# after a masked number a noun may be singular or plural (the tiny run counts 1 epoch where the page's ran 30)
COUNTED_NOUN = re.compile(r"# ([a-z]+)\b")


def singular(word: str) -> str:
    """``word`` without an English plural ending (epochs, classes, copies → epoch, class, copy)."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def mask(text: str) -> str:
    """Every number as ``#``, and the noun after it without its plural ending."""
    return COUNTED_NOUN.sub(lambda m: "# " + singular(m.group(1)), NUMBER.sub("#", text))


def _flat(items_: list[tuple], how: str) -> str:
    parts = []
    for item in items_:
        if item[0] == "more":
            parts.append(WILD)
        elif item[0] == "text":
            parts.append(item[1])
        elif how == "exact":
            parts += ([item[1]] if item[1] is not None else []) + item[3]
        else:
            parts += [item[1] or "", "⟦" + " | ".join(item[2]) + "⟧"]
    text = " ".join(" ".join(parts).split())
    return mask(text) if how == "masked" else text


def _pattern(expected: str) -> re.Pattern:
    pieces = [re.escape(piece.strip()) for piece in expected.replace("…", WILD).split(WILD)]
    return re.compile(r"\s*.*?\s*".join(pieces), re.S)


def compare(shown: str, actual: str, how: str, vary_after: str | None = None) -> str | None:
    """None where the actual stdout keeps what the shown one promises, else what differs."""
    if how == "none":
        return None
    want, got = items(shown), items(actual)
    if how == "shape":
        return _compare_shapes(want, got, vary_after)
    expected, real = _flat(want, how), _flat(got, how)
    if _pattern(expected).fullmatch(real):
        return None
    return _first_difference(expected, real)


def _first_difference(expected: str, real: str) -> str:
    """The first piece of the shown text (between elisions) that the output does not continue with."""
    position = 0
    for piece in expected.replace("…", WILD).split(WILD):
        piece = piece.strip()
        if not piece:
            continue
        found = real.find(piece, position)
        if found < 0:
            words = piece.split()
            for n in range(len(words), 0, -1):  # the longest start of the piece that is there
                if real.find(" ".join(words[:n]), position) >= 0:
                    break
            else:
                n = 0
            at = real.find(" ".join(words[:n]), position) + len(" ".join(words[:n])) if n else position
            return f"shown:  …{' '.join(words[max(0, n - 6) : n + 12])}…\nactual: …{real[max(0, at - 60) : at + 140]}…"
        position = found + len(piece)
    return f"shown text is all there, but the output has more (the shown one has no '...' for it):\n{real[position:]}"


def _compare_shapes(want: list[tuple], got: list[tuple], vary_after: str | None) -> str | None:
    """Each shown table (title, columns; a table of named rows, whose first column has no header: its row
    names too, all of them where the page draws it whole, else the first ones) is in the output, in order."""
    tables = [item for item in got if item[0] == "table"]
    for item in (w for w in want if w[0] == "table"):
        _, title, headers, _, rows, complete = item
        if vary_after in headers:
            headers = headers[: headers.index(vary_after) + 1]
        for k, (_, real_title, real_headers, _, real_rows, _) in enumerate(tables):
            same_title = title is None or mask(title) == mask(real_title or "")
            prefix = vary_after is not None and real_headers[: len(headers)] == headers
            same_columns = real_headers == headers or prefix
            if same_title and same_columns:
                if headers and headers[0] == "" and rows != (real_rows if complete else real_rows[: len(rows)]):
                    return f"table {title!r}: rows {rows}, but the output's are {real_rows}"
                tables = tables[k + 1 :]
                break
        else:
            found = "\n".join(f"  {t[1]!r}: {t[2]}" for t in tables) or "  none"
            return f"no table {title!r} with columns {headers}; the output's tables (after the last match):\n{found}"
    return None


# --------------------------------------------------------------------------------------------- a page


@dataclass
class Page:
    """A page and how its code runs: ``tiny`` (how each command/block runs) and ``skipped`` (why one is
    not run) together must name every snippet of the page."""

    path: Path
    tiny: dict[str, Tiny]
    skipped: dict[str, str]
    program: str = "emnist-tuner"  # the page's commands of this program run the installed entry point
    rewrites: dict[str, str] = field(default_factory=dict)  # in every command run: text -> replacement
    prepare: Callable[[Path], None] | None = None  # the shared folder's stand-ins, before its first command
    timeout: float = 300
    label: str = ""  # its path in the repository, as messages name it (default: the file name)

    def __post_init__(self) -> None:
        self.label = self.label or self.path.name

    def snippets(self) -> list[Snippet]:
        return parse(self.path, self.label)

    def unaccounted(self) -> list[str]:
        return [f"{s.where()} {s.key}" for s in self.snippets() if s.key not in self.tiny and s.key not in self.skipped]

    def stale(self) -> list[str]:
        keys = {s.key for s in self.snippets()}
        return sorted(k for k in [*self.tiny, *self.skipped] if k not in keys)


@dataclass
class Site:
    """Pages in reading order. Their session commands run in one folder, page after page, each once (a
    command two pages show runs once: the later page's ``Tiny(same_as=...)`` names the page that runs it);
    the first page's ``prepare`` makes the folder's stand-ins."""

    pages: list[Page]

    def page(self, label: str) -> Page:
        for page in self.pages:
            if page.label == label:
                return page
        raise KeyError(f"no page {label!r} in the site: {[p.label for p in self.pages]}")

    def snippets(self) -> list[tuple[Page, Snippet]]:
        return [(page, snippet) for page in self.pages for snippet in page.snippets()]

    def source(self, page: Page, snippet: Snippet) -> tuple[Page, Snippet]:
        """The page and snippet whose run gives this snippet's result (itself, unless ``same_as``)."""
        tiny = page.tiny[snippet.key]
        if tiny.same_as is None:
            return page, snippet
        other = self.page(tiny.same_as)
        for candidate in other.snippets():
            if candidate.key == snippet.key:
                return other, candidate
        raise KeyError(f"{snippet.where()}: same_as {tiny.same_as!r}, but that page has no {snippet.key!r}")

    def same_as_problems(self) -> list[str]:
        """``same_as`` entries that do not name a run of the same command elsewhere, or that would change it."""
        problems = []
        for page, snippet in self.snippets():
            tiny = page.tiny.get(snippet.key)
            if tiny is None or tiny.same_as is None:
                continue
            try:
                other, target = self.source(page, snippet)
            except KeyError as error:
                problems.append(str(error.args[0]))
                continue
            target_tiny = other.tiny.get(target.key)
            if target_tiny is None or target_tiny.same_as is not None:
                problems.append(f"{snippet.where()}: same_as {other.label}, where {target.where()} is not run itself")
            elif tiny.run or tiny.setup or tiny.edits or tiny.exit != target_tiny.exit:
                problems.append(f"{snippet.where()}: a same_as entry takes the other run as it is (no run/setup/edits)")
        return problems


def _slug(label: str) -> str:
    return re.sub(r"[^\w]+", "-", label).strip("-")


class Session:
    """The site's session commands, run in reading order in one folder, each once, as far as asked."""

    def __init__(self, site: Site, folder: Path, env: dict[str, str], can_run: Callable[[Tiny], bool]):
        self.site, self.folder, self.env, self.can_run = site, folder, env, can_run
        self.order = [
            (page, s)
            for page, s in site.snippets()
            if s.key in page.tiny and page.tiny[s.key].session and page.tiny[s.key].same_as is None
        ]
        self.results: dict[tuple[str, int], Result | None] = {}
        self.prepared = False

    def result(self, page: Page, snippet: Snippet) -> Result | None:
        """The snippet's result (None: not run, its data is missing), after every earlier one's."""
        for earlier_page, earlier in self.order:
            ident = (earlier_page.label, earlier.line)
            if ident not in self.results:
                if not self.prepared:
                    for prepare in (p.prepare for p in self.site.pages[:1] if p.prepare):
                        prepare(self.folder)
                self.prepared = True
                runs = self.can_run(earlier_page.tiny[earlier.key])
                self.results[ident] = execute(earlier_page, earlier, self.folder, self.env) if runs else None
            if ident == (page.label, snippet.line):
                return self.results[ident]
        raise KeyError(f"{snippet.where()} is not a session command of the site")

    def failed_before(self, page: Page, snippet: Snippet) -> list[str]:
        """Earlier session commands that did not exit as expected (a later failure may follow from them)."""
        bad = []
        for earlier_page, earlier in self.order:
            if (earlier_page.label, earlier.line) == (page.label, snippet.line):
                break
            result = self.results.get((earlier_page.label, earlier.line))
            if result is not None and result.code != earlier_page.tiny[earlier.key].exit:
                bad.append(f"{earlier.where()} {earlier.key} (exit {result.code})")
        return bad


def command_run(page: Page, snippet: Snippet) -> str:
    """The command that runs for a shell snippet: its tiny form, with the page's rewrites."""
    command = page.tiny[snippet.key].run or snippet.code
    for text, replacement in page.rewrites.items():
        command = command.replace(text, replacement)
    return command


def python_run(page: Page, snippet: Snippet) -> str:
    """The source that runs for a Python block: the page's, with the tiny edits (each must apply)."""
    source = snippet.code
    for text, replacement in page.tiny[snippet.key].edits:
        if text not in source:
            raise AssertionError(f"{snippet.where()}: the tiny edit {text!r} no longer applies to the block")
        source = source.replace(text, replacement)
    return source


def execute(page: Page, snippet: Snippet, folder: Path, env: dict[str, str]) -> Result:
    tiny = page.tiny[snippet.key]
    if tiny.setup:
        tiny.setup(folder)
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    if snippet.kind == "python":
        script = folder.parent / f"{_slug(page.label)}-block-{snippet.line}.py"
        script.write_text(python_run(page, snippet))
        return run([sys.executable, str(script)], folder, env, page.timeout)
    argv, assigned = argv_and_env(command_run(page, snippet))
    if argv and argv[0] == page.program:
        argv = entry_point(page.program) + argv[1:]
    width = table_width(snippet.shown)
    if width:
        env["COLUMNS"] = str(width)
    return run(argv, folder, {**env, **assigned}, page.timeout)


class Runner:
    """Runs a site's snippets, each once: the session ones through one ``Session`` (in reading order, in
    one folder), the others each alone in a fresh folder; a ``same_as`` snippet gets its source's result."""

    def __init__(self, site: Site, base: Path, can_run: Callable[[Tiny], bool], env: dict[str, str] | None = None):
        self.site, self.base = site, base
        drop = ("COLUMNS", "LINES", "EMNIST_TUNER_DATA", "EMNIST_TUNER_MIRROR")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env["EMNIST_TUNER_CACHE"] = str(base / "cache")
        self.env.update(env or {})
        (base / "session").mkdir()
        self.session = Session(site, base / "session", self.env, can_run)
        self.alone: dict[tuple[str, int], Result] = {}

    def folder(self, page: Page, snippet: Snippet) -> Path:
        page, snippet = self.site.source(page, snippet)
        if page.tiny[snippet.key].session:
            return self.base / "session"
        return self.base / f"alone-{_slug(page.label)}-{snippet.line}"

    def result(self, page: Page, snippet: Snippet) -> Result | None:
        page, snippet = self.site.source(page, snippet)
        if page.tiny[snippet.key].session:
            return self.session.result(page, snippet)
        ident = (page.label, snippet.line)
        if ident not in self.alone:
            folder = self.folder(page, snippet)
            folder.mkdir()
            self.alone[ident] = execute(page, snippet, folder, self.env)
        return self.alone[ident]


def shown_for_tiny(page: Page, snippet: Snippet) -> str:
    """The shown output with the tiny run's substitutions (each must still apply)."""
    shown = snippet.shown or ""
    for text, replacement in page.tiny[snippet.key].subs:
        if text not in shown:
            raise AssertionError(f"{snippet.where()}: the substitution {text!r} no longer applies to the shown output")
        shown = shown.replace(text, replacement)
    return shown


def output_problems(page: Page, snippet: Snippet, result: Result, folder: Path) -> list[str]:
    """What differs between the page's promise (exit code, shown stdout, expected matches) and the run."""
    tiny = page.tiny[snippet.key]
    problems = []
    if result.code != tiny.exit:
        problems.append(f"exit code {result.code}; the page says {tiny.exit}")
    if snippet.shown is not None:
        stdout_part, _ = split_streams(shown_for_tiny(page, snippet))
        difference = compare(normalise(stdout_part), normalise(result.stdout, folder), tiny.check, tiny.vary_after)
        if difference:
            problems.append(f"stdout differs from the shown output ({tiny.check}):\n{difference}")
    for pattern in tiny.expect:
        if not re.search(pattern, result.stdout):
            problems.append(f"the output has nothing that matches {pattern!r}")
    problems += [f"{name} was not written" for name in tiny.files if not (folder / name).exists()]
    if tiny.after and not problems:
        problems += tiny.after(folder, result.stdout)
    return problems


def stderr_problems(page: Page, snippet: Snippet, result: Result, folder: Path) -> list[str]:
    """stderr must be exactly the shown ``error:`` lines (none where none is shown)."""
    _, errors = split_streams(shown_for_tiny(page, snippet))
    got = [" ".join(line.split()) for line in normalise(result.stderr, folder).splitlines() if line.strip()]
    want = [" ".join(normalise(line).split()) for line in errors]
    if len(got) == len(want) and all(_pattern(w).fullmatch(g) for w, g in zip(want, got)):
        return []
    return [
        "stderr is not the shown error lines:\n  shown:  "
        + "\n  ".join(want or ["(nothing)"])
        + "\n  actual: "
        + "\n  ".join(got)
    ]


def report(snippet: Snippet, result: Result, problems: list[str], command: str = "") -> str:
    tail = "\n".join(result.stdout.splitlines()[-25:])
    err = "\n".join(result.stderr.splitlines()[-15:])
    return (
        f"{snippet.where()}: {snippet.key}\n"
        + (f"ran: {command}\n" if command and command != snippet.key else "")
        + "\n".join(problems)
        + f"\n--- stdout (last lines)\n{tail}\n--- stderr (last lines)\n{err}"
    )


# ------------------------------------------------------------------------ options named in the text


def inline_options(page: Path, program: str, commands: set[str]) -> dict[tuple[str, str], str]:
    """Commands and options named in the page's inline code (outside fenced blocks, which run):
    {(command, option or ""): the first span naming it}. ``program COMMAND … --opt`` and ``COMMAND … --opt``
    name COMMAND's option; a span that starts with an option (``--subset``) names an option of some command
    (command ``*``); other spans (messages, other programs) are not read."""
    text = re.sub(r"^\s*(```+|~~~+).*?^\s*\1", "", page.read_text(), flags=re.S | re.M)
    found: dict[tuple[str, str], str] = {}
    for span in re.findall(r"`([^`\n]+(?:\n[^`\n]+)?)`", text):
        words = span.split()
        if words and words[0] == program:
            words = words[1:]
            command = "" if not words or words[0].startswith("-") else words[0]
            found.setdefault((command, ""), " ".join(span.split()))  # the command itself
        elif words and words[0] in commands:
            command = words[0]
        elif words and words[0].startswith("--"):
            command = "*"
        else:
            continue
        for word in words:
            for option in re.findall(r"(?:^|\[|/)(--?[a-z][\w-]*)", word):
                found.setdefault((command, option), " ".join(span.split()))
    return found
