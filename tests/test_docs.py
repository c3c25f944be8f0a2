"""The documentation: the site builds in strict mode, every example runs and shows real output,
and the generated reference covers every parameter, scenario key and command.

Examples are marked in the markdown of ``docs/`` so that this file finds them:

* ```` ```pycon ```` blocks are ``>>>`` sessions; all blocks of a page run as one doctest
  (like a notebook) from the repository root, and their shown output is checked (ELLIPSIS,
  NORMALIZE_WHITESPACE);
* ```` ```console ```` blocks hold ``$ helsemod ...`` lines, each followed by (part of) its
  output; they run through the installed ``helsemod`` console script in a fresh folder that
  holds a copy of ``scenarios/``, in page order. A line ``...`` in the output stands for any
  lines. The command must exit 0 and print the shown lines (stdout);
* an HTML comment right before a block says more: ``<!-- file: NAME -->`` before a block
  writes it to NAME in that folder (e.g. the scenario a guide builds step by step);
  ``<!-- exit: 1 -->`` expects that exit status and checks stdout and stderr together;
  ``<!-- needs: ssb-data -->`` marks blocks that read the real SSB files of
  ``../shared/data/ssb`` (skipped where they are absent).

Installation commands (```` ```bash ```` blocks) are not run: CI's own install is that step.
The console examples of different pages and the site build run at the same time, so the
whole module stays well under 90 s with warm numba caches.
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SSB = ROOT.parent / "shared" / "data" / "ssb"
SSB_FILES = ("population_kommune_age_sex_2015_2024.csv", "kommuner_2024.csv", "kostra_care_panel_2015_2023.csv",
             "population_norway_age_sex_1986_2024.csv")
HAVE_SSB = all((SSB / f).is_file() for f in SSB_FILES)
HAVE_MKDOCS = importlib.util.find_spec("mkdocs") is not None
NO_MKDOCS = "mkdocs is not installed (pip install -e '.[docs]')"
BIN = Path(sys.executable).parent
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)
MARK = re.compile(r"<!--\s*(file|exit|needs):\s*(\S+)\s*-->\s*$")


# --- reading examples from markdown --------------------------------------------------------
@dataclass
class Block:
    lang: str
    text: str
    line: int  # line of the first content line in the page (1-based)
    marks: dict = field(default_factory=dict)


def blocks(path: Path) -> list[Block]:
    """Fenced code blocks of a page, with the markers of the comment lines right above them."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        before = text[:m.start()].rstrip("\n").split("\n")
        marks = {}
        while before and MARK.search(before[-1].strip()):
            key, value = MARK.search(before.pop().strip()).groups()
            marks[key] = value
        out.append(Block(m.group(1), m.group(2), text.count("\n", 0, m.start(2)) + 1, marks))
    return out


def pages_with(lang: str) -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if any(b.lang == lang for b in blocks(p)))


def commands(block: Block) -> list[tuple[str, str, int]]:
    """(command, expected output, line) of a console block; ``\\`` continues a command."""
    out, lines = [], block.text.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            raise AssertionError(f"line {block.line + i}: console output without a `$ ` command before it")
        line_no, cmd = block.line + i, lines[i][2:]
        while cmd.endswith("\\"):
            i += 1
            cmd = cmd[:-1] + " " + lines[i].strip()
        i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith("$ "):
            expected.append(lines[i])
            i += 1
        out.append((cmd, "\n".join(expected).strip("\n"), line_no))
    return out


# --- running them ---------------------------------------------------------------------------
#: Results of commands by (everything done before in the page, command): the guides in two
#: languages start with the same commands, which then run once. Only a command that left its
#: folder unchanged is shared; one that wrote files runs in each page's own folder.
_SHARED: dict[tuple, Future] = {}
_SHARED_LOCK = threading.Lock()


