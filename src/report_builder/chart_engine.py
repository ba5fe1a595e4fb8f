"""Vega-Lite's JavaScript engine (vl-convert) in a process of its own, started on first use.

Why not in the build's process: the engine is a V8 runtime with threads of its own, and the
build forks its PDF layout workers; a process forked after V8 has started hangs as soon as it
draws. V8 also reserves several GiB of address space when it starts, which the templates' memory
limit (RLIMIT_AS) must not count. So the build talks to engine processes over pipes: a JSON
request per line, a JSON answer per line. The build draws every chart the cache lacks before
its writers render them (charts.draw_charts: each chunk's print drawings just before the
chunk is rendered, the rest after the last, on one engine kept running meanwhile); a process
that still meets a chart the cache lacks starts an engine of its own. An engine reads nothing
but its requests and the declared fonts (the static instances of Noto Sans, which it makes in
the user's cache folder if they are missing), writes only its answers, and exits with its parent.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: the family every chart is drawn in (charts.py's specifications name it)
CHART_FAMILY = "Noto Sans"
#: how long one drawing may take; Vega-Lite draws a 500-point line in well under a second
DRAW_SECONDS = 60


class EngineFailed(Exception):
    """The engine refused a specification, or stopped answering."""


class _Engine:
    """One engine process, started on first use by the process that owns it (a forked child
    starts its own)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.owner = 0
        self.lock = threading.Lock()

    def draw(self, request: dict) -> str:
        with self.lock:
            self.send(request)
            answer = self.receive(DRAW_SECONDS)
        if "error" in answer:
            raise EngineFailed(answer["error"])
        return answer["svg"]

    def send(self, request: dict) -> None:
        process = self._running()
        assert process.stdin is not None
        process.stdin.write(json.dumps(request).encode() + b"\n")
        process.stdin.flush()

    def receive(self, seconds: float | None = None) -> dict:
        """The answer to the request sent last (waiting at most `seconds`, when given)."""
        assert self.process is not None and self.process.stdout is not None
        ready = select.select([self.process.stdout], [], [], seconds)[0] if seconds is not None else True
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.kill()
            raise EngineFailed(f"the chart engine gave no drawing within {DRAW_SECONDS} s")
        return json.loads(line)

    def fileno(self) -> int:
        """The engine's answers, for select()."""
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout.fileno()

    def _running(self) -> subprocess.Popen:
        if self.process is None or self.owner != os.getpid() or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "report_builder.chart_engine", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
            self.owner = os.getpid()
        return self.process

    def kill(self) -> None:
        if self.process is not None and self.owner == os.getpid():
            self.process.kill()
            self.process.wait()
        self.process = None

    def close(self) -> None:
        if self.process is not None and self.owner == os.getpid() and self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


_ENGINE = _Engine()
atexit.register(_ENGINE.close)


def draw(request: dict) -> str:
    """The SVG Vega-Lite draws for a request: `spec` (its config holds the locale it formats with)."""
    return _ENGINE.draw(request)


def draw_many(requests: list[dict], engines: int = 1) -> list[str | None]:
    """The SVG of each request (None where the engine refused it or gave none in time), drawn by
    up to `engines` engine processes at once, each given the next request as it answers.

    The engines are stopped before this returns: a process forked afterwards inherits no pipe
    of theirs, and a failed build (a timeout included) kills them.
    """
    batches = Engines(max(1, min(engines, len(requests))))
    finished = False
    try:
        drawn = batches.draw_many(requests)
        finished = True
    finally:
        batches.stop(finished)
    return drawn


