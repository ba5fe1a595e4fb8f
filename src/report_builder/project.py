"""The project on disk: where report.yaml, content, facts, templates and styles live."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "report.yaml"


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
