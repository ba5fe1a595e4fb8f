"""Input hashes → is this output current, and if not, why.

Each output records the content hash of every file it was built from, the directory
listings that could add a new input, and the versions of the tools that made it: what the
build's read log (readlog.py) saw the loaders, the template loader, the resource fetcher and
the writers read while that output was made, not a guess made beforehand. An
output is current when its file still exists and none of these changed. Hashes of
unchanged files (same mtime and size) are reused from the state, so a bare `touch`
costs one re-hash and rebuilds nothing. Paths are recorded relative to the project and
the output folder, so a project moved or renamed as a whole stays up to date.

Reading the versions of twenty-odd packages costs more than the rest of a no-op build, so each
stamp also records which packages are installed where (`installed_digest`): while that is the
same, no package was installed, upgraded or removed, and the versions recorded still hold.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Diagnostic, ReportError
from .inputs import read_regular
from .output import STATE_DIR
from .readlog import Record, list_files

if TYPE_CHECKING:
    from .project import Project
    from .readlog import ReadLog

#: bump when the state format changes: every output is then rebuilt once
STAMP_VERSION = 3
STATE_FILE = "state.json"
#: a file modified this recently may change again within the same timestamp tick, so its
#: hash is not trusted on mtime and size alone next time (git's "racy clean" problem)
RACY_WINDOW_NS = 2_000_000_000


@dataclass
class FileHash:
    sha256: str
    mtime_ns: int
    size: int


class State:
    """The build state of one output folder: per format, the inputs it was built from."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / STATE_DIR / STATE_FILE
        self.records: dict = {}
        self.hashes: dict[str, FileHash] = {}
        self.installed = _installed()  # the packages' versions, as the build found them installed
        self._load()

    def _load(self):
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if data.get("stamp_version") != STAMP_VERSION:
            return
        self.records = data.get("outputs", {})
        self.hashes = {k: FileHash(*v) for k, v in data.get("hashes", {}).items()}

    def save(self):
        from .output import atomic_write

        data = {
            "stamp_version": STAMP_VERSION,
            "outputs": self.records,
            "hashes": {k: [v.sha256, v.mtime_ns, v.size] for k, v in sorted(self.hashes.items())},
        }
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))

    def file_hash(self, path: Path) -> str | None:
        """sha256 of a regular file, reusing the recorded hash while mtime and size are unchanged."""
        key = str(path)
        try:
            info = path.stat()
        except OSError:
            return None
        known = self.hashes.get(key)
        if known and known.mtime_ns == info.st_mtime_ns and known.size == info.st_size:
            return known.sha256
        try:
            digest = hashlib.sha256(read_regular(path)).hexdigest()
        except OSError:  # a FIFO or device is never read: it counts as a missing input
            return None
        settled = time.time_ns() - info.st_mtime_ns > RACY_WINDOW_NS
        self.hashes[key] = FileHash(digest, info.st_mtime_ns if settled else -1, info.st_size)
        return digest

    def stamp(self, fmt: str, root: Path, record: Record) -> dict:
        """What `fmt`'s output was built from (see readlog.Record): project files relative to
        `root` with the digests of the bytes used, other files with their hash now, the listings
        looked at, and the versions that shape its bytes."""
        files: dict[str, str | None] = {}  # None: missing (or not a regular file) when stamped
        outside: dict[str, str | None] = {}
        for key, digest in record.digests.items():
            name = _inside(root, Path(key))
            if name is None:
                outside[key] = digest
            else:
                files[name] = digest
            if key in record.stats:
                self.remember(root / name if name is not None else Path(key), digest, record.stats[key])
        for key in record.depends:
            name = _inside(root, Path(key))
            if name is None:
                outside.setdefault(key, self.file_hash(Path(key)))
            else:
                files.setdefault(name, self.file_hash(root / name))
        return {
            "files": dict(sorted(files.items())),
            "outside": dict(sorted(outside.items())),
            "listings": dict(sorted(record.listings.items())),
            "versions": current_versions(fmt, self.installed),
            "installed": self.installed.digest,
        }

    def remember(self, path: Path, digest: str, stat: tuple[int, int, int]) -> None:
        """Keep the digest of bytes read from `path` when it had (mtime_ns, size) at time `when`:
        `file_hash` then trusts it while the file keeps them, unless it was too recent to trust."""
        mtime_ns, size, when = stat
        settled = when - mtime_ns > RACY_WINDOW_NS
        self.hashes[str(path)] = FileHash(digest, mtime_ns if settled else -1, size)

    @staticmethod
    def new_record(output: Path, data: bytes, stamp: dict | None) -> dict:
        """What the state says of `output` once `data` is in it: built from the inputs in `stamp`."""
        return {"output": output.name, "output_sha256": hashlib.sha256(data).hexdigest(), **(stamp or {})}

    def mark_pending(self, fmt: str, record: dict):
        """Before `fmt`'s output is replaced: `record` holds once the output has these bytes.

        A build killed between replacing two outputs leaves both records: each output is then
        judged by the one its bytes match (see `_record_for`), never by the other.
        """
        self.records[fmt] = {
            **{k: v for k, v in self.records.get(fmt, {}).items() if k != "pending"},
            "pending": record,
        }

    def settle(self, fmt: str, record: dict):
        """After `fmt`'s output was replaced: `record` is the output's record."""
        self.records[fmt] = record

    def outputs(self) -> list[str]:
        """The file names of every output the state lists, replaced or about to be."""
        names = []
        for record in self.records.values():
            for entry in (record, record.get("pending") or {}):
                if entry.get("output") and entry["output"] not in names:
                    names.append(entry["output"])
        return names

    def _record_for(self, fmt: str, output: Path) -> dict | None:
        """The record that describes the output as it is on disk: the pending one when the output
        holds its bytes (a build was stopped before it recorded them), else the last settled one."""
        record = self.records.get(fmt)
        if record is None or "pending" not in record:
            return record
        pending = record["pending"]
        if (
            pending.get("output") == output.name
            and output.is_file()
            and self.file_hash(output) == pending.get("output_sha256")
        ):
            return pending
        settled = {k: v for k, v in record.items() if k != "pending"}
        return settled or None

    def why_stale(self, fmt: str, output: Path, root: Path) -> str | None:
        """None when the output is current; otherwise the first reason to rebuild it."""
        record = self._record_for(fmt, output)
        if record is None:
            return "no previous build"
        if record.get("output") != output.name or not output.is_file():
            return f"{output.name} is missing"
        if self.file_hash(output) != record.get("output_sha256"):
            return f"{output.name} was changed outside the build"
        if _versions_changed(fmt, record, self.installed):
            return "tool versions changed"
        for pattern, names in record.get("listings", {}).items():
            now = list_files(root, pattern)
            added = sorted(set(now) - set(names))
            if added:
                return f"{added[0]} added"
            removed = sorted(set(names) - set(now))
            if removed:
                return f"{removed[0]} removed"
        for name, digest in record.get("files", {}).items():
            if self.file_hash(root / name) != digest:
                return f"{name} changed"
        for path, digest in record.get("outside", {}).items():
            if self.file_hash(Path(path)) != digest:
                return f"{path} changed"
        return None


