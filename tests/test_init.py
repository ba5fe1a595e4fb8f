"""`report-builder init`: a starter project that builds at once, from a checkout or from an installed wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pypdf
import pytest

REPO = Path(__file__).resolve().parents[1]
STARTER = REPO / "src" / "report_builder" / "starter"
#: what the starter project builds by default; the EPUB joins once its writer exists
EDITIONS = ("pdf", "epub", "html")


def files_under(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )


def wheel_files_under(wheel: Path, prefix: str) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return sorted(name.removeprefix(prefix) for name in archive.namelist() if name.startswith(prefix))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of the sources so the checkout stays untouched."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for name in ("src", "templates", "styles"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    completed = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    [built] = (work / "dist").glob("report_builder-*.whl")
    return built


# -- from the checkout ----------------------------------------------------------------------------


def test_init_copies_the_whole_starter_project(tmp_path, run_cli):
    result = run_cli("init", tmp_path / "brief")
    assert (result.exit_code, files_under(tmp_path / "brief")) == (0, files_under(STARTER))


def test_init_says_where_the_project_is_and_how_to_build_it(tmp_path, run_cli):
    result = run_cli("init", "brief", cwd=tmp_path)
    assert result.stdout == (f"created a project in {tmp_path / 'brief'}; run: report-builder build --project brief\n")


def test_init_refuses_a_folder_that_already_holds_a_project(tmp_path, run_cli):
    (tmp_path / "report.yaml").write_text("title: Mine\n")
    result = run_cli("init", tmp_path)
    assert (result.exit_code, result.stderr, os.listdir(tmp_path)) == (
        1,
        f"{tmp_path / 'report.yaml'}: error: a project already exists here; nothing was changed\n",
        ["report.yaml"],
    )


def test_a_new_project_builds_every_edition_without_a_warning(tmp_path, run_cli):
    run_cli("init", tmp_path / "brief")
    result = run_cli("build", *EDITIONS, "--project", tmp_path / "brief")
    assert (result.exit_code, result.stderr, sorted(os.listdir(tmp_path / "brief" / "build"))) == (
        0,
        "",
        sorted([".report-builder", *(f"my-briefing.{fmt}" for fmt in EDITIONS)]),
    )


# -- from the wheel -------------------------------------------------------------------------------


def test_the_wheel_ships_every_built_in_template(wheel):
    assert wheel_files_under(wheel, "report_builder/templates/") == files_under(REPO / "templates")


def test_the_wheel_ships_every_built_in_stylesheet(wheel):
    assert wheel_files_under(wheel, "report_builder/styles/") == files_under(REPO / "styles")


def test_the_wheel_ships_every_label_catalogue(wheel):
    assert wheel_files_under(wheel, "report_builder/locale/") == files_under(REPO / "src" / "report_builder" / "locale")


def test_the_wheel_ships_the_whole_starter_project(wheel):
    assert wheel_files_under(wheel, "report_builder/starter/") == files_under(STARTER)


@pytest.mark.slow
def test_init_from_a_wheel_installed_in_a_fresh_environment_builds_every_edition(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    tool = str(venv / "bin" / "report-builder")
    steps = [
        subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
        for command in ([tool, "init", "brief"], [tool, "build", "--project", "brief"])
    ]
    assert [(step.returncode, step.stderr) for step in steps] == [(0, ""), (0, "")]
    out = tmp_path / "brief" / "build"
    assert sorted(os.listdir(out)) == sorted([".report-builder", *(f"my-briefing.{fmt}" for fmt in EDITIONS)])
    assert len(pypdf.PdfReader(out / "my-briefing.pdf").pages) > 0
    assert (out / "my-briefing.html").read_text().rstrip().endswith("</html>")
    with zipfile.ZipFile(out / "my-briefing.epub") as epub:
        assert epub.read("mimetype") == b"application/epub+zip"
