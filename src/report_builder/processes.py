"""The build's helper processes: none outlives its build, and a failed build does not wait for them."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any


def exit_with_parent(parent: int) -> None:
    """Pool initializer: a worker whose build was killed exits instead of waiting for work forever
    (holding the build's stdout and stderr open)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def kill_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a process pool's workers now (SIGKILL): the build stops, their work is not wanted."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.kill()


#: the call a forked process makes: it inherits the arguments, nothing is pickled or read again
_FORKED: list[Any] = []


def start_forked(function: Callable[..., Any], *args: Any) -> tuple[ProcessPoolExecutor, Future] | None:
    """`function(*args)` in a forked process; its future gives what the call returns.

    None where processes are not forked: the caller then makes the call itself.
    """
    if multiprocessing.get_start_method() != "fork":
        return None
    _FORKED[:] = [function, args]
    pool = ProcessPoolExecutor(max_workers=1, initializer=exit_with_parent, initargs=(os.getpid(),))
    return pool, pool.submit(_run_forked)


def stop_forked(pool: ProcessPoolExecutor, failed: bool) -> None:
    """Shut a forked process down; after a failure, kill it first (its work is not wanted)."""
    if failed:
        kill_workers(pool)
    pool.shutdown(cancel_futures=True)
    _FORKED.clear()


def _run_forked() -> Any:
    function, args = _FORKED
    return function(*args)
