"""Diagnostics: located content problems, collected per stage and raised together."""

from __future__ import annotations

import reprlib
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


#: characters of a value that a message quotes; the rest becomes "…"
QUOTED_LENGTH = 40


def shorten(value, limit: int = QUOTED_LENGTH) -> str:
    """`value` quoted for a message: repr-like, dates as written, cut to `limit` characters with "…".

    A message never carries an unbounded value: a 5 MB key or a list of a million items is
    shown by its first few dozen characters.
    """
    if isinstance(value, str):
        text = repr(value[:limit])
        return text if len(value) <= limit else f"{text[:-1]}…{text[-1]}"
    text = _QUOTER.repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Quoter(reprlib.Repr):
    """reprlib with the loaders' located lists and mappings, dates as YAML writes them, and no
    integer too long to print."""

    def __init__(self):
        super().__init__()
        self.maxlevel, self.maxdict, self.maxlist, self.maxstring, self.maxother = 3, 4, 6, QUOTED_LENGTH, QUOTED_LENGTH

    def repr_LocatedDict(self, value, level):  # noqa: N802 - reprlib dispatches on the type's name
        return self.repr_dict(value, level)

    def repr_LocatedList(self, value, level):  # noqa: N802
        return self.repr_list(value, level)

    def repr_date(self, value, level):
        return value.isoformat()

    def repr_datetime(self, value, level):
        return value.isoformat(sep=" ")

    def repr_int(self, value, level):
        if value.bit_length() > 128:
            return f"<a {len(str(value)) if value.bit_length() < 14_000 else 'very long'}-digit integer>"
        return repr(value)


_QUOTER = _Quoter()
