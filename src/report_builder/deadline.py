"""The build's time limit: one deadline for the whole build, set when it starts.

`REPORT_BUILDER_TIME_LIMIT` (seconds, 900 by default, 0 for none) bounds everything a build does
before it replaces outputs: loading, rendering, layout in the worker processes, the EPUB, the
HTML edition and the merge. The main process arms an interval timer (SIGALRM) for the whole
build; the worker processes inherit the deadline through the environment and arm their own
timer for what is left of it, and the build kills them when it stops. A build that runs out of
time stops with one line naming the limit; the outputs are replaced only after the timer is
disarmed, so the previous ones are untouched.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from typing import Any

from .errors import Diagnostic, ReportError

LIMIT_VARIABLE = "REPORT_BUILDER_TIME_LIMIT"
DEFAULT_LIMIT = 900.0
_DEADLINE_VARIABLE = "REPORT_BUILDER_DEADLINE"  # time.monotonic() of the deadline, for worker processes


class BuildTimeout(BaseException):
    """The deadline passed. A BaseException, so that no handler of ordinary errors on the way
    (WeasyPrint's included) mistakes it for a problem of one input and carries on."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds

    def report_error(self) -> ReportError:
        return ReportError([timeout_diagnostic(self.seconds)])


def timeout_diagnostic(seconds: float) -> Diagnostic:
    return Diagnostic(
        "build",
        None,
        None,
        f"the build took longer than {seconds:g} s and was stopped; set {LIMIT_VARIABLE} to the "
        "seconds a build may take (0 for no limit)",
    )


def limit_seconds() -> float:
    """The time limit from the environment; ReportError when it is not a number of seconds."""
    text = os.environ.get(LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LIMIT
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not (0 <= seconds < 10**9):
        raise ReportError(
            [
                Diagnostic(
                    "build",
                    None,
                    None,
                    f"{LIMIT_VARIABLE} must be a number of seconds (0 for no limit), not '{text[:40]}'",
                )
            ]
        )
    return seconds


def remaining() -> tuple[float, float] | None:
    """(seconds left, the limit) of the running build's deadline, or None when there is none."""
    text = os.environ.get(_DEADLINE_VARIABLE)
    if text:
        at, _, seconds = text.partition(" ")
        try:
            return float(at) - time.monotonic(), float(seconds)
        except ValueError:
            return None
    limit = limit_seconds()
    return (limit, limit) if limit > 0 else None


class Deadline:
    """The deadline of one build (see the module docstring); `stop` before replacing outputs."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self._armed = False
        self._previous: Any = None

    def start(self) -> Deadline:
        if self.seconds <= 0:
            return self
        os.environ[_DEADLINE_VARIABLE] = f"{self.at!r} {self.seconds!r}"
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self._armed = True
        return self

    def _expire(self, _signum, _frame):
        raise BuildTimeout(self.seconds)

    def check(self) -> None:
        """Stop when the deadline has passed (for a build outside the main thread, without a timer)."""
        if self.seconds > 0 and time.monotonic() >= self.at:
            raise BuildTimeout(self.seconds)

    def stop(self) -> None:
        """Disarm the timer and forget the deadline; idempotent."""
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._armed = False
        if self.seconds > 0:
            os.environ.pop(_DEADLINE_VARIABLE, None)


@contextmanager
def build_deadline():
    """The deadline of a build from now; a timeout comes out as the one ReportError line."""
    deadline = Deadline(limit_seconds()).start()
    try:
        yield deadline
    except BuildTimeout as exc:
        raise exc.report_error() from None
    finally:
        deadline.stop()


@contextmanager
def time_limit():
    """In a worker process (or a layout outside a build): stop at the build's deadline.

    Where the build's own timer is armed (its main process) this adds nothing.
    """
    left = remaining()
    if (
        left is None
        or threading.current_thread() is not threading.main_thread()
        or signal.getitimer(signal.ITIMER_REAL)[0] > 0
    ):
        yield
        return
    seconds, limit = left
    if seconds <= 0:
        raise timeout_error(limit)

    def expire(_signum, _frame):
        raise BuildTimeout(limit)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except BuildTimeout as exc:
        raise exc.report_error() from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def timeout_error(seconds: float) -> ReportError:
    return ReportError([timeout_diagnostic(seconds)])