def _inside(root: Path, path: Path) -> str | None:
    """`path` relative to the project root, or None when it is not in the project."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


def refuse_changed_inputs(project: Project, reads: ReadLog) -> None:
    """A file that gave two readers of this build different bytes (saved while it was built):
    the editions would disagree, so none replaces the previous ones."""
    if reads.changed:
        message = "changed while the build was reading it; the previous outputs were kept: build again"
        raise ReportError(
            [Diagnostic(project.display(Path(path)), None, None, message) for path in sorted(reads.changed)]
        )


def current_versions(fmt: str | None = None, installed: _Installed | None = None) -> dict[str, str]:
    """Versions that shape `fmt`'s bytes (every output's when None): ours, the stamp format's,
    SOURCE_DATE_EPOCH, and those of the packages its writer names (writers.Writer.packages)."""
    installed = installed or _installed()
    return {**_own_versions(), **{package: installed.version(package) for package in _packages(fmt)}}


def _versions_changed(fmt: str, record: dict, installed: _Installed) -> bool:
    """Whether `record` was made with other versions than `fmt`'s output would be now; the
    packages' versions are read only when a folder they are found in changed since."""
    recorded = record.get("versions") or {}
    own = _own_versions()
    if any(recorded.get(name) != version for name, version in own.items()):
        return True
    if record.get("installed") == installed.digest:
        return set(recorded) != {*own, *_packages(fmt)}
    return recorded != current_versions(fmt, installed)


def _own_versions() -> dict[str, str]:
    from . import __version__

    return {
        "report-builder": __version__,
        "stamp": str(STAMP_VERSION),
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", ""),
    }


def _packages(fmt: str | None) -> list[str]:
    from .writers import WRITERS

    writers = [WRITERS[fmt]] if fmt is not None else list(WRITERS.values())
    return sorted({package for writer in writers for package in writer.packages}, key=str.lower)


class _Installed:
    """The installed packages' versions, each read when first asked for (importlib.metadata),
    as of `digest` (see installed_digest), taken before any is read."""

    def __init__(self, digest: str) -> None:
        self.digest = digest
        self._versions: dict[str, str] = {}

    def version(self, package: str) -> str:
        if package not in self._versions:
            from importlib.metadata import PackageNotFoundError, version

            try:
                self._versions[package] = version(package)
            except PackageNotFoundError:
                self._versions[package] = "absent"
        return self._versions[package]


_installed_now: _Installed | None = None


def _installed() -> _Installed:
    """The packages as installed now: the versions read before are kept while what is installed
    is the same (a long-running `serve` notices an upgrade)."""
    global _installed_now
    digest = installed_digest()
    if _installed_now is None or _installed_now.digest != digest:
        _installed_now = _Installed(digest)
    return _installed_now


def installed_digest() -> str:
    """A digest of the distributions' metadata folders in each folder of sys.path, where
    importlib.metadata finds them: `NAME-VERSION.dist-info` (or `.egg-info`) names a package's
    version, so installing, upgrading or removing any package changes the digest. Nothing in
    them is read."""
    digest = hashlib.sha256()
    for entry in sys.path:
        folder = os.path.abspath(entry or os.curdir)
        try:
            with os.scandir(folder) as found:
                names = sorted(item.name for item in found if item.name.endswith((".dist-info", ".egg-info")))
        except OSError:  # not a folder (a zip of the standard library, a path hook)
            names = []
        digest.update(json.dumps([folder, names]).encode("utf-8"))
    return digest.hexdigest()