def _snapshot(folder: Path) -> set:
    return {(str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _run(argv: list[str], cwd: Path, env: dict, key: tuple) -> tuple[int, str, str]:
    with _SHARED_LOCK:
        shared, mine = _SHARED.get(key), key not in _SHARED
        if mine:
            _SHARED[key] = shared = Future()
    if not mine:
        result = shared.result()
        if result is not None:
            return result
    before = _snapshot(cwd)
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    result = (proc.returncode, proc.stdout, proc.stderr)
    if mine:
        shared.set_result(result if _snapshot(cwd) == before else None)
    return result


def run_console_page(page: Path) -> list[str]:
    """Run every file and console block of a page in a fresh folder; return the failures."""
    failures = []
    checker = doctest.OutputChecker()
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", NO_COLOR="1")
    history: list = []
    with tempfile.TemporaryDirectory(prefix="helsemod-docs-") as tmp:
        cwd = Path(tmp)
        shutil.copytree(ROOT / "scenarios", cwd / "scenarios")
        for b in blocks(page):
            if b.marks.get("needs") == "ssb-data":
                if not HAVE_SSB:
                    continue
                for f in SSB_FILES:
                    if not (cwd / f).exists():
                        (cwd / f).symlink_to(SSB / f)
                        history.append(("link", f))
            if "file" in b.marks:
                target = cwd / b.marks["file"]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(b.text, encoding="utf-8")
                history.append(("file", b.marks["file"], b.text))
                continue
            if b.lang != "console":
                continue
            status = int(b.marks.get("exit", 0))
            for cmd, expected, line in commands(b):
                argv = shlex.split(cmd)
                where = f"{page.name}:{line}: $ {cmd}"
                if argv[0] != "helsemod":
                    failures.append(f"{where}: only helsemod commands may appear in console blocks")
                    continue
                argv[0] = str(BIN / "helsemod")
                history.append(("command", cmd))
                code, out, err = _run(argv, cwd, env, tuple(history))
                got = out if status == 0 else out + err
                if code != status:
                    failures.append(f"{where}: exit status {code}, expected {status}\n{err[-2000:]}")
                elif expected and not checker.check_output(expected + "\n", got, FLAGS):
                    failures.append(f"{where}: output differs\n--- shown ---\n{expected}\n--- got ---\n{got}")
    return failures


def page_doctest(page: Path) -> doctest.DocTest:
    """All pycon blocks of a page as one doctest, at their own line numbers."""
    text = page.read_text(encoding="utf-8")
    lines = [""] * (text.count("\n") + 2)
    for b in blocks(page):
        if b.lang != "pycon" or (b.marks.get("needs") == "ssb-data" and not HAVE_SSB):
            continue
        for i, line in enumerate(b.text.split("\n")):
            lines[b.line - 1 + i] = line
    return doctest.DocTestParser().get_doctest("\n".join(lines), {"__name__": "__docs__"}, page.name, str(page), 0)


class _Text(HTMLParser):
    """Visible text of an HTML page."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return "".join(parser.parts)


def gen_module():
    spec = importlib.util.spec_from_file_location("gen_reference", DOCS / "gen_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --- fixtures: slow work starts at once and runs side by side -----------------------------
@pytest.fixture(scope="module")
def background(tmp_path_factory):
    """Start the site build and the console pages in parallel; tests wait for their part."""
    site = tmp_path_factory.mktemp("site")
    pool = ThreadPoolExecutor(max_workers=4)
    jobs = {}
    if HAVE_MKDOCS:
        jobs["site"] = pool.submit(subprocess.run, [sys.executable, "-m", "mkdocs", "build", "--strict", "-d",
                                                    str(site)], cwd=ROOT, capture_output=True, text=True,
                                   timeout=600)
    for page in pages_with("console"):
        jobs[page.name] = pool.submit(run_console_page, page)
    yield {"site_dir": site, "jobs": jobs}
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def site(background):
    if not HAVE_MKDOCS:
        pytest.skip(NO_MKDOCS)
    proc = background["jobs"]["site"].result()
    return proc, background["site_dir"]


# --- tests ----------------------------------------------------------------------------------
def test_site_builds_in_strict_mode(site):
    proc, site_dir = site
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log
    assert "WARNING" not in log, log
    for page in ("index.html", "methodology/index.html", "planner-guide.nb/index.html",
                 "planner-guide.en/index.html", "researcher-guide/index.html", "validation/index.html",
                 "limits/index.html", "reference/parameters/index.html", "reference/scenario-yaml/index.html",
                 "reference/cli/index.html", "img/attribution_waterfall_nb.png"):
        assert (site_dir / page).is_file(), page


@pytest.fixture
def one_numba_thread():
    """One numba thread while the console examples run beside: parallel kernels would only spin."""
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


@pytest.mark.parametrize("page", pages_with("pycon"), ids=lambda p: p.name)
def test_python_examples(page, background, one_numba_thread, monkeypatch):
    monkeypatch.chdir(ROOT)
    test = page_doctest(page)
    assert test.examples, f"{page.name}: no >>> examples"
    report = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("page", pages_with("console"), ids=lambda p: p.name)
def test_console_examples(page, background):
    failures = background["jobs"][page.name].result()
    assert not failures, "\n\n".join(failures)


def test_console_blocks_are_well_formed():
    """Every console block starts with a command; the planner's guides have examples."""
    pages = pages_with("console")
    assert {"planner-guide.nb.md", "planner-guide.en.md"} <= {p.name for p in pages}
    for page in pages:
        for b in blocks(page):
            if b.lang == "console":
                assert commands(b), f"{page.name}:{b.line}: empty console block"


def test_reference_covers_parameters_scenario_keys_and_commands(request):
    """Every dataset parameter, scenario key and command is in the generated reference
    (and, where the site was built, on its pages)."""
    from helsemod_py.data.schema import PARAMETERS, SCALARS
    from helsemod_py.scenario import schema as S

    gen = gen_module()
    pages = gen.pages()
    if HAVE_MKDOCS:
        _, site_dir = request.getfixturevalue("site")
        built = {p: html_text(site_dir / p.replace(".md", "/index.html")) for p in pages}
    else:
        built = {}
    params = pages["reference/parameters.md"]
    for name in [*PARAMETERS, *SCALARS]:
        assert f"`{name}`" in params, name
        if built:
            assert name in built["reference/parameters.md"], name
    scen = pages["reference/scenario-yaml.md"]
    sections = {s.split("\n", 1)[0].strip(): s for s in scen.split("\n### ")[1:]}
    for model in (S.ScenarioFile, S.Measure, S.Target, S.TimePath, S.Value, S.ShiftValue, S.Assumptions,
                  S.PopulationDriver, S.Uncertain, S.Distribution):
        assert model.__name__ in sections, model.__name__
        for key in model.model_fields:
            assert f"| `{key}` |" in sections[model.__name__], f"{model.__name__}.{key}"
    for values in (S.LEVERS, S.FAMILIES, S.DISTRIBUTIONS, S.UNCERTAIN, S.UNITS_NOK):
        for v in values:
            assert f"`{v}`" in scen, v
    cli = pages["reference/cli.md"]
    paths = [path for path, _, _ in gen._commands()]
    assert len(paths) > 5
    for path in paths:
        assert f"## {path}\n" in cli, path
        if built:
            assert path in built["reference/cli.md"], path
    for model in (S.ScenarioFile, S.Measure):
        if built:
            for key in model.model_fields:
                assert key in built["reference/scenario-yaml.md"], key
