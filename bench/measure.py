"""Run one command as a user would and measure it: wall time, peak memory, progress lines.

Each run is its own child process. Its peak memory comes from `os.wait4`, which reports
the largest resident set of that child and of every process it waited for (worker
processes included), so one run's figure never carries over into the next. (The
RUSAGE_CHILDREN total of the harness is a high-water mark over every child so far: after
a 300-article build it would report that build's peak for every later, smaller run.)
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field


@dataclass
class Run:
    seconds: float
    max_rss_kib: int  # ru_maxrss is in KiB on Linux
    exit_code: int
    lines: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, stdout line)
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def seconds_between(self, first: str, then: str) -> float | None:
        """Time from the first stdout line containing `first` to the next one containing `then`."""
        start = next((t for t, line in self.lines if first in line), None)
        if start is None:
            return None
        end = next((t for t, line in self.lines if t >= start and then in line and first not in line), None)
        return None if end is None else end - start


@dataclass
class Measurement:
    """Repeated runs of one command; figures are medians over the successful runs."""

    label: str
    command: str  # as a reader would type it
    runs: list[Run] = field(default_factory=list)
    pages: int | None = None
    note: str = ""

    @property
    def ok_runs(self) -> list[Run]:
        return [run for run in self.runs if run.ok]

    @property
    def failed(self) -> Run | None:
        return next((run for run in self.runs if not run.ok), None)

    @property
    def seconds(self) -> float | None:
        runs = self.ok_runs
        return statistics.median(run.seconds for run in runs) if runs else None

    @property
    def rss_mib(self) -> float | None:
        runs = self.ok_runs
        return statistics.median(run.max_rss_kib for run in runs) / 1024 if runs else None

    def median_of(self, figure) -> float | None:
        values = [value for value in (figure(run) for run in self.ok_runs) if value is not None]
        return statistics.median(values) if values else None

    def to_json(self) -> dict:
        return {
            "label": self.label,
            "command": self.command,
            "pages": self.pages,
            "note": self.note,
            "median_seconds": self.seconds,
            "median_max_rss_mib": self.rss_mib,
            "runs": [
                {key: value for key, value in asdict(run).items() if key != "lines"}
                | {
                    "stdout": [[round(t, 3), line] for t, line in run.lines[:200]],  # progress steps, timed
                    "stderr": run.stderr[-2000:],
                }
                for run in self.runs
            ],
        }


def run_once(argv: list[str], cwd: str | None = None, timeout: float = 3600) -> Run:
    """Run `argv` to completion; kill its whole process group after `timeout` seconds.

    Python writes and reads bytecode as for an installed package (pip compiles it), whatever
    PYTHONDONTWRITEBYTECODE says here: else every run would compile report-builder's modules.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONUNBUFFERED"] = "1"
    lines: list[tuple[float, str]] = []
    errors: list[str] = []
    start = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )

    def read_stdout():
        for line in process.stdout:
            lines.append((time.perf_counter() - start, line.rstrip("\n")))

    def read_stderr():
        errors.append(process.stderr.read())

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    timer = threading.Timer(timeout, _kill_group, (process.pid,))
    timer.start()
    try:
        _pid, status, usage = os.wait4(process.pid, 0)
    except BaseException:  # interrupted: take the build and its workers down too
        _kill_group(process.pid)
        os.wait4(process.pid, 0)
        raise
    finally:
        timer.cancel()
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    for reader in readers:
        reader.join()
    process.stdout.close()
    process.stderr.close()
    stderr = "".join(errors)
    if process.returncode == -signal.SIGKILL:
        stderr += f"\n(killed after {timeout:.0f} s)"
    return Run(seconds, usage.ru_maxrss, process.returncode, lines, stderr)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@dataclass
class Job:
    """One measured command; `before_each(i)` runs untimed before its run i (clear a folder, edit a file)."""

    measurement: Measurement
    argv: list[str]
    before_each: Callable[[int], None] | None = None


def interleave(jobs: list[Job], runs: int, budget: float, cwd: str | None = None, timeout: float = 3600) -> None:
    """Run the jobs in turns (A B A B …) up to `runs` times each, fewer when they would not fit in
    `budget` seconds per job after the first turn.

    Taking turns gives commands that are compared with each other the same share of a noisy
    machine. A job stops at its first failed run; the others go on.
    """
    planned = runs
    for index in range(runs):
        if index >= planned:
            break
        for job in jobs:
            if job.measurement.failed is not None:
                continue
            if job.before_each is not None:
                job.before_each(index)
            run = run_once(job.argv, cwd=cwd, timeout=timeout)
            job.measurement.runs.append(run)
            _say(
                f"    {job.measurement.label}: {run.seconds:.2f} s, {run.max_rss_kib / 1024:.0f} MiB"
                + ("" if run.ok else f", exit {run.exit_code}")
            )
        if index == 0:
            turn = sum(job.measurement.runs[0].seconds for job in jobs)
            planned = max(1, min(runs, int(budget * len(jobs) // max(turn, 1e-3))))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
