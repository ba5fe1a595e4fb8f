"""Atomic output: write every file beside its target and fsync it, then rename them all into place.

A build replaces its outputs in two phases (`Commit`): first every output's temporary file is
written and fsynced, and only when all of them are on disk are they renamed over the old
outputs, with SIGINT and SIGTERM deferred until the renames and the build state are written.
A failure while writing (a full disk) removes the temporaries and leaves every previous output
as it was. A SIGKILL or a power cut between two renames cannot be made atomic across files:
the build state then still describes the outputs not yet renamed, and the ones renamed are
recognised by their hash (see stamps.State.why_stale), so the next build rebuilds exactly the
outputs that do not match their inputs.

Temporary files carry the tool's name (`.NAME.report-builder-XXXXXXXX.tmp`): only those are
ever removed as leftovers, never a file the tool did not write.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import Diagnostic, ReportError

#: the build state's folder inside the output folder (state.json, the lock, the chunk cache)
STATE_DIR = ".report-builder"
#: the marker in every temporary file's name; nothing else is removed as a leftover
TEMPORARY_TAG = "report-builder-"
_DEFERRED = (signal.SIGINT, signal.SIGTERM)


def temporary_name_pattern() -> str:
    """The glob of the temporary files this tool writes."""
    return f".*.{TEMPORARY_TAG}*.tmp"


def write_temporary(path: Path, data: bytes, shown: str | None = None) -> Path:
    """Write `data` to a new temporary file beside `path` and fsync it; return its path.

    An OSError (full disk, read-only folder) becomes one located error; no temporary is left.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{TEMPORARY_TAG}", suffix=".tmp")
    except OSError as exc:
        raise _write_error(path, shown, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
    except BaseException as exc:
        _unlink(Path(temporary))
        if isinstance(exc, OSError):
            raise _write_error(path, shown, exc) from None
        raise
    return Path(temporary)


def _write_error(path: Path, shown: str | None, exc: OSError) -> ReportError:
    return ReportError([Diagnostic(shown or str(path), None, None, f"cannot write the output: {exc.strerror or exc}")])


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` so readers see the old file or the new one, never a mix."""
    temporary = write_temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        _unlink(temporary)
        raise
    _fsync_directory(path.parent)


class Commit:
    """Several files replaced as one: `stage` each, then `apply` (see the module docstring)."""

    def __init__(self):
        self.staged: list[tuple[Path, Path]] = []  # (temporary, target)

    def stage(self, path: Path, data: bytes, shown: str | None = None) -> None:
        """Write the new content of `path` to its temporary; nothing is replaced yet."""
        self.staged.append((write_temporary(path, data, shown), path))

    def discard(self) -> None:
        """Remove every temporary written so far; the targets are untouched."""
        for temporary, _target in self.staged:
            _unlink(temporary)
        self.staged = []

    def apply(self, before=None, after=None) -> None:
        """Rename every temporary into place, signals deferred; `before` runs first (the state
        marks the outputs about to change) and `after` last (the state records them)."""
        pause_for_tests("staged")
        with signals_deferred():
            try:
                if before is not None:
                    before()
            except BaseException:
                self.discard()
                raise
            pause_for_tests("renaming")
            for index, (temporary, target) in enumerate(self.staged):
                if index:
                    pause_for_tests("between-renames")
                os.replace(temporary, target)
            for directory in sorted({target.parent for _temporary, target in self.staged}):
                _fsync_directory(directory)
            self.staged = []
            if after is not None:
                after()


def pause_for_tests(point: str) -> None:
    """A test hook: with REPORT_BUILDER_TEST_PAUSE_AT=point, write this process's id to the file
    REPORT_BUILDER_TEST_PAUSE_MARKER and sleep, so a test can signal the build at that point."""
    if os.environ.get("REPORT_BUILDER_TEST_PAUSE_AT") != point:
        return
    import time

    Path(os.environ["REPORT_BUILDER_TEST_PAUSE_MARKER"]).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(os.environ.get("REPORT_BUILDER_TEST_PAUSE_SECONDS", "5")))


@contextmanager
def signals_deferred():
    """Hold SIGINT and SIGTERM until the block is done, then deliver the first one received.

    Outside the main thread signals cannot be handled here and are not deferred.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def hold(signum, _frame):
        received.append(signum)

    previous = {signum: signal.signal(signum, hold) for signum in _DEFERRED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            signal.raise_signal(received[0])


def _unlink(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary files a killed build left behind: only those named by this tool."""
    if not directory.is_dir():
        return
    for leftover in directory.glob(temporary_name_pattern()):
        try:
            if leftover.is_file() and not leftover.is_symlink():
                leftover.unlink()
        except OSError:
            pass


def output_dir(root: Path, out: str | Path | None) -> Path:
    """The output folder: `--out`, else the project's `build/`."""
    return Path(out).resolve() if out else root / "build"


def shown_path(path: Path) -> str:
    """A path as messages show it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


@contextmanager
def scratch_folder(out_dir: Path) -> Iterator[Path]:
    """A folder for the temporary files the libraries below make during one build, removed after it.

    WeasyPrint copies every @font-face file of a document into a temporary folder of its own
    (7.5 MB for the Noto faces) and removes it only when the document is garbage-collected, which a
    layout worker that exits does not wait for: builds left thousands of them in the system's
    temporary folder. `tempfile` puts them here instead (worker processes forked during the build
    inherit it), and the folder goes when the build ends, or at the start of the next one after a
    build was killed. Call it with the build lock held.
    """
    folder = out_dir / STATE_DIR / "scratch"
    _remove_tree(folder)
    folder.mkdir(parents=True)
    previous = tempfile.tempdir
    tempfile.tempdir = str(folder)
    try:
        yield folder
    finally:
        tempfile.tempdir = previous
        _remove_tree(folder)


def _remove_tree(folder: Path) -> None:
    """Remove a folder and what is in it, by absolute paths (shutil.rmtree opens each entry
    relative to its parent's descriptor, which an audit of the files opened cannot place)."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for parent, folders, files in os.walk(folder, topdown=False):
        for name in files:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(parent, name))
        for name in folders:
            path = os.path.join(parent, name)
            with contextlib.suppress(OSError):
                os.remove(path) if os.path.islink(path) else os.rmdir(path)
    with contextlib.suppress(OSError):
        os.rmdir(folder)


@contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """One build per output folder at a time; the OS frees the lock if a build is killed.

    A POSIX record lock (lockf) belongs to the process alone: worker processes forked during the
    build do not inherit it, so a worker outliving a killed build cannot keep the next one waiting.
    """
    lock_dir = out_dir / STATE_DIR
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "lock", "w") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):
            print(
                "report-builder: another build of this project is running; waiting for it to finish",
                file=sys.stderr,
                flush=True,
            )
            fcntl.lockf(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.lockf(handle, fcntl.LOCK_UN)
