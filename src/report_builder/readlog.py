"""What one build read: each file's bytes, read once, their sha256, and which outputs used them.

During a build (`recording`) every reader of project files goes through `read_bytes`: the
first read of a file keeps its bytes, later reads in the build get the same bytes, so every
edition is made from one version of each file even when an editor saves it meanwhile. The
build state records these digests (the bytes that were used), not a second read of the file.

The log is also the record of what each output depends on (stamps.py makes the outputs'
stamps from it): every read, every file used without being read here (`depend`: built-in
templates, the fonts) and every place looked in that could hold a new input (`probe`: a
project template or stylesheet that would replace a built-in one) is noted for the outputs
being made at that moment (`reading_for`).

Processes forked during the build inherit the log; what they read themselves (the HTML
edition's templates, the layout workers' images) comes back as digests (`merge`) or as a
whole `Record` (`absorb`), and a file that gave different bytes to two readers is reported
(`changed`), so the build replaces nothing.
"""

from __future__ import annotations

import glob
import hashlib
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Record:
    """What some outputs used: digests of the bytes read, files used unread, and listings."""

    digests: dict[str, str] = field(default_factory=dict)  # resolved path → sha256 of the bytes used
    depends: set[str] = field(default_factory=set)  # resolved paths used without being read here
    listings: dict[str, list[str]] = field(default_factory=dict)  # glob (relative to the project) → matches
    #: resolved path → (mtime_ns, size, when) from just before it was read, so the state can trust
    #: the digest while the file keeps them (see stamps.State.remember)
    stats: dict[str, tuple[int, int, int]] = field(default_factory=dict)


class ReadLog:
    def __init__(self) -> None:
        self.digests: dict[str, str] = {}  # resolved path → sha256 of the bytes used
        self.changed: set[str] = set()  # resolved paths that gave two readers different bytes
        self.scope: frozenset[str] = frozenset()  # the outputs being made now
        self.records: dict[str, Record] = {}  # output → what it used
        self.stats: dict[str, tuple[int, int, int]] = {}  # see Record.stats
        self.taps: list[Tap] = []  # the steps being tapped now (see `tapping`)
        self._data: dict[str, bytes] = {}

    def read(self, path: Path, limit: int | None = None) -> bytes:
        return self.read_resolved(str(Path(path).resolve()), limit)

    def read_resolved(self, key: str, limit: int | None = None) -> bytes:
        """`read` of a path already resolved."""
        data = self._data.get(key)
        if data is None:
            try:
                info = os.stat(key)  # before reading: a file saved meanwhile gets a newer mtime
                self.stats[key] = (info.st_mtime_ns, info.st_size, time.time_ns())
            except OSError:
                pass  # read_regular says why
            data = _read_regular(Path(key), limit)
            self._data[key] = data
            self.note(key, hashlib.sha256(data).hexdigest())
        else:
            if limit is not None and len(data) > limit:
                from .inputs import FileTooLarge

                raise FileTooLarge(len(data), limit)
            self._used(key)
        return data

    def note(self, key: str, digest: str) -> None:
        """Record that a reader (maybe in another process) got bytes of this digest from `key`."""
        known = self.digests.setdefault(key, digest)
        if known != digest:
            self.changed.add(key)
        self._used(key)

    def merge(self, digests: dict[str, str]) -> None:
        for key, digest in digests.items():
            self.note(key, digest)

    def depend(self, path: Path) -> None:
        """The outputs being made use `path`, read elsewhere (by a library, or once per machine)."""
        self.depend_resolved(str(Path(path).resolve()))

    def depend_resolved(self, key: str) -> None:
        """`depend` on a path already resolved."""
        for output in self.scope:
            self._record(output).depends.add(key)
        for tap in self.taps:
            tap.depends.setdefault(key, _stat(key))

    def probe(self, root: Path, pattern: str) -> None:
        """The outputs being made depend on which files under `root` match `pattern` (a new one may be an input)."""
        for tap in self.taps:
            if (str(root), pattern) not in tap.listings:
                tap.listings[str(root), pattern] = list_files(root, pattern)
        for output in self.scope:
            listings = self._record(output).listings
            if pattern not in listings:
                listings[pattern] = list_files(root, pattern)

    def absorb(self, record: Record) -> None:
        """What a forked process recorded for the outputs being made (see `record_for`)."""
        self.merge(record.digests)
        for key, stat in record.stats.items():
            self.stats.setdefault(key, stat)
        for output in self.scope:
            mine = self._record(output)
            mine.depends.update(record.depends)
            for pattern, names in record.listings.items():
                mine.listings.setdefault(pattern, names)

    def use(self, path: Path) -> None:
        """The outputs being made use `path` again: read earlier in this build, else as `depend`."""
        key = str(Path(path).resolve())
        if key in self.digests:
            self._used(key)
        else:
            self.depend(path)

    def record_for(self, output: str) -> Record:
        """What `output` used, each file with the digest of the bytes this process got from it."""
        record = self._record(output)
        digests = {key: self.digests[key] for key in record.digests}
        stats = {key: self.stats[key] for key in digests if key in self.stats}
        return Record(digests, set(record.depends), dict(record.listings), stats)

    def _used(self, key: str) -> None:
        for output in self.scope:
            self._record(output).digests[key] = self.digests[key]
        for tap in self.taps:
            tap.digests[key] = self.digests[key]

    def _record(self, output: str) -> Record:
        return self.records.setdefault(output, Record())


