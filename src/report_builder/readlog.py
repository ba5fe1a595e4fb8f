"""What one build read: each project file's bytes, read once, and their sha256.

During a build (`recording`) every reader of project files goes through `read_bytes`: the
first read of a file keeps its bytes, later reads in the build get the same bytes, so every
edition is made from one version of each file even when an editor saves it meanwhile. The
build state records these digests (the bytes that were used), not a second read of the file.

Processes forked during the build inherit the log; what they read themselves (the HTML
edition's templates, the layout workers' images) comes back as digests (`note`), and a file
that gave different bytes to two readers is reported (`changed`), so the build replaces nothing.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path


class ReadLog:
    def __init__(self):
        self.digests: dict[str, str] = {}  # resolved path → sha256 of the bytes used
        self.changed: set[str] = set()  # resolved paths that gave two readers different bytes
        self._data: dict[str, bytes] = {}

    def read(self, path: Path, limit: int | None = None) -> bytes:
        key = str(Path(path).resolve())
        data = self._data.get(key)
        if data is None:
            data = _read_regular(Path(key), limit)
            self._data[key] = data
            self.note(key, hashlib.sha256(data).hexdigest())
        elif limit is not None and len(data) > limit:
            from .inputs import FileTooLarge

            raise FileTooLarge(len(data), limit)
        return data

    def note(self, key: str, digest: str) -> None:
        """Record that a reader (maybe in another process) got bytes of this digest from `key`."""
        known = self.digests.setdefault(key, digest)
        if known != digest:
            self.changed.add(key)

    def merge(self, digests: dict[str, str]) -> None:
        for key, digest in digests.items():
            self.note(key, digest)

    def digest(self, path: Path) -> str | None:
        return self.digests.get(str(Path(path).resolve()))


_active: ReadLog | None = None


def active() -> ReadLog | None:
    return _active


@contextmanager
def recording():
    """Route every read of a project file through one ReadLog for the duration of a build."""
    global _active
    previous, _active = _active, ReadLog()
    try:
        yield _active
    finally:
        _active = previous


def merge(digests: dict[str, str]) -> None:
    """Note what another process of this build read (outside a build: nothing to note)."""
    if _active is not None:
        _active.merge(digests)


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of `path`: the same ones for every reader within a build (see the module docstring).

    Only a regular file is read, at most `limit` bytes of it (inputs.read_regular).
    """
    log = _active
    return log.read(path, limit) if log is not None else _read_regular(Path(path), limit)


def _read_regular(path: Path, limit: int | None) -> bytes:
    from .inputs import read_regular  # inputs reads through this module

    return read_regular(path, limit)
