"""Shared fixtures: fixture projects copied to a temporary folder, outputs built once per session."""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pypdf
import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECTS = Path(__file__).resolve().parent / "projects"
SAMPLE = "sample"  # the repository's own Pokrovsk briefing


def copy_project(name: str, destination: Path) -> Path:
    """Copy a fixture project (or the sample briefing) into `destination`."""
    if name == SAMPLE:
        destination.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / "report.yaml", destination / "report.yaml")
        shutil.copytree(REPO / "content", destination / "content")
    else:
        shutil.copytree(PROJECTS / name, destination)
    return destination


@dataclass
class Built:
    root: Path
    outputs: dict  # format → Path
    warnings: list = field(default_factory=list)  # diagnostics the build reported

    @property
    def pdf(self) -> Path:
        return self.outputs["pdf"]

    @property
    def epub(self) -> Path:
        return self.outputs["epub"]

    @property
    def html(self) -> Path:
        return self.outputs["html"]


@pytest.fixture(scope="session", autouse=True)
def shared_cache(tmp_path_factory):
    """The user-level cache (static font instances) of this test session, not the user's own."""
    folder = tmp_path_factory.mktemp("user-cache")
    previous = os.environ.get("REPORT_BUILDER_CACHE")
    os.environ["REPORT_BUILDER_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("REPORT_BUILDER_CACHE", None)
    else:
        os.environ["REPORT_BUILDER_CACHE"] = previous


@pytest.fixture(scope="session")
def session_builds(tmp_path_factory):
    """session_builds(name, formats) → Built: one copy of each project per session, each
    format built at most once; later requests add only the formats still missing."""
    from report_builder import build

    cache: dict[str, Built] = {}

    def get(name: str, formats) -> Built:
        if name not in cache:
            root = copy_project(name, tmp_path_factory.mktemp(name.replace("/", "-")) / "project")
            cache[name] = Built(root, {})
        done = cache[name]
        missing = [f for f in formats if f not in done.outputs]
        if missing:
            result = build(done.root, formats=missing)
            done.outputs.update(result.skipped)
            done.outputs.update(result.outputs)
            done.warnings.extend(result.warnings)
        return Built(done.root, {f: done.outputs[f] for f in done.outputs}, list(done.warnings))

    return get


@pytest.fixture(scope="session")
def built(session_builds):
    """built(name) → Built: the project built once per test session, all formats."""
    return lambda name: session_builds(name, ["pdf", "epub", "html"])


@pytest.fixture(scope="session")
def built_print(session_builds):
    """built_print(name) → Built: the PDF and the HTML edition only, built once per session."""
    return lambda name: session_builds(name, ["pdf", "html"])


@pytest.fixture
def project(tmp_path):
    """project(name) → Path: a fresh, writable copy of a fixture project."""
    return lambda name: copy_project(name, tmp_path / name.replace("/", "-"))


@pytest.fixture
def write_project(tmp_path):
    """write_project({relative path: text or bytes}) → Path: a small project written from
    scratch; report.yaml defaults to a one-article publication of content/a.md."""

    def write(files: dict, name: str = "written") -> Path:
        root = tmp_path / name
        files = {"report.yaml": "title: T\narticles:\n  - a.md\n", **files}
        for relative, data in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, bytes):
                path.write_bytes(data)
            else:
                path.write_text(data, encoding="utf-8")
        return root

    return write


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli():
    """Run `python -m report_builder ARGS` in a subprocess, as a user would."""

    def run(*args, cwd=None, env=None, timeout=300) -> CliResult:
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        completed = subprocess.run(
            [sys.executable, "-m", "report_builder", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=environment,
            timeout=timeout,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run


def load_bench_module(name: str):
    """A module of bench/ (not a package), loaded by its path."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Debian's chromium, driven by Playwright; no browser is ever downloaded (the flags are the
#: benchmarks', so both drive the same browser)
_chromium = load_bench_module("chromium")
CHROMIUM, CHROMIUM_ARGS = _chromium.CHROMIUM, _chromium.CHROMIUM_ARGS


def need(condition: bool, why: str) -> None:
    """Skip a test whose tool is missing, except in CI, where the test fails instead."""
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI must have it: see .ci/run)")
        pytest.skip(why)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Playwright for Python)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed")
    need(Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# -- a chunked PDF against its single layout ---------------------------------------------------


def build_single_layout(root: Path, **options):
    """A build whose PDF is laid out in one process, not in chunks: the reference a chunked layout
    must equal (a build chunks whatever the worker count)."""
    import report_builder.writers.pdf as pdf_writer
    from report_builder import build

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_writer, "can_chunk", lambda _articles: False)
        return build(root, **{**options, "jobs": 1})


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def outline(path: Path) -> list[tuple[int, str, int]]:
    """[(depth, title, page index)] of the bookmark tree."""
    pdf = pikepdf.open(path)
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    entries = []

    def walk(items, depth):
        for item in items:
            entries.append((depth, item.title, pages[item.destination[0].objgen]))
            walk(item.children, depth + 1)

    with pdf.open_outline() as tree:
        walk(tree.root, 0)
    return entries


def margin_lines(path: Path, index: int) -> list[tuple[str, float, float, float]]:
    """(text, x, y, size) in points of each piece of text in the page's top and bottom margins."""
    found = []
    page = pypdf.PdfReader(path).pages[index]
    height = float(page.mediabox.height)

    def visit(text, cm, tm, _font, size):
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if text.strip() and (y < 24 * 72 / 25.4 or y > height - 24 * 72 / 25.4):
            found.append((text.strip(), round(x, 1), round(y, 1), round(size * abs(tm[3] * cm[3]), 2)))

    page.extract_text(visitor_text=visit)
    return sorted(found)


# -- commands that keep running (watch, serve) ----------------------------------------------------

#: the error the minimal project reports once its fact reference names a missing row
MINIMAL_ERROR = "content/only.md:29:16: error: fact table 'basic' has no row 'no_such_row'"


def replace_in_article(root: Path, old: str, new: str) -> None:
    """Edit the minimal project's one article in place."""
    article = root / "content" / "only.md"
    article.write_text(article.read_text().replace(old, new))


def interrupt(process: subprocess.Popen) -> None:
    """Ctrl-C to the process group of a command started by `in_background`; killed after 10 s."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture
def in_background():
    """in_background(root, *args, **popen) → Popen: `python -m report_builder ARGS --project ROOT`
    run from ROOT in a process group of its own, stderr into stdout; interrupted once the test ends."""
    started: list[subprocess.Popen] = []

    def start(root: Path, *args: str, **popen) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "report_builder", *args, "--project", str(root)],
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=root,
            **popen,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        interrupt(process)
