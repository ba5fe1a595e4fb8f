"""`report-builder init DIR`: copy the starter project that ships inside the package."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from .errors import Diagnostic, ReportError

SCAFFOLD = Path(__file__).resolve().parent / "starter"


def init_project(directory: str | Path) -> Path:
    target = Path(directory).resolve()
    if (target / "report.yaml").exists():
        raise ReportError(
            [Diagnostic(str(target / "report.yaml"), None, None, "a project already exists here; nothing was changed")]
        )
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(SCAFFOLD.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        destination = target / source.relative_to(SCAFFOLD)
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        if destination == target / "report.yaml":
            _identify(destination)
    return target


def _identify(config: Path) -> None:
    """Give the new publication an identifier of its own (EPUB dc:identifier): a random UUID."""
    text = config.read_text(encoding="utf-8")
    line = f"identifier: urn:uuid:{uuid.uuid4()}  # keep it; another language edition gets its own\n"
    config.write_text(text.replace("language: ", line + "language: ", 1), encoding="utf-8")
