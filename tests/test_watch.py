"""`report-builder watch`: rebuilds on change, reports errors and keeps watching."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time

import pytest

from conftest import MINIMAL_ERROR, replace_in_article


class Watcher:
    """`report-builder watch pdf html` in the background; stdout and stderr read as one stream of lines."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60) -> list[str]:
        """The lines up to and including the first one that contains `text`; [] after `timeout`."""
        deadline = time.monotonic() + timeout
        lines = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            self.seen.append(line)
            lines.append(line)
            if text in line:
                return lines
        return []


@pytest.fixture
def watching(project, in_background):
    """A watcher on a fresh copy of the minimal project, once it has built and is listening."""
    root = project("minimal")
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    watcher = Watcher(in_background(root, "watch", "pdf", "html", stdout=subprocess.PIPE, text=True, env=environment))
    assert watcher.wait_for("watching")
    return root, watcher


def test_watch_builds_every_output_before_it_starts_watching(watching):
    root, watcher = watching
    assert [line for line in watcher.seen if not line.startswith("  ")] == [
        "pdf: wrote build/minimal.pdf",
        "html: wrote build/minimal.html",
        f"watching {root} for changes (Ctrl-C to stop)",
    ]


def test_watch_rebuilds_after_an_article_is_edited(watching):
    root, watcher = watching
    replace_in_article(root, "sweeping their steps", "painting their doors")
    lines = watcher.wait_for("html: wrote")
    assert (
        [line for line in lines if not line.startswith("  ")],
        "painting their doors" in (root / "build" / "minimal.html").read_text(),
    ) == (["changed: content/only.md", "pdf: wrote build/minimal.pdf", "html: wrote build/minimal.html"], True)


def test_watch_reports_a_content_error_and_keeps_running(watching):
    root, watcher = watching
    replace_in_article(root, "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    lines = watcher.wait_for("build failed")
    time.sleep(0.5)
    assert (lines[-2:], watcher.process.poll()) == (
        [MINIMAL_ERROR, "build failed; previous outputs kept. Waiting for the next change."],
        None,
    )


def test_watch_rebuilds_once_the_error_is_fixed(watching):
    root, watcher = watching
    replace_in_article(root, "{fact}`basic.shelters`", "{fact}`basic.no_such_row`")
    assert watcher.wait_for("build failed")
    replace_in_article(root, "{fact}`basic.no_such_row`", "{fact}`basic.volunteers`")
    assert watcher.wait_for("html: wrote")[-2:] == ["pdf: wrote build/minimal.pdf", "html: wrote build/minimal.html"]


def test_watch_ignores_a_change_no_output_uses(watching):
    root, watcher = watching
    (root / "content" / "notes.txt").write_text("to do\n")
    assert [line for line in watcher.wait_for("nothing to do") if not line.startswith("  ")] == [
        "changed: content/notes.txt",
        "pdf: up to date (build/minimal.pdf)",
        "html: up to date (build/minimal.html)",
        "nothing to do",
    ]


def test_watch_does_not_react_to_its_own_outputs(watching):
    _root, watcher = watching  # its first build created build/ and wrote into it
    assert watcher.wait_for("changed:", timeout=2) == []  # well past the 300 ms debounce
