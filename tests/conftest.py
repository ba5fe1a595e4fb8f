"""Shared fixtures: fixture projects copied to a temporary folder, outputs built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

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


#: Debian's chromium, driven by Playwright; no browser is ever downloaded
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


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