@dataclass
class Tap:
    """What one step of a build used: so that a result of it kept for a later build can be checked
    against the files and noted as used again (see `tapping` and `reuse`)."""

    digests: dict[str, str] = field(default_factory=dict)  # resolved path → sha256 of the bytes used
    depends: dict[str, tuple[int, int] | None] = field(default_factory=dict)  # path → (mtime_ns, size)
    listings: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (root, glob) → matches


def _stat(key: str) -> tuple[int, int] | None:
    try:
        info = os.stat(key)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


_active: ReadLog | None = None


def active() -> ReadLog | None:
    return _active


@contextmanager
def recording(outputs: Iterable[str] = ()) -> Iterator[ReadLog]:
    """Route every read of a project file through one ReadLog for the duration of a build;
    what is read is used by `outputs` until `reading_for` says otherwise."""
    global _active
    previous, _active = _active, ReadLog()
    _active.scope = frozenset(outputs)
    try:
        yield _active
    finally:
        _active = previous


@contextmanager
def reading_for(outputs: Iterable[str]) -> Iterator[None]:
    """What is read, used or probed meanwhile is used by `outputs` (outside a build: nothing is noted)."""
    log = _active
    if log is None:
        yield
        return
    previous, log.scope = log.scope, frozenset(outputs)
    try:
        yield
    finally:
        log.scope = previous


@contextmanager
def tapping() -> Iterator[Tap | None]:
    """A Tap of what is read, used and probed meanwhile (None outside a build: nothing is noted)."""
    log = _active
    if log is None:
        yield None
        return
    tap = Tap()
    log.taps.append(tap)
    try:
        yield tap
    finally:
        log.taps.remove(tap)


def reuse(tap: Tap) -> bool:
    """Whether every file `tap` saw still holds what it held (read again in this build, so the
    outputs being made use it), every file it used unread keeps its size and time, and every
    listing is the same; if so, what it used unread and probed is noted for them too."""
    log = _active
    if log is None:
        return False
    for key, digest in tap.digests.items():
        try:
            log.read_resolved(key)
        except (OSError, ValueError):  # gone, not a regular file, or unreadable: the step is run again
            return False
        if log.digests.get(key) != digest:
            return False
    if any(_stat(key) != stat for key, stat in tap.depends.items()):
        return False
    if any(list_files(Path(root), pattern) != names for (root, pattern), names in tap.listings.items()):
        return False
    for key in tap.depends:
        log.depend_resolved(key)
    for root, pattern in tap.listings:
        log.probe(Path(root), pattern)
    return True


def merge(digests: dict[str, str]) -> None:
    """Note what another process of this build read (outside a build: nothing to note)."""
    if _active is not None:
        _active.merge(digests)


def absorb(record: Record | None) -> None:
    """Note what a forked process of this build recorded (see ReadLog.absorb)."""
    if _active is not None and record is not None:
        _active.absorb(record)


def depend(path: Path) -> None:
    """Note a file the outputs being made use without reading it here (see ReadLog.depend)."""
    if _active is not None:
        _active.depend(path)


def probe(root: Path, pattern: str) -> None:
    """Note a place looked in for an input, found or not (see ReadLog.probe)."""
    if _active is not None:
        _active.probe(root, pattern)


def probe_file(root: Path, path: Path) -> None:
    """Note that a file of this name under `root` would be an input, whether it exists or not."""
    if _active is not None:
        try:
            relative = Path(path).relative_to(root).as_posix()
        except ValueError:
            return
        _active.probe(root, glob.escape(relative))


def use(path: Path) -> None:
    """Note that the outputs being made use a file again (see ReadLog.use)."""
    if _active is not None:
        _active.use(path)


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of `path`: the same ones for every reader within a build (see the module docstring).

    Only a regular file is read, at most `limit` bytes of it (inputs.read_regular).
    """
    log = _active
    return log.read(path, limit) if log is not None else _read_regular(Path(path), limit)


def list_files(root: Path, pattern: str) -> list[str]:
    """The files matching `pattern` under `root`, relative to it: a new one may be a new input."""
    return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())


def _read_regular(path: Path, limit: int | None) -> bytes:
    from .inputs import read_regular  # inputs reads through this module

    return read_regular(path, limit)
