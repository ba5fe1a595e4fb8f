"""The project on disk: where report.yaml, content, facts, templates and styles live."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "report.yaml"

#: a file stem that becomes ids and file names (an article's, a fact table's): ASCII only, as
#: EPUBCheck warns of other file names in a book (PKG-012) and every id must be a valid XML id
MAX_STEM_LENGTH = 64
_STEM = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_STEM_LENGTH - 1}}}")
STEM_RULE = (
    f"use only ASCII letters, digits, '-' and '_', starting with a letter or digit, "
    f"at most {MAX_STEM_LENGTH} characters"
)


def stem_problem(path: Path) -> str | None:
    """Why this file's stem cannot name an id or a file in the outputs; None when it can."""
    if _STEM.fullmatch(path.stem):
        return None
    shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in path.stem)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return f"file name '{shown}' cannot become an id: {STEM_RULE}"


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def facts_dir(self) -> Path:
        return self.content_dir / "facts"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def styles_dir(self) -> Path:
        return self.root / "styles"

    def display(self, path: Path) -> str:
        """Path as shown in messages: relative to the project root."""
        for candidate in (path.resolve(), Path(os.path.abspath(path))):  # a link is shown where it lies
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return str(path)

    def resolve_inside(self, base: Path, reference: str) -> Path | None:
        """Resolve `reference` against `base`; None when it escapes the project (symlinks followed)."""
        candidate = (base / reference).resolve()
        if candidate == self.root or self.root in candidate.parents:
            return candidate
        return None


def load_project(directory: str | Path = ".") -> Project:
    return Project(Path(directory).resolve())


def builtin_dir(kind: str) -> Path:
    """Folder of the built-in `templates` or `styles`.

    In an installed wheel they sit inside the package; in a source checkout (editable
    install) they are the repository's own `templates/` and `styles/`.
    """
    package = Path(__file__).resolve().parent
    installed = package / kind
    if installed.is_dir():
        return installed
    return package.parents[1] / kind
