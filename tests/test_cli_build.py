"""`report-builder build` as a process: what it says, what it imports, and what survives a kill or a rival."""

from __future__ import annotations

import io
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pypdf
import pytest

from report_builder import build

PROJECTS = Path(__file__).resolve().parent / "projects"

#: every output these tests build; the EPUB joins once its writer exists
ALL = ("pdf", "epub", "html")
OUTPUT_NAMES = sorted(f"minimal.{fmt}" for fmt in ALL)
TEMPORARY = re.compile(r"^\.minimal\.(pdf|epub|html)\.report-builder-\w+\.tmp$")
WAITING = "report-builder: another build of this project is running; waiting for it to finish"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    root = tmp_path_factory.mktemp("baseline") / "minimal"
    shutil.copytree(PROJECTS / "minimal", root)
    build(root, formats=ALL)
    return root


@pytest.fixture
def built(baseline, tmp_path):
    """A fresh copy of the built minimal project, outputs and build state included."""
    return shutil.copytree(baseline, tmp_path / "minimal")


def edit_article(root: Path):
    article = root / "content" / "only.md"
    article.write_text(article.read_text().replace("sweeping their steps", "painting their doors"))


class Build:
    """`report-builder build` running in the background, its output read line by line without blocking."""

    def __init__(self, root: Path, *args: str, env: dict | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "report_builder", "build", *ALL, "--project", str(root), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self.lines = {"stdout": queue.Queue(), "stderr": queue.Queue()}
        self.seen = {"stdout": [], "stderr": []}
        self.readers = [threading.Thread(target=self._read, args=(name,), daemon=True) for name in self.lines]
        for reader in self.readers:
            reader.start()

    def _read(self, name):
        for line in getattr(self.process, name):
            self.lines[name].put(line.rstrip("\n"))
        self.lines[name].put(None)

    def wait_for(self, text: str, stream: str = "stdout", timeout: float = 60) -> bool:
        """Wait until a line containing `text` appears; False at the end of the stream or after `timeout`."""
        if any(text in line for line in self.seen[stream]):
            return True
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines[stream].get(timeout=left)
            except queue.Empty:
                return False
            if line is None:
                self.lines[stream].put(None)
                return False
            self.seen[stream].append(line)
            if text in line:
                return True
        return False

    def finish(self, timeout: float = 180) -> int:
        code = self.process.wait(timeout=timeout)
        for name in self.lines:
            self.wait_for("\0", name, timeout=10)  # drain to the end of the stream
        return code

    def wait_for_processes(self, count: int, timeout: float = 60) -> bool:
        """Wait until this build and the workers it started are `count` processes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(process_group(self.process.pid)) >= count:
                return True
            time.sleep(0.05)
        return False

    def pipes_closed(self, timeout: float) -> bool:
        for reader in self.readers:
            reader.join(timeout)
        return not any(reader.is_alive() for reader in self.readers)

    def kill_everything(self):
        """End this build and any worker it started (they share its process group)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait(timeout=10)


def process_group(group: int) -> list[int]:
    """The live processes of a process group (Linux /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and fields[0] != "Z":  # fields: state, ppid, pgrp, ...
            members.append(int(stat.parent.name))
    return members


@pytest.fixture
def start_build():
    started: list[Build] = []

    def start(root, *args, env=None):
        started.append(Build(root, *args, env=env))
        return started[-1]

    yield start
    for running in started:
        running.kill_everything()


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


# -- saying what it does ----------------------------------------------------------------------------


def test_a_build_with_nothing_to_do_says_each_output_is_up_to_date(built, run_cli):
    result = run_cli("build", *ALL, cwd=built)
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "".join(f"{fmt}: up to date (build/minimal.{fmt})\n" for fmt in ALL) + "nothing to do\n",
        "",
    )


def test_a_build_with_nothing_to_do_imports_neither_weasyprint_nor_ebooklib(built):
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "report_builder", "build", *ALL],
        cwd=built,
        capture_output=True,
        text=True,
        timeout=60,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines() if "|" in line}
    assert (
        completed.returncode,
        sorted(name for name in imported if name.split(".")[0] in ("weasyprint", "ebooklib")),
    ) == (0, [])


def test_verbose_names_the_changed_file_for_each_output_it_rebuilds(built, run_cli):
    edit_article(built)
    result = run_cli("build", *ALL, "-v", cwd=built)
    assert [line for line in result.stdout.splitlines() if not line.startswith("  ")] == [
        *(f"{fmt}: rebuild (content/only.md changed)" for fmt in ALL),
        *(f"{fmt}: wrote build/minimal.{fmt}" for fmt in ALL),
    ]


def test_clean_names_what_it_removed_and_leaves_no_build_folder(built, run_cli):
    result = run_cli("clean", cwd=built)
    assert (result.exit_code, result.stdout, (built / "build").exists()) == (
        0,
        f"removed {', '.join(OUTPUT_NAMES)}\n",
        False,
    )


# -- killed builds ----------------------------------------------------------------------------------

KILL_MOMENTS = [pytest.param(("after", delay), id=f"after-{delay}s") for delay in (0.2, 0.8, 1.5, 2.5)] + [
    pytest.param(("at", step), id=f"at-{step.replace(' ', '-')}") for step in ("writing PDF", "rendering HTML edition")
]  # the late moments a delay may miss on a fast machine


@pytest.mark.parametrize("moment", KILL_MOMENTS)
def test_a_killed_build_leaves_each_output_old_or_complete_and_the_next_build_recovers(
    built, moment, start_build, run_cli
):
    out = built / "build"
    before = {name: (out / name).read_bytes() for name in OUTPUT_NAMES}
    edit_article(built)
    killed = start_build(built, "--force")
    kind, when = moment
    if kind == "after":
        time.sleep(when)
    else:
        assert killed.wait_for(when)
    os.kill(killed.process.pid, signal.SIGKILL)
    killed.process.wait(timeout=10)

    left = sorted(os.listdir(out))
    after_kill = {name: (out / name).read_bytes() for name in OUTPUT_NAMES}
    recovery = run_cli("build", *ALL, cwd=built)
    final = {name: (out / name).read_bytes() for name in OUTPUT_NAMES}

    assert [name for name in left if name not in (*OUTPUT_NAMES, ".report-builder") and not TEMPORARY.match(name)] == []
    for name in OUTPUT_NAMES:
        if name.endswith(".pdf") and after_kill[name] != before[name]:
            assert pdf_text(after_kill[name]) == pdf_text(final[name])  # complete: it reads, and says the same
        else:
            assert after_kill[name] in (before[name], final[name]), name
    assert (recovery.exit_code, sorted(os.listdir(out)), sorted(path.name for path in out.rglob("*.tmp"))) == (
        0,
        [".report-builder", *OUTPUT_NAMES],
        [],
    )
    assert "painting their doors" in (out / "minimal.html").read_text()


def test_a_killed_build_leaves_no_worker_process_holding_its_output(built, start_build):
    edit_article(built)
    killed = start_build(built, "-j", "2")
    assert killed.wait_for("laying out pages")
    assert killed.wait_for_processes(2)  # the build and the worker rendering the HTML edition meanwhile
    os.kill(killed.process.pid, signal.SIGKILL)
    assert killed.pipes_closed(timeout=5)


def test_a_killed_parallel_layout_leaves_no_worker_process_holding_its_output(tmp_path, start_build):
    root = shutil.copytree(PROJECTS / "multilingual", tmp_path / "multilingual")
    killed = start_build(root, "-j", "2")
    assert killed.wait_for("laying out pages on 2 cores")
    assert killed.wait_for_processes(3)  # the build, its HTML worker and at least one layout worker
    os.kill(killed.process.pid, signal.SIGKILL)
    assert killed.pipes_closed(timeout=5)


def test_a_build_after_a_killed_one_does_not_wait_for_it(built, start_build, run_cli):
    killed = start_build(built, "--force", "-j", "2")
    assert killed.wait_for("laying out pages")  # nothing written yet: the next build has nothing to do
    os.kill(killed.process.pid, signal.SIGKILL)
    killed.process.wait(timeout=10)
    result = run_cli("build", *ALL, cwd=built, timeout=60)
    assert (result.exit_code, result.stderr, result.stdout.splitlines()[-1:]) == (0, "", ["nothing to do"])


# -- two builds at once -----------------------------------------------------------------------------


def test_a_second_build_of_the_same_project_waits_for_the_first_and_both_write_complete_outputs(built, start_build):
    out = built / "build"
    before = {name: (out / name).read_bytes() for name in OUTPUT_NAMES}
    first = start_build(built, "--force")
    assert first.wait_for("loading content")  # it holds the lock from here until it is done
    os.kill(first.process.pid, signal.SIGSTOP)  # and keeps holding it, however fast or slow the machine
    try:
        second = start_build(built, "--force")
        waited = second.wait_for(WAITING, stream="stderr", timeout=60)
    finally:
        os.kill(first.process.pid, signal.SIGCONT)
    codes = (first.finish(), second.finish())
    assert (waited, codes, WAITING in first.seen["stderr"]) == (True, (0, 0), False)
    assert (pdf_text((out / "minimal.pdf").read_bytes()), (out / "minimal.html").read_bytes()) == (
        pdf_text(before["minimal.pdf"]),
        before["minimal.html"],
    )


# -- parallel jobs ----------------------------------------------------------------------------------


def test_one_job_and_two_jobs_write_byte_identical_outputs(tmp_path, run_cli):
    one = shutil.copytree(PROJECTS / "minimal", tmp_path / "one")
    two = shutil.copytree(PROJECTS / "minimal", tmp_path / "two")
    results = [run_cli("build", *ALL, "-j", jobs, cwd=root) for jobs, root in (("1", one), ("2", two))]
    outputs = sorted(path.name for path in (one / "build").iterdir() if path.is_file())
    assert [result.exit_code for result in results] == [0, 0]
    assert {
        output: (one / "build" / output).read_bytes() == (two / "build" / output).read_bytes() for output in outputs
    } == {output: True for output in outputs}


def test_a_multi_article_pdf_laid_out_in_parallel_reads_the_same_and_the_other_editions_are_identical(
    tmp_path, run_cli
):
    """-j 2 lays the PDF out in chunks (its bytes differ); the words on each page must not."""
    import pypdf

    one = shutil.copytree(PROJECTS / "multilingual", tmp_path / "one")
    two = shutil.copytree(PROJECTS / "multilingual", tmp_path / "two")
    results = [run_cli("build", *ALL, "-j", jobs, cwd=root) for jobs, root in (("1", one), ("2", two))]
    assert [result.exit_code for result in results] == [0, 0]
    for output in ("multilingual.html", "multilingual.epub"):
        assert (one / "build" / output).read_bytes() == (two / "build" / output).read_bytes(), output
    words = [
        [page.extract_text().split() for page in pypdf.PdfReader(root / "build" / "multilingual.pdf").pages]
        for root in (one, two)
    ]
    assert words[0] == words[1]
