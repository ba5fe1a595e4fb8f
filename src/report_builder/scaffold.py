"""`report-builder init DIR`: copy the starter project that ships inside the package."""

from __future__ import annotations

import shutil
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
    return target
