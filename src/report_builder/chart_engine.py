"""Vega-Lite's JavaScript engine (vl-convert) in a process of its own, started on first use.

Why not in the build's process: the engine is a V8 runtime with threads of its own, and the
build forks its PDF layout workers; a process forked after V8 has started hangs as soon as it
draws. V8 also reserves several GiB of address space when it starts, which the templates' memory
limit (RLIMIT_AS) must not count. So each build process that needs a drawing the cache does not
have talks to one engine process, over a pipe: a JSON request per line, a JSON answer per line.
The engine reads nothing but its requests and the declared fonts, and writes only its answers.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading

#: how long one drawing may take; Vega-Lite draws a 500-point line in well under a second
DRAW_SECONDS = 60


class EngineFailed(Exception):
    """The engine refused a specification, or stopped answering."""


class _Engine:
    """The engine process of this process (a forked child starts its own)."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.owner = 0
        self.lock = threading.Lock()

    def draw(self, request: dict) -> str:
        with self.lock:
            process = self._running()
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            ready, _, _ = select.select([process.stdout], [], [], DRAW_SECONDS)
            line = process.stdout.readline() if ready else b""
            if not line:
                self._stop()
                raise EngineFailed(f"the chart engine gave no drawing within {DRAW_SECONDS} s")
            answer = json.loads(line)
        if "error" in answer:
            raise EngineFailed(answer["error"])
        return answer["svg"]

    def _running(self) -> subprocess.Popen:
        if self.process is None or self.owner != os.getpid() or self.process.poll() is not None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "report_builder.chart_engine"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
            self.owner = os.getpid()
        return self.process

    def _stop(self) -> None:
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
        self.process = None


_ENGINE = _Engine()
atexit.register(_ENGINE.close)


def draw(spec: dict, number_locale: dict, time_locale: dict) -> str:
    """The SVG Vega-Lite draws for `spec` with these d3 locales."""
    return _ENGINE.draw({"spec": spec, "number_locale": number_locale, "time_locale": time_locale})


def version() -> str:
    """vl-convert's version, read from its package metadata (without starting the engine)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("vl-convert-python")
    except PackageNotFoundError:
        return ""


# -- the engine process ----------------------------------------------------------------------------


def serve() -> None:
    """Answer drawing requests on stdin until it closes."""
    import resource

    # started from inside a render, the engine inherits the templates' lowered address-space
    # limit; V8 needs its reservation, and the limit was never meant for it
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    import vl_convert as vlc

    from .fonts import FONT_FILES, font_paths

    for folder in sorted(
        {path.parent for (family, *_), path in zip(FONT_FILES, font_paths()) if family == "Noto Sans"}
    ):
        vlc.register_font_directory(str(folder))
    for line in sys.stdin.buffer:
        request = json.loads(line)
        try:
            svg = vlc.vegalite_to_svg(
                request["spec"], format_locale=request["number_locale"], time_format_locale=request["time_locale"]
            )
            answer = {"svg": svg}
        except ValueError as exc:  # Vega-Lite refused the specification
            answer = {"error": str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else "no drawing"}
        sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n")
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    serve()
