"""Input hashes → is this output current, and if not, why.

Each output records the content hash of every file it was built from, the directory
listings that could add a new input, and the versions of the tools that made it. An
output is current when its file still exists and none of these changed. Hashes of
unchanged files (same mtime and size) are reused from the state, so a bare `touch`
costs one re-hash and rebuilds nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

#: bump when the state format changes: every output is then rebuilt once
STAMP_VERSION = 1
STATE_DIR = ".report-builder"
STATE_FILE = "state.json"


@dataclass
class Inputs:
    """What one output depends on: files (relative to the project root), listings, versions."""

    files: set[str] = field(default_factory=set)
    listings: dict[str, str] = field(default_factory=dict)  # glob → digest of the matching names
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
        """sha256 of a file, reusing the recorded hash while mtime and size are unchanged."""
        key = str(path)
        try:
            info = path.stat()
        except OSError:
            return None
        known = self.hashes.get(key)
        if known and known.mtime_ns == info.st_mtime_ns and known.size == info.st_size:
            return known.sha256
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        self.hashes[key] = FileHash(digest, info.st_mtime_ns, info.st_size)
        return digest

    def snapshot(self, root: Path, inputs: Inputs) -> dict:
        files = {name: self.file_hash(root / name) for name in sorted(inputs.files)}
        outside = {label: self.file_hash(Path(p)) for label, p in sorted(inputs.outside.items())}
        return {
            "files": files,
            "outside": outside,
            "outside_paths": dict(sorted(inputs.outside.items())),
            "listings": dict(sorted(inputs.listings.items())),
            "versions": dict(sorted(inputs.versions.items())),
        }

    def record(self, fmt: str, output: Path, root: Path, inputs: Inputs):
        self.records[fmt] = {"output": str(output), "output_sha256": self.file_hash(output),
                             **self.snapshot(root, inputs)}

    def forget(self, fmt: str):
        self.records.pop(fmt, None)

    def why_stale(self, fmt: str, output: Path, root: Path) -> str | None:
        """None when the output is current; otherwise the first reason to rebuild it."""
        record = self.records.get(fmt)
        if record is None:
            return "no previous build"
        if record.get("output") != str(output) or not output.is_file():
            return f"{output.name} is missing"
        if self.file_hash(output) != record.get("output_sha256"):
            return f"{output.name} was changed outside the build"
        if record.get("versions") != current_versions():
            return "tool versions changed"
        for pattern, digest in record.get("listings", {}).items():
            if listing_digest(root, pattern) != digest:
                return f"files added or removed in {pattern}"
        for name, digest in record.get("files", {}).items():
            if self.file_hash(root / name) != digest:
                return f"{name} changed"
        for label, digest in record.get("outside", {}).items():
            path = record.get("outside_paths", {}).get(label)
            if path is None or self.file_hash(Path(path)) != digest:
                return f"{label} changed"
        return None


def listing_digest(root: Path, pattern: str) -> str:
    names = sorted(p.relative_to(root).as_posix() for p in root.glob(pattern) if p.is_file())
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("weasyprint", "ebooklib", "markdown-it-py", "mdit-py-plugins", "babel", "jinja2",
                    "fontpkg-noto-serif", "fontpkg-noto-sans"):
        try:
            found.append((package, version(package)))
        except PackageNotFoundError:
            found.append((package, "absent"))
    return tuple(found)


def current_versions() -> dict[str, str]:
    """Versions that change outputs: ours, the renderers', and SOURCE_DATE_EPOCH."""
    from . import __version__

    return {"report-builder": __version__, "stamp": str(STAMP_VERSION),
            "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", ""), **dict(_package_versions())}
