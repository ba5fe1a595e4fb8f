"""Diagnostics: located content problems, collected per stage and raised together."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one input file; line and col are 1-based, None when unknown."""

    path: str
    line: int | None = None
    col: int | None = None
    message: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        return f"{where}: {self.severity}: {self.message}"


class ReportError(Exception):
    """Content or build problems that stop a run; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=_sort_key)
        super().__init__("\n".join(str(d) for d in self.diagnostics))

    def __reduce__(self):
        # raised in a worker process, it must cross back with its diagnostics intact
        return (type(self), (self.diagnostics,))


def _sort_key(d: Diagnostic):
    return (d.path, d.line or 0, d.col or 0, d.message)


@dataclass
class Collector:
    """Gather diagnostics during a stage; `raise_if_any` ends the stage."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def error(self, path, line=None, col=None, message=""):
        self.diagnostics.append(Diagnostic(str(path), line, col, message))

    def extend(self, diagnostics):
        self.diagnostics.extend(diagnostics)

    def raise_if_any(self):
        errors = [d for d in self.diagnostics if d.severity == "error"]
        if errors:
            raise ReportError(errors)