class Engines:
    """Engine processes kept from one batch of drawings to the next (started on the first), so
    that a build can draw the charts of each chunk just before it renders that chunk."""

    def __init__(self, count: int = 1) -> None:
        self.pool = [_Engine() for _ in range(max(1, count))]

    def draw_many(self, requests: list[dict]) -> list[str | None]:
        """See draw_many: the same, on these engines, which stay running."""
        drawn: list[str | None] = [None] * len(requests)
        waiting = iter(enumerate(requests))
        busy: dict[_Engine, int] = {}

        def give(engine: _Engine) -> None:
            for index, request in waiting:
                engine.send(request)
                busy[engine] = index
                return

        for engine in self.pool[: len(requests)]:
            give(engine)
        while busy:
            ready = select.select(list(busy), [], [], DRAW_SECONDS)[0]
            if not ready:  # stuck: what is left is drawn by its directive, which reports it
                for engine in busy:
                    engine.kill()
                break
            for engine in ready:
                index = busy.pop(engine)
                try:
                    drawn[index] = engine.receive().get("svg")
                except EngineFailed:  # the engine stopped: the others draw the rest
                    continue
                give(engine)
        return drawn

    def stop(self, finished: bool = True) -> None:
        """Stop every engine: let it exit when the drawing finished, kill it otherwise."""
        for engine in self.pool:
            if finished:
                engine.close()
            else:
                engine.kill()


@functools.cache
def fonts_version() -> str:
    """What names the fonts charts are drawn in: the digest of the font the instances are made
    from (read once per process)."""
    from .fonts import font_digest

    return font_digest(CHART_FAMILY, "normal")


def version() -> str:
    """vl-convert's version, read from its package metadata (without starting the engine)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("vl-convert-python")
    except PackageNotFoundError:
        return ""


# -- the engine process ----------------------------------------------------------------------------


def serve(parent: int) -> None:
    """Answer drawing requests on stdin until it closes, or until the process that started it is gone."""
    import resource

    from .processes import exit_with_parent

    # the pipe alone does not end an engine whose build was killed: a process the build forked
    # since may hold its other end
    exit_with_parent(parent)

    # started from inside a render, the engine inherits the templates' lowered address-space
    # limit; V8 needs its reservation, and the limit was never meant for it
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    import vl_convert as vlc

    with _chart_fonts() as folder:
        vlc.register_font_directory(str(folder))
        _answer_requests(vlc)


@contextmanager
def _chart_fonts() -> Iterator[Path]:
    """A folder holding nothing but the fonts charts are drawn in: the static instances of Noto
    Sans (regular and bold, upright) that the print edition uses, kept in the user's cache folder
    (made there once if missing; in a temporary folder when it cannot be written).

    Vega measures every label it draws, and vl-convert reads the label's font again for each
    one: a static instance is read and measured in about two thirds of the time the variable
    font takes, to the same widths (the variable font's default is the regular instance).
    """
    from .fonts import fonts_cache

    unwritable = Path("/nonexistent")
    fonts = fonts_cache(fallback=unwritable)
    if fonts == unwritable:  # no cache folder to keep them in: made for this engine alone
        with tempfile.TemporaryDirectory(prefix="report-builder-chart-fonts-") as spare:
            yield _instances(Path(spare))
    else:
        yield _instances(fonts)


def _instances(fonts: Path) -> Path:
    """The folder of chart fonts under `fonts`, made there if missing."""
    from .fonts import static_faces

    faces = static_faces(fonts, {400, 700}, only=(CHART_FAMILY, "normal"))
    folder = fonts / "chart-engine" / "-".join(face.path.stem for face in faces)
    folder.mkdir(parents=True, exist_ok=True)
    for face in faces:
        if not (folder / face.path.name).is_file():
            _link_or_copy(face.path, folder / face.path.name)
    return folder


def _link_or_copy(source: Path, target: Path) -> None:
    from .output import atomic_write

    try:
        os.link(source, target)
    except OSError:  # another build linked it first, or a file system without hard links
        if not target.is_file():
            atomic_write(target, source.read_bytes())


def _answer_requests(vlc) -> None:
    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            svg = vlc.vegalite_to_svg(request["spec"])
            answer = {"svg": svg}
        except ValueError as exc:  # Vega-Lite refused the specification
            answer = {"error": str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else "no drawing"}
        sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n")
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid())
