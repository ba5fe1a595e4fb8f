"""Shared fixtures: fixture projects copied to a temporary folder, outputs built once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
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

    @property
    def pdf(self) -> Path:
        return self.outputs["pdf"]

    @property
    def epub(self) -> Path:
        return self.outputs["epub"]

    @property
    def html(self) -> Path:
        return self.outputs["html"]


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """built(name) → Built: the project built once per test session, all formats."""
    from report_builder import build

    cache: dict[str, Built] = {}

    def get(name: str) -> Built:
        if name not in cache:
            root = copy_project(name, tmp_path_factory.mktemp(name.replace("/", "-")) / "project")
            result = build(root, formats=["pdf", "epub", "html"])
            cache[name] = Built(root, dict(result.outputs))
        return cache[name]

    return get


@pytest.fixture
def project(tmp_path):
    """project(name) → Path: a fresh, writable copy of a fixture project."""
    return lambda name: copy_project(name, tmp_path / name.replace("/", "-"))


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
        completed = subprocess.run([sys.executable, "-m", "report_builder", *map(str, args)],
                                   capture_output=True, text=True, cwd=cwd, env=environment,
                                   timeout=timeout)
        return CliResult(completed.returncode, completed.stdout, completed.stderr)

    return run
