"""Input hashes → is this output current, and if not, why.

Each output records the content hash of every file it was built from, the directory
listings that could add a new input, and the versions of the tools that made it. An
output is current when its file still exists and none of these changed. Hashes of
unchanged files (same mtime and size) are reused from the state, so a bare `touch`
costs one re-hash and rebuilds nothing. Paths are recorded relative to the project and
the output folder, so a project moved or renamed as a whole stays up to date.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .inputs import read_regular

#: bump when the state format changes: every output is then rebuilt once
STAMP_VERSION = 2
STATE_DIR = ".report-builder"
STATE_FILE = "state.json"
#: a file modified this recently may change again within the same timestamp tick, so its
#: hash is not trusted on mtime and size alone next time (git's "racy clean" problem)
RACY_WINDOW_NS = 2_000_000_000


@dataclass
class Inputs:
    """What one output depends on: files (relative to the project root), listings, versions."""

    files: set[str] = field(default_factory=set)
    listings: dict[str, list[str]] = field(default_factory=dict)  # glob → the matching files
    versions: dict[str, str] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)  # label → absolute path (built-ins, fonts)


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

    def snapshot(self, root: Path, inputs: Inputs) -> dict:
        """The hashes of every input now: take it before rendering (the build then puts in the
        digests of the bytes it read, see build._stamp_reads) and record it after writing."""
        files = {name: self.file_hash(root / name) for name in sorted(inputs.files)}
        outside = {label: self.file_hash(Path(p)) for label, p in sorted(inputs.outside.items())}
        return {
            "files": files,
            "outside": outside,
            "outside_paths": dict(sorted(inputs.outside.items())),
            "listings": dict(sorted(inputs.listings.items())),
            "versions": dict(sorted(inputs.versions.items())),
        }

    @staticmethod
    def new_record(output: Path, data: bytes, snapshot: dict | None) -> dict:
        """What the state says of `output` once `data` is in it: built from the inputs in `snapshot`."""
        return {"output": output.name, "output_sha256": hashlib.sha256(data).hexdigest(), **(snapshot or {})}

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

    def forget(self, fmt: str):
        self.records.pop(fmt, None)

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
        if record.get("versions") != current_versions():
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
        for label, digest in record.get("outside", {}).items():
            path = record.get("outside_paths", {}).get(label)
            if path is None or self.file_hash(Path(path)) != digest:
                return f"{label} changed"
        return None


def list_files(root: Path, pattern: str) -> list[str]:
    """The files matching `pattern` under `root`, relative to it: a new one may be a new input."""
    return sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in (
        "weasyprint",
        "ebooklib",
        "markdown-it-py",
        "mdit-py-plugins",
        "babel",
        "jinja2",
        "fontpkg-noto-serif",
        "fontpkg-noto-sans",
        "fontpkg-jetbrains-mono",
        "pygments",  # how code is highlighted
    ):
        try:
            found.append((package, version(package)))
        except PackageNotFoundError:
            found.append((package, "absent"))
    return tuple(found)


def current_versions() -> dict[str, str]:
    """Versions that change outputs: ours, the renderers', and SOURCE_DATE_EPOCH."""
    from . import __version__

    return {
        "report-builder": __version__,
        "stamp": str(STAMP_VERSION),
        "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", ""),
        **dict(_package_versions()),
    }
