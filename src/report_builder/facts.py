"""content/facts/*.yaml|csv|tsv|xlsx → FactTable: typed columns, exact decimals, values formatted per language.

A number is kept as a `Decimal` exactly as written and printed with the decimals it was written
with (or a column's `decimals:`); cells are formatted on first use, so loading a 100,000-row
export costs its parsing only. Exports are read as they come: the delimiter sniffed, title rows
above the header and notes below it skipped when the sidecar says so, figures in the table's
source locale. A problem repeated across rows is one message with its count.
"""

from __future__ import annotations

import collections.abc
import contextlib
import csv
import datetime as dt
import functools
import gc
import io
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    format_percent,
    parse_decimal,
    parse_pattern,
)

from . import article_cache
from .errors import Collector, Diagnostic, ReportError, shorten
from .inputs import LocatedDict, LocatedList, parse_yaml, read_input, read_text
from .model import Column, FactTable, Row
from .project import Project, stem_problem

#: row keys that describe the row rather than fill a column; `type` overrides the
#: type of the `value` column for one row (a table of mixed measures)
ROW_ATTRIBUTES = ("id", "qualifier", "unit", "source", "note", "type")
TABLE_SUFFIXES = (".yaml", ".yml", ".csv", ".tsv", ".xlsx")
EXPORT_SUFFIXES = (".csv", ".tsv", ".xlsx")
_TABLE_KEYS = {"title", "as_of", "source", "note", "columns", "rows", "key", "locale"}
_SIDECAR_KEYS = (_TABLE_KEYS - {"rows"}) | {"delimiter", "encoding", "sheet", "header_row", "footer_rows", "missing"}
_COLUMN_KEYS = {"key", "title", "type", "unit", "decimals", "format", "currency"}
#: digits of a number in a cell (YAML integers are bounded by inputs.MAX_INTEGER_DIGITS); also the
#: largest exponent and the most decimals a number may have: `1e999` is refused, not printed
MAX_NUMBER_DIGITS = 30
#: messages per file; the rest are counted in one last line
MAX_MESSAGES_PER_FILE = 20
#: cells of a spreadsheet read, empty ones included: a 5 MB .xlsx is compressed XML and may hold many more
MAX_XLSX_CELLS = 2_000_000
#: bytes a spreadsheet's parts may unpack to, as its zip directory declares them (reads stop there)
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "|": "|"}


class _CellError(ValueError):
    pass


# -- numbers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetNumber:
    """A spreadsheet number as Excel shows it: its value and, from its number format, decimals and percent."""

    value: Decimal
    percent: bool = False


def _finite(number: Decimal, written) -> Decimal:
    if not number.is_finite():
        raise _CellError(f"{shorten(str(written))} is not a finite number; write the figure, or leave the cell empty")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite: not 'n', 'N' or 'F'
    if number and (number.adjusted() >= MAX_NUMBER_DIGITS or exponent < -MAX_NUMBER_DIGITS):
        raise _CellError(
            f"{shorten(str(written))} is out of range: a number has at most {MAX_NUMBER_DIGITS} "
            "digits before and after the decimal mark"
        )
    return number


def to_decimal(value) -> Decimal:
    """A YAML or spreadsheet number as a Decimal with the digits it was written with (a float by its shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, SheetNumber):
        return value.value
    if isinstance(value, float):  # as written in YAML (1.10), else by its shortest repr
        return Decimal(getattr(value, "written", "") or repr(value))
    return Decimal(value)


@functools.lru_cache(maxsize=32)
def _number_syntax(locale: str) -> tuple[re.Pattern[str], Any]:
    """Numbers as `locale` writes them: optional groups of three, its decimal mark, or a plain 1.5e3."""
    symbols = _parsed_locale(locale).number_symbols.get("latn", _parsed_locale(locale).number_symbols)
    group, decimal = re.escape(symbols["group"]), re.escape(symbols["decimal"])
    if symbols["group"] in "\u00a0\u202f ":
        group = "[\u00a0\u202f ]"
    grouped = rf"[+-]?(?:\d{{1,3}}(?:{group}\d{{3}})+|\d+)(?:{decimal}\d+)?"
    return re.compile(rf"(?P<g>{grouped})|(?P<e>[+-]?\d+(?:\.\d+)?[eE][+-]?\d+)"), symbols


@functools.lru_cache(maxsize=32)
def _fast_syntax(locale: str):
    """(plain pattern, grouped pattern, translation to Python's notation) for numbers `locale` writes."""
    symbols = _parsed_locale(locale).number_symbols.get("latn", _parsed_locale(locale).number_symbols)
    group, decimal = symbols["group"], symbols["decimal"]
    groups = "\u00a0\u202f " if group in "\u00a0\u202f " else group
    plain = re.compile(rf"[+-]?\d+(?:{re.escape(decimal)}\d+)?")
    grouped = re.compile(rf"[+-]?\d{{1,3}}(?:[{re.escape(groups)}]\d{{3}})+(?:{re.escape(decimal)}\d+)?")
    return plain, grouped, str.maketrans({**{g: None for g in groups}, decimal: "."})


def parse_number(value, locale: str = "en") -> Decimal:
    """A number as written in `locale` (`83,237,124`, `11.280.257`, `1,5`), kept exactly, or _CellError."""
    if value.__class__ is str:  # the common case first: a 100,000-row export has hundreds of thousands
        text = value.strip()
        if len(text) <= MAX_NUMBER_DIGITS:
            plain, grouped, notation = _fast_syntax(locale)
            if plain.fullmatch(text) or grouped.fullmatch(text):
                return Decimal(text.translate(notation))
    return _parse_number(value, locale)


def _parse_number(value, locale):
    if isinstance(value, bool):
        raise _CellError("expected a number")
    if isinstance(value, (int, float, Decimal, SheetNumber)):
        return _finite(to_decimal(value), value)
    if not isinstance(value, str):
        raise _CellError(f"expected a number, not {shorten(value)}")
    text = value.strip().replace("\u2212", "-").replace("_", "")
    if sum(c.isdigit() for c in text) > MAX_NUMBER_DIGITS:
        raise _CellError(f"a number has at most {MAX_NUMBER_DIGITS} digits, not {shorten(text)}")
    if text.lower().lstrip("+-") in ("nan", "inf", "infinity", ".nan", ".inf"):
        raise _CellError(f"{shorten(text)} is not a finite number; write the figure, or leave the cell empty")
    if not any(c.isdigit() for c in text):
        raise _CellError(f"expected a number, not {shorten(value)}")
    syntax, symbols = _number_syntax(locale)
    match = syntax.fullmatch(text)
    if match and match.group("g"):
        digits = re.sub(r"[^\d+\-" + re.escape(symbols["decimal"]) + "]", "", text)
        return _finite(Decimal(digits.replace(symbols["decimal"], ".")), text)
    if match:
        return _finite(Decimal(text), text)
    try:  # other groupings the locale knows (1,00,000 in Hindi), with Babel's strict checks
        return _finite(parse_decimal(text, locale=locale, strict=True), text)
    except (NumberFormatError, ValueError, InvalidOperation):
        raise _CellError(f"expected a number written as {locale} writes them, not {shorten(value)}") from None


def parse_percent(value, locale: str = "en") -> Decimal:
    """Percentage points: `5.7%`, `5,7 %`, 5.7, or a spreadsheet cell formatted as a percentage (0.057)."""
    if isinstance(value, SheetNumber) and value.percent:
        return _finite(value.value.scaleb(2), value.value)
    if isinstance(value, str):
        value = value.strip()
        if value.endswith("%"):
            value = value[:-1].rstrip()
    return parse_number(value, locale)


def parse_currency(value, locale: str = "en") -> Decimal:
    """An amount with or without its currency: `€1,234.50`, `1.234,50 €`, `EUR 12`."""
    if isinstance(value, str):
        value = re.sub(r"^[^\d+\-\u2212]+|[^\d]+$", "", value.strip())
        if not value:
            raise _CellError("expected an amount")
    return parse_number(value, locale)


def _parse_pair(value, separator, locale="en"):
    if isinstance(value, str):
        parts = [p for p in re.split(rf"\s*[{separator}]\s*", value.strip()) if p]
    elif isinstance(value, list):
        parts = list(value)
    else:
        parts = []
    if len(parts) != 2:
        raise _CellError(f"expected two numbers such as [6, 8], not {shorten(value)}")
    return [parse_number(p, locale) for p in parts]


_DATE_FORMS = ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")


def parse_date(value, date_format: str = ""):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if date_format:
                return dt.datetime.strptime(text, date_format).date()
            return dt.date.fromisoformat(text[:10] if re.fullmatch(r"\d{4}-\d\d-\d\d[T ]00:00(:00)?", text) else text)
        except ValueError:
            pass
        if date_format:
            raise _CellError(f"expected a date written {date_format}, not {shorten(value)}")
        fits = next((form for form in _DATE_FORMS if _fits(text, form)), None)
        if fits:
            raise _CellError(
                f"expected a date written YYYY-MM-DD, not {shorten(value)}; "
                f"if the column's dates are written {fits}, declare it: format: '{fits}'"
            )
    raise _CellError(f"expected a date written YYYY-MM-DD, not {shorten(value)}")


def _fits(text, form) -> bool:
    try:
        dt.datetime.strptime(text, form)
        return True
    except ValueError:
        return False


def _parse_text(value, *_):
    if isinstance(value, (list, dict)):
        raise _CellError("expected text")
    if isinstance(value, SheetNumber):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return "" if value is None else str(value)


#: column type → parser(raw value, locale, date format) → typed value
COLUMN_TYPES = {
    "text": _parse_text,
    "number": lambda v, locale="en", _f="": parse_number(v, locale),
    "percent": lambda v, locale="en", _f="": parse_percent(v, locale),
    "currency": lambda v, locale="en", _f="": parse_currency(v, locale),
    "date": lambda v, _locale="en", form="": parse_date(v, form),
    "range": lambda v, locale="en", _f="": _parse_pair(v, "–—-", locale),
    "ratio": lambda v, locale="en", _f="": _parse_pair(v, ":", locale),
}


def format_value(value, column_type: str, locale: str, decimals: int | None = None, currency: str = "") -> str:
    """Format a typed value the way every output shows it: a number with the decimals it was written with."""
    if column_type == "number":
        return format_number(value, locale, decimals)
    if column_type == "percent":
        number = _quantized(to_decimal(value), decimals)
        pattern = _pattern(locale, "percent", _decimals(number))
        return format_percent(number.scaleb(-2), format=pattern, locale=_parsed_locale(locale))
    if column_type == "currency":
        number = _quantized(to_decimal(value), decimals)
        if not currency:
            return format_number(number, locale)
        return format_currency(
            number,
            currency,
            format=_pattern(locale, "currency", _decimals(number)),
            locale=_parsed_locale(locale),
            currency_digits=False,
        )
    if column_type == "range":
        return f"{format_number(value[0], locale, decimals)}–{format_number(value[1], locale, decimals)}"
    if column_type == "ratio":
        return f"{format_number(value[0], locale, decimals)}:{format_number(value[1], locale, decimals)}"
    if column_type == "date":
        return format_date(value, "long", locale=_parsed_locale(locale))
    return value


def format_number(value, locale: str, decimals: int | None = None) -> str:
    number = _quantized(to_decimal(value), decimals)
    return format_decimal(number, format=_pattern(locale, "decimal", _decimals(number)), locale=_parsed_locale(locale))


def _decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _quantized(number: Decimal, decimals: int | None) -> Decimal:
    if decimals is None:
        return number
    return number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@functools.lru_cache(maxsize=256)
def _pattern(locale: str, kind: str, decimals: int):
    """The locale's number, percent or currency pattern with exactly `decimals` decimals, parsed once."""
    loc = _parsed_locale(locale)
    base = {"decimal": loc.decimal_formats, "percent": loc.percent_formats, "currency": loc.currency_formats}[kind].get(
        None if kind != "currency" else "standard"
    )
    assert base is not None  # CLDR has these three for every locale
    text = base.pattern.split(";")[0]
    text = re.sub(r"\.[0#]+", "", text)
    if decimals:
        text = re.sub(r"([0#])(?!.*[0#])", lambda m: m.group(1) + "." + "0" * decimals, text, count=1)
    return parse_pattern(text)


@functools.lru_cache(maxsize=16)
def _parsed_locale(identifier: str) -> Locale:
    """Babel parses a locale given by name on every call: a table of numbers paid it per cell."""
    return Locale.parse(identifier)


def format_cell(text: str, qualifier: str = "", unit: str = "") -> str:
    if not text:
        return text
    if qualifier:
        text = f"{qualifier} {text}"
    if unit:
        text = f"{text} {unit}" if unit != "%" else f"{text}%"
    return text


def slug(text: str) -> str:
    """`population-2021` for `Population (2021)`: how a reference may name a column."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^\w]+", "-", text).strip("-_")


class Cells(collections.abc.Mapping):
    """A row's cells, formatted on first use: a table of 100,000 rows shown 50 at a time formats 50."""

    __slots__ = ("_row", "_table", "_done")

    def __init__(self, row_values, table_format):
        self._row, self._table, self._done = row_values, table_format, {}

    def __getitem__(self, key):
        done = self._done.get(key)
        if done is None:
            if key not in self._table.columns:
                raise KeyError(key)
            done = self._done[key] = self._table.cell(self._row, key)
        return done

    def __iter__(self):
        return iter(self._table.columns)

    def __len__(self):
        return len(self._table.columns)

    def formatted_in(self, key: str, locale: str) -> str:
        """The cell as another language writes it: a fact quoted in an article of its own `language:`."""
        if key not in self._table.columns:
            raise KeyError(key)
        if locale == self._table.locale:
            return self[key]
        return _TableFormat(self._table.columns, locale).cell(self._row, key)


@dataclass
class _TableFormat:
    """How one table's cells print: per column key its Column; per row its qualifier, unit and type."""

    columns: dict[str, Column]
    locale: str

    def cell(self, row: _RowValues, key: str) -> str:
        value = row.values.get(key)
        if value is None:
            return ""
        column = self.columns[key]
        is_value = key == "value"
        column_type = row.type if is_value and row.type else column.type
        text = format_value(value, column_type, self.locale, column.decimals, column.currency)
        unit = (row.unit or column.unit) if is_value else column.unit
        return format_cell(text, row.qualifier if is_value else "", unit)


@dataclass(slots=True)
class _RowValues:
    values: dict
    qualifier: str = ""
    unit: str = ""
    type: str | None = None


# -- problems --------------------------------------------------------------------------------------


@dataclass
class _Problems:
    """A table's problems: one per kind, counted across rows, at most MAX_MESSAGES_PER_FILE per file."""

    groups: dict = field(default_factory=dict)  # group key → [path, line, col, message, lines, fix]
    single: list = field(default_factory=list)

    def add(self, path, line, col, message, group=None, fix=""):
        if group is None:
            self.single.append(Diagnostic(str(path), line, col, message + (f"; {fix}" if fix else "")))
            return
        entry = self.groups.get((path, group))
        if entry is None:
            self.groups[(path, group)] = [path, line, col, message, [line], fix]
        else:
            entry[4].append(line)

    def diagnostics(self) -> list[Diagnostic]:
        found = list(self.single)
        for path, line, col, message, lines, fix in self.groups.values():
            if len(lines) > 1:
                first, last = min(lines), max(lines)
                where = f"lines {first} and {last}" if len(lines) == 2 else f"lines {first}–{last}"
                message = f"{message} ({len(lines):,} rows like this, {where})"
            found.append(Diagnostic(str(path), line, col, message + (f"; {fix}" if fix else "")))
        return _capped(found)


def _capped(found: list[Diagnostic]) -> list[Diagnostic]:
    by_path: dict[str, list[Diagnostic]] = {}
    for item in sorted(found, key=lambda d: (d.path, d.line or 0, d.col or 0, d.message)):
        by_path.setdefault(item.path, []).append(item)
    kept = []
    for path, items in by_path.items():
        kept.extend(items[:MAX_MESSAGES_PER_FILE])
        if len(items) > MAX_MESSAGES_PER_FILE:
            first = items[MAX_MESSAGES_PER_FILE]
            kept.append(
                Diagnostic(
                    path,
                    first.line,
                    first.col,
                    f"… and {len(items) - MAX_MESSAGES_PER_FILE:,} more problems in this file",
                )
            )
    return kept


# -- loading ---------------------------------------------------------------------------------------


def fact_table_files(project: Project) -> list[Path]:
    directory = project.facts_dir
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in TABLE_SUFFIXES)


def load_fact_tables(project: Project, locale: str, problems: Collector | None = None) -> dict[str, FactTable]:
    """Load every table in content/facts; all problems are reported together.

    With `problems`, diagnostics go there and the tables that loaded cleanly are returned,
    so references to them can still be checked in the same run.
    """
    errors = Collector()
    tables: dict[str, FactTable] = {}
    files = fact_table_files(project)
    exports = {p.stem for p in files if p.suffix in EXPORT_SUFFIXES}
    seen: dict[str, Path] = {}
    for path in files:
        if path.suffix not in EXPORT_SUFFIXES and path.stem in exports:
            continue  # a sidecar, read with its export
        if stem_problem(path):
            errors.error(project.display(path), None, None, f"fact table {stem_problem(path)}")
            continue
        if path.stem in seen:
            errors.error(
                project.display(path),
                None,
                None,
                f"fact table '{path.stem}' is also {project.display(seen[path.stem])}; keep one of the two files",
            )
            continue
        seen[path.stem] = path
        found = _Problems()
        try:
            with _no_collection():
                table = article_cache.kept_table(
                    path,
                    _table_key(project, path, locale),
                    partial(_clean, project, path, locale, found),
                )
        except ReportError as exc:
            errors.extend(exc.diagnostics)
            continue
        diagnostics = found.diagnostics()
        errors.extend(diagnostics)
        if table is not None and not diagnostics:
            tables[table.name] = table
    if problems is not None:
        problems.extend(errors.diagnostics)
        return tables
    errors.raise_if_any()
    return tables


def _table_key(project, path, locale) -> tuple:
    """What a table is loaded with besides the files it reads: an export's sidecar may appear."""
    return str(project.root), locale, path.suffix in EXPORT_SUFFIXES and path.with_suffix(".yaml").is_file()


def _clean(project, path, locale, found) -> tuple:
    """The table, and whether it loaded without a problem (only such a table is kept)."""
    table = _load_table(project, path, locale, found)
    return table, not found.diagnostics()


@contextlib.contextmanager
def _no_collection():
    """The cyclic garbage collector paused while a table's rows are made: they hold no cycles, and its
    passes over a growing heap made a 100,000-row table cost 1.7 times its share of a 10,000-row one."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_table(project, path, locale, problems):
    shown = project.display(path)
    if path.suffix in EXPORT_SUFFIXES:
        sidecar = path.with_suffix(".yaml")
        meta_shown = project.display(sidecar)
        meta = LocatedDict()
        if sidecar.is_file():
            meta = parse_yaml(read_text(sidecar, meta_shown, inside=project.root), meta_shown) or LocatedDict()
            if not isinstance(meta, LocatedDict):
                problems.add(meta_shown, 1, 1, "a fact table sidecar must be a mapping")
                return None
            _check_keys(meta, _SIDECAR_KEYS, meta_shown, problems)
        source_locale = _locale_setting(meta, locale, meta_shown, problems)
        grid = (
            _xlsx_grid(project, path, shown, meta, meta_shown, problems)
            if path.suffix == ".xlsx"
            else _text_grid(project, path, shown, meta, meta_shown, problems)
        )
        if grid is None:
            return None
        return _export_table(path.stem, grid, meta, shown, meta_shown, locale, source_locale, problems)
    data = parse_yaml(read_text(path, shown, inside=project.root), shown)
    if not isinstance(data, LocatedDict):
        problems.add(shown, 1, 1, "a fact table must be a mapping with 'columns' and 'rows'")
        return None
    _check_keys(data, _TABLE_KEYS, shown, problems)
    source_locale = _locale_setting(data, locale, shown, problems)
    columns = _yaml_columns(data, shown, problems)
    raw_rows = []
    rows_value = data.get("rows")
    if not isinstance(rows_value, LocatedList):
        line, col = data.value_pos.get("rows", data.pos)
        problems.add(shown, line, col, "'rows' must be a list of rows")
    else:
        for item, pos in zip(rows_value, rows_value.item_pos):
            if not isinstance(item, LocatedDict):
                problems.add(shown, pos[0], pos[1], "each row must be a mapping such as {id: x, value: 1}")
                continue
            raw_rows.append(item)
    rows = _yaml_rows(raw_rows, columns, shown, source_locale, locale, problems)
    return _table(path.stem, data, columns, rows, shown, shown, locale, problems, key="id")


def _locale_setting(meta, locale, meta_shown, problems) -> str:
    value = meta.get("locale")
    if value is None:
        return locale
    try:
        return str(Locale.parse(str(value).replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        line, col = meta.value_pos["locale"]
        problems.add(
            meta_shown, line, col, f"unknown locale {shorten(value)}; write a language code such as 'de' or 'en_US'"
        )
        return locale


def _table(name, meta, columns, rows, shown, meta_shown, locale, problems, key=""):
    as_of = meta.get("as_of")
    as_of_text = ""
    if as_of is not None:
        try:
            as_of = parse_date(as_of)
            as_of_text = format_date(as_of, "long", locale=locale)
        except _CellError as exc:
            line, col = meta.value_pos["as_of"]
            problems.add(meta_shown, line, col, f"as_of: {exc}")
            as_of = None
    return FactTable(
        name=name,
        title=str(meta.get("title") or name.replace("_", " ").capitalize()),
        columns=columns,
        rows=rows,
        path=shown,
        source=str(meta.get("source") or ""),
        as_of=as_of,
        as_of_text=as_of_text,
        note=str(meta.get("note") or ""),
        key=key,
    )


def _check_keys(mapping, allowed, shown, problems):
    for key in mapping:
        if key not in allowed:
            line, col = mapping.key_pos[key]
            problems.add(
                shown, line, col, f"unknown key {shorten(key)} (expected one of: {', '.join(sorted(allowed))})"
            )


def _yaml_columns(data, shown, problems):
    value = data.get("columns")
    if not isinstance(value, LocatedList) or not value:
        line, col = data.value_pos.get("columns", data.pos)
        problems.add(shown, line, col, "'columns' must be a non-empty list such as [{key: label, title: Measure}]")
        return []
    columns = []
    for item, pos in zip(value, value.item_pos):
        column = _column(item, pos, shown, problems)
        if column:
            columns.append(column[0])
    return columns


def _column(item, pos, shown, problems, key=None, title=None):
    """(Column, date format) from a column mapping of a YAML table or a sidecar, or None."""
    if not isinstance(item, LocatedDict):
        problems.add(shown, pos[0], pos[1], "a column must be a mapping such as {key: value, type: number}")
        return None
    _check_keys(item, _COLUMN_KEYS, shown, problems)
    key = key or item.get("key")
    if not isinstance(key, str) or not key:
        problems.add(shown, pos[0], pos[1], "a column needs a 'key'")
        return None
    if key in ROW_ATTRIBUTES:
        problems.add(shown, pos[0], pos[1], f"'{key}' is a row attribute and cannot be a column")
        return None
    column_type = item.get("type", "text")
    if not isinstance(column_type, str) or column_type not in COLUMN_TYPES:
        line, col = item.value_pos["type"]
        problems.add(
            shown, line, col, f"unknown column type {shorten(column_type)} (expected one of: {', '.join(COLUMN_TYPES)})"
        )
        column_type = "text"
    decimals = item.get("decimals")
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= MAX_NUMBER_DIGITS
    ):
        line, col = item.value_pos["decimals"]
        problems.add(
            shown, line, col, f"decimals must be a whole number from 0 to {MAX_NUMBER_DIGITS}, not {shorten(decimals)}"
        )
        decimals = None
    currency = str(item.get("currency") or "")
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        line, col = item.value_pos["currency"]
        problems.add(
            shown, line, col, f"currency must be a three-letter ISO 4217 code such as EUR, not {shorten(currency)}"
        )
        currency = ""
    if column_type == "currency" and not currency:
        problems.add(
            shown, pos[0], pos[1], f"column {shorten(key)} (currency) needs its currency, e.g. 'currency: EUR'"
        )
    date_format = str(item.get("format") or "")
    if date_format and not re.search(r"%[dmYyBbj]", date_format):
        line, col = item.value_pos["format"]
        problems.add(shown, line, col, f"format {shorten(date_format)} is not a date format such as '%d/%m/%Y'")
    explicit = item.get("title")
    column = Column(
        key=key,
        title=str(explicit) if explicit else (title or key.replace("_", " ").capitalize()),
        type=column_type,
        unit=str(item.get("unit") or ""),
        slug=slug(key),
        decimals=decimals,
        currency=currency,
    )
    return column, date_format


def _yaml_rows(raw_rows, columns, shown, source_locale, locale, problems):
    rows: list[Row] = []
    seen: dict[str, int] = {}  # row id → the line it is first on
    anchors: set[str] = set()
    table_format = _TableFormat({c.key: c for c in columns}, locale)
    allowed = {c.key for c in columns} | set(ROW_ATTRIBUTES)
    for raw in raw_rows:
        line, col = raw.pos
        row_id = _row_id(raw.get("id"), raw.value_pos.get("id", raw.pos), line, seen, shown, problems, "row id")
        for key in raw:
            if key not in allowed:
                k_line, k_col = raw.key_pos[key]
                problems.add(shown, k_line, k_col, f"unknown column {shorten(key)} in row {shorten(row_id or line)}")
        row_type = raw.get("type") or None
        if row_type is not None and (not isinstance(row_type, str) or row_type not in COLUMN_TYPES):
            t_line, t_col = raw.value_pos.get("type", raw.pos)
            problems.add(
                shown, t_line, t_col, f"unknown type {shorten(row_type)} (expected one of: {', '.join(COLUMN_TYPES)})"
            )
            row_type = None
        values: dict[str, Any] = {}
        for column in columns:
            raw_value = raw.get(column.key)
            if raw_value is None or raw_value == "":
                values[column.key] = None
                continue
            column_type = row_type if column.key == "value" and row_type else column.type
            try:
                values[column.key] = COLUMN_TYPES[column_type](raw_value, source_locale, "")
            except _CellError as exc:
                v_line, v_col = raw.value_pos.get(column.key, raw.pos)
                problems.add(shown, v_line, v_col, f"column '{column.key}' ({column_type}): {exc}")
                values[column.key] = None
        row_values = _RowValues(values, str(raw.get("qualifier") or ""), str(raw.get("unit") or ""), row_type)
        rows.append(
            Row(
                id=row_id,
                values=values,
                cells=Cells(row_values, table_format),
                source=str(raw.get("source") or ""),
                note=str(raw.get("note") or ""),
                line=line,
                anchor=_anchor(row_id, anchors),
            )
        )
    return rows


def _row_id(value, where, line, seen, shown, problems, key_name, fix=""):
    """The row's id as written (case kept), or None when it has none; duplicates are reported once per kind."""
    if value is None or value == "":
        return None
    row_id = str(value).strip()
    if "." in row_id or "`" in row_id or not row_id.isprintable():
        problems.add(
            shown,
            where[0],
            where[1],
            f"{key_name} {shorten(row_id)} cannot be referenced: a row id may not "
            "contain '.', '`' or control characters",
            group=("bad id", key_name),
        )
        return None
    if row_id in seen:
        problems.add(
            shown,
            where[0],
            where[1],
            f"duplicate {key_name} {shorten(row_id)} (first used on line {seen[row_id]})",
            group=("duplicate", key_name),
            fix=fix,
        )
        return None
    seen[row_id] = line
    return row_id


def _anchor(row_id, anchors) -> str:
    if row_id is None:
        return ""
    base = row_id if _ANCHOR.fullmatch(row_id) else (re.sub(r"[^A-Za-z0-9_-]+", "-", row_id).strip("-") or "row")
    anchor, number = base, 2
    while anchor in anchors:
        anchor, number = f"{base}-{number}", number + 1
    anchors.add(anchor)
    return anchor


# -- reading exports -------------------------------------------------------------------------------


@dataclass
class _Grid:
    """An export's records: their cells, the line (or sheet row) each starts on, and where each cell is."""

    records: list[list]
    lines: list[int]
    where: collections.abc.Callable[[int, int], tuple[int, int]]  # (record index, cell index) → (line, col)
    # `delimiter: ';'` or `sheet: Data`: what the message about a missing sidecar setting may suggest
    delimiter: str = ""


def _read_bytes(project, path, shown) -> bytes:
    return read_input(path, shown, inside=project.root)


def _decode(data: bytes, meta, shown, meta_shown, problems) -> str | None:
    encoding = meta.get("encoding")
    sidecar = Path(meta_shown).name
    if encoding is not None:
        try:
            text = data.decode(str(encoding))
        except LookupError:
            line, col = meta.value_pos["encoding"]
            problems.add(
                meta_shown, line, col, f"unknown encoding {shorten(encoding)}; write one such as 'cp1252' or 'latin-1'"
            )
            return None
        except UnicodeDecodeError as exc:
            line, col = _byte_position(data, exc.start)
            problems.add(
                shown,
                line,
                col,
                f"byte 0x{data[exc.start]:02x} is not {encoding}, the encoding "
                f"{sidecar} declares; declare the encoding the file was saved in",
            )
            return None
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16 with its BOM
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, col = _byte_position(data, exc.start)
            guess = "cp1252" if re.search(rb"[\x80-\x9f]", data) else "latin-1"
            problems.add(
                shown,
                line,
                col,
                f"byte 0x{data[exc.start]:02x} is not UTF-8; if the file was saved "
                f"as {'Windows-1252' if guess == 'cp1252' else 'Latin-1'}, add this line to {sidecar}: "
                f'"encoding: {guess}" (or save the file as UTF-8)',
            )
            return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def export_text(project: Project, path: Path) -> str:
    """The text of a CSV or TSV export as its table was read: in the encoding its sidecar declares."""
    sidecar = path.with_suffix(".yaml")
    meta = LocatedDict()
    if sidecar.is_file():
        meta = parse_yaml(read_text(sidecar, project.display(sidecar), inside=project.root), project.display(sidecar))
    if not isinstance(meta, LocatedDict):
        meta = LocatedDict()
    problems = _Problems()
    text = _decode(
        _read_bytes(project, path, project.display(path)),
        meta,
        project.display(path),
        project.display(sidecar),
        problems,
    )
    if text is None:
        raise ReportError(problems.diagnostics())
    return text


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, len(data[start:offset].decode("utf-8", "replace")) + 1


def _text_grid(project, path, shown, meta, meta_shown, problems) -> _Grid | None:
    text = _decode(_read_bytes(project, path, shown), meta, shown, meta_shown, problems)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    declared = meta.get("delimiter")
    if declared is not None:
        delimiter = DELIMITERS.get(str(declared)) or DELIMITERS.get(str(declared).lower())
        if delimiter is None:
            line, col = meta.value_pos["delimiter"]
            problems.add(meta_shown, line, col, f"unknown delimiter {shorten(declared)}; write ',', ';', 'tab' or '|'")
            return None
    elif path.suffix == ".tsv":
        delimiter = "\t"
    else:
        delimiter = sniff_delimiter(lines[:50])
    reader = csv.reader(lines, delimiter=delimiter)
    records, starts = [], []
    start = 1
    try:
        for record in reader:
            records.append(record)
            starts.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:  # a field longer than csv.field_size_limit(), 131,072 characters
        limit = csv.field_size_limit()
        problem = (
            f"a field is longer than {limit:,} characters, the limit for a CSV cell"
            if "field limit" in str(exc)
            else f"cannot read the CSV: {shorten(str(exc), 80)}"
        )
        problems.add(shown, start, 1, problem)
        return None

    def where(index, cell):
        return _cell_position(lines, starts[index], delimiter, cell)

    return _Grid(records, starts, where, delimiter)


def sniff_delimiter(sample: list[str]) -> str:
    """The delimiter that splits the most lines of `sample` into the same number (above one) of fields."""
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t", "|"):
        counts = collections.Counter(len(r) for r in _records(sample, delimiter) if r)
        fields, lines = max(((n, c) for n, c in counts.items() if n > 1), key=lambda nc: (nc[1], nc[0]), default=(0, 0))
        if (lines, fields) > best_score:
            best, best_score = delimiter, (lines, fields)
    return best


def _records(sample, delimiter):
    """The records of `sample` up to the first the csv module refuses (a cell over its size limit)."""
    reader = csv.reader(sample, delimiter=delimiter)
    while True:
        try:
            yield next(reader)
        except (StopIteration, csv.Error):
            return


def _cell_position(lines, start, delimiter, cell) -> tuple[int, int]:
    """(line, col) where field `cell` of the record starting on line `start` begins, quotes and line breaks included."""
    line, col, index = start, 1, 0
    text = lines[start - 1] if start - 1 < len(lines) else ""
    pos, quoted, at_start = 0, False, True
    while index < cell:
        if pos >= len(text):
            line += 1
            if line - 1 >= len(lines):
                break
            text, pos, col = lines[line - 1], 0, 1
            continue
        char = text[pos]
        if at_start and char == '"':
            quoted, at_start = True, False
        elif quoted and char == '"':
            if text[pos + 1 : pos + 2] == '"':
                pos, col = pos + 1, col + 1
            else:
                quoted = False
        elif not quoted and char == delimiter:
            index, at_start = index + 1, True
        else:
            at_start = False
        pos, col = pos + 1, col + 1
    return line, col


def _xlsx_grid(project, path, shown, meta, meta_shown, problems) -> _Grid | None:
    import zipfile
    from zipfile import BadZipFile

    import openpyxl  # imported when a spreadsheet is read: a build without one does not pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    data = _read_bytes(project, path, shown)
    try:
        unpacked = sum(item.file_size for item in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (BadZipFile, OSError, ValueError) as exc:
        problems.add(shown, None, None, f"cannot read the spreadsheet: {str(exc)[:80]}; save it as .xlsx")
        return None
    if unpacked > MAX_XLSX_UNPACKED:
        problems.add(
            shown,
            None,
            None,
            f"the spreadsheet unpacks to {unpacked:,} bytes; the limit is "
            f"{MAX_XLSX_UNPACKED:,}: save the table in a workbook of its own",
        )
        return None
    try:
        # read-only: the sheet is streamed; data_only: the values Excel saved, never a formula;
        # keep_links=False: links to other workbooks are not kept, let alone followed
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        problems.add(shown, None, None, f"cannot read the spreadsheet: {str(exc)[:80]}; save it as .xlsx")
        return None
    try:
        sheet_name = meta.get("sheet")
        if sheet_name is None:
            sheet = book.worksheets[0]
        elif str(sheet_name) in book.sheetnames:
            sheet = book[str(sheet_name)]
        else:
            line, col = meta.value_pos["sheet"]
            problems.add(
                meta_shown,
                line,
                col,
                f"the workbook has no sheet {shorten(sheet_name)} "
                f"(its sheets: {', '.join(map(repr, book.sheetnames[:10]))})",
            )
            return None
        records: list[list] = []
        cells = 0
        for row in sheet.iter_rows(min_row=1, min_col=1):
            cells += len(row)
            if cells > MAX_XLSX_CELLS:
                problems.add(
                    shown,
                    len(records) + 1,
                    1,
                    f"the sheet has more than {MAX_XLSX_CELLS:,} cells, the "
                    "limit for a spreadsheet; save the table on a sheet of its own",
                )
                return None
            records.append([_sheet_value(c) for c in row])
    finally:
        book.close()
    while records and not any(v not in (None, "") for v in records[-1]):
        records.pop()
    return _Grid(records, list(range(1, len(records) + 1)), lambda index, cell: (index + 1, cell + 1))


def _sheet_value(cell):
    value = cell.value
    if value is None or isinstance(value, (str, bool, dt.date, dt.time)):
        return value
    if isinstance(value, (int, float)):
        number_format = getattr(cell, "number_format", "General") or "General"
        if isinstance(value, float):
            number = Decimal(format(value, ".15g"))  # Excel's 15 significant digits, not the float's noise
        else:
            number = Decimal(value)
        percent = "%" in number_format
        shown = re.search(r"0\.(0+)", number_format)
        if shown:
            number = (
                number.scaleb(2 if percent else 0)
                .quantize(Decimal(1).scaleb(-len(shown.group(1))), rounding=ROUND_HALF_UP)
                .scaleb(-2 if percent else 0)
            )
        elif number_format != "General" and re.fullmatch(r"[#,]*0%?", number_format.split(";")[0]):
            number = number.scaleb(2 if percent else 0).quantize(Decimal(1)).scaleb(-2 if percent else 0)
        return SheetNumber(number, percent)
    return str(value)


# -- an export's table -----------------------------------------------------------------------------


def _setting_int(meta, key, default, minimum, meta_shown, problems) -> int:
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        line, col = meta.value_pos[key]
        problems.add(meta_shown, line, col, f"{key} must be a whole number of at least {minimum}, not {shorten(value)}")
        return default
    return value


def _export_table(name, grid, meta, shown, meta_shown, locale, source_locale, problems):
    sidecar = Path(meta_shown).name
    header_row = _setting_int(meta, "header_row", 1, 1, meta_shown, problems)
    footer_rows = _setting_int(meta, "footer_rows", 0, 0, meta_shown, problems)
    records = grid.records
    if "header_row" in meta:
        index = next((i for i, line in enumerate(grid.lines) if line >= header_row), len(records))
    else:
        index = next((i for i, record in enumerate(records) if any(_filled(v) for v in record)), len(records))
    if index >= len(records) or not any(_filled(v) for v in records[index]):
        line = grid.lines[index] if index < len(grid.lines) else (grid.lines[-1] if grid.lines else 1)
        problems.add(
            shown,
            line,
            1,
            "a fact table needs a header row"
            + (f" (header_row: {header_row} in {sidecar})" if "header_row" in meta else ""),
        )
        return None
    body = [i for i in range(index + 1, len(records)) if any(_filled(v) for v in records[i])]
    if footer_rows:
        body = body[:-footer_rows] if footer_rows < len(body) else []
    header = [_header_text(v) for v in records[index]]
    _blank_missing(records, body, meta, meta_shown, problems)
    keep = _header_columns(grid, index, header, body, shown, problems)
    columns, formats = _export_columns(header, keep, meta, meta_shown, shown, problems)
    _check_field_counts(grid, index, header, keep, body, shown, sidecar, problems)
    return _export_rows(
        name,
        grid,
        header,
        keep,
        columns,
        formats,
        body,
        meta,
        shown,
        meta_shown,
        sidecar,
        locale,
        source_locale,
        problems,
    )


def _blank_missing(records, body, meta, meta_shown, problems):
    """Cells written as the sidecar's `missing:` markers (`:`, `n/a`, `..`) become empty cells."""
    value = meta.get("missing")
    if value is None:
        return
    markers = [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value
    if not isinstance(markers, list) or not all(isinstance(m, (str, int, float)) for m in markers):
        line, col = meta.value_pos["missing"]
        problems.add(
            meta_shown, line, col, "missing lists what an empty cell is written as, e.g. missing: [':', 'n/a']"
        )
        return
    markers = frozenset(str(m).strip() for m in markers)
    for i in body:
        record = records[i]
        for cell, raw in enumerate(record):
            if raw.__class__ is str and raw.strip() in markers:
                record[cell] = None


def _filled(value) -> bool:
    return value is not None and (value.__class__ is not str or bool(value) and not value.isspace())


def _header_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, SheetNumber):
        return str(value.value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _header_columns(grid, index, header, body, shown, problems) -> list[int]:
    """Indices of the columns kept: every headed one; an empty header over data, or a repeated one, is an error."""
    keep: list[int] = []
    first: dict[str, int] = {}
    for cell, title in enumerate(header):
        if not title:
            has_data = next((i for i in body if cell < len(grid.records[i]) and _filled(grid.records[i][cell])), None)
            if has_data is not None:
                line, col = grid.where(index, cell)
                d_line = grid.where(has_data, cell)[0]
                problems.add(
                    shown,
                    line,
                    col,
                    f"column {cell + 1} has no header but has data (first on line "
                    f"{d_line}); give it a header, or delete the column",
                )
            continue
        if title in first:
            line, col = grid.where(index, cell)
            problems.add(
                shown,
                line,
                col,
                f"header {shorten(title)} repeats the header of column {first[title] + 1}; "
                "give each column its own header",
            )
            continue
        first[title] = cell
        keep.append(cell)
    return keep


def _check_field_counts(grid, index, header, keep, body, shown, sidecar, problems):
    last_kept = max(keep, default=-1)
    wanted = len(header)
    for i in body:
        record = grid.records[i]
        if (
            len(record) < wanted
            and len(record) <= last_kept
            or (len(record) > wanted and any(_filled(v) for v in record[wanted:]))
        ):
            problems.add(
                shown,
                grid.lines[i],
                1,
                f"expected {wanted} fields, found {len(record)}",
                group=("fields", len(record)),
                fix=_layout_hint(grid, index, body, wanted, sidecar),
            )


def _layout_hint(grid, index, body, wanted, sidecar) -> str:
    """A sidecar line that would fix rows of the wrong length: a header further down, or notes at the end."""
    counts = collections.Counter(len(grid.records[i]) for i in body)
    modal, many = counts.most_common(1)[0] if counts else (wanted, 0)
    if modal != wanted and many > 1:
        first = next(i for i in body if len(grid.records[i]) == modal)
        return (
            f'if the header is line {grid.lines[first]}, add this line to {sidecar}: "header_row: {grid.lines[first]}"'
        )
    trailing = 0
    for i in reversed(body):
        if len(grid.records[i]) == wanted:
            break
        trailing += 1
    if trailing and trailing < len(body):
        return f'if the last {trailing} rows are notes, add this line to {sidecar}: "footer_rows: {trailing}"'
    return ""


def _export_columns(header, keep, meta, meta_shown, shown, problems):
    """Columns of the kept headers, with what the sidecar declares; (columns by cell index, date formats)."""
    described = {}
    declared = meta.get("columns")
    by_name = {header[c]: c for c in keep}
    by_slug: dict[str, int] = {}
    for c in keep:
        by_slug.setdefault(slug(header[c]), c)
    if declared is not None and not isinstance(declared, LocatedList):
        line, col = meta.value_pos["columns"]
        problems.add(meta_shown, line, col, "'columns' must be a list such as [{key: value, type: number}]")
    for item, pos in zip(declared or [], getattr(declared, "item_pos", [])):
        key = item.get("key") if isinstance(item, LocatedDict) else None
        cell = by_name.get(key, by_slug.get(slug(str(key)))) if isinstance(key, str) and key else None
        if cell is None and isinstance(key, str) and key:
            problems.add(
                meta_shown,
                pos[0],
                pos[1],
                f"column {shorten(key)} is not in the header of "
                f"{Path(shown).name}{_close(key, [header[c] for c in keep])}",
            )
            continue
        found = _column(
            item,
            pos,
            meta_shown,
            problems,
            key=header[cell] if cell is not None else None,
            title=header[cell] if cell is not None else None,
        )
        if found and cell is not None:
            described[cell] = found
    return described, {cell: fmt for cell, (_column_, fmt) in described.items()}


def _close(word, options) -> str:
    import difflib

    match = difflib.get_close_matches(word, options, n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


def _export_rows(
    name, grid, header, keep, declared, formats, body, meta, shown, meta_shown, sidecar, locale, source_locale, problems
):
    key_name = meta.get("key")
    key_cell = None
    slugs = {slug(header[c]): c for c in reversed(keep)}
    if key_name is not None:
        key_cell = next((c for c in keep if header[c] == str(key_name)), slugs.get(slug(str(key_name))))
        if key_cell is None:
            line, col = meta.value_pos["key"]
            problems.add(
                meta_shown,
                line,
                col,
                f"key {shorten(key_name)} is not a column of {Path(shown).name}"
                f"{_close(str(key_name), [header[c] for c in keep])}",
            )
    id_cell = next((c for c in keep if header[c] == "id"), None)
    has_value = any(header[c] == "value" for c in keep)
    attributes = {
        header[c]: c
        for c in keep
        if header[c] in ROW_ATTRIBUTES[1:] and (header[c] != "type" or has_value) and c != key_cell
    }
    hidden = set(attributes.values()) | ({id_cell} if id_cell is not None and key_cell is None else set())
    if key_cell is None and key_name is None:
        key_cell = id_cell
    shown_cells = [c for c in keep if c not in hidden]
    columns, parsers, preparsed = {}, {}, {}
    records = grid.records
    for cell in shown_cells:
        if cell in declared:
            column, date_format = declared[cell]
        else:
            column, preparsed[cell] = _inferred(
                header[cell], [records[i][cell] if cell < len(records[i]) else None for i in body], source_locale
            )
            date_format = ""
        columns[cell] = column
        parsers[cell] = (COLUMN_TYPES[column.type], date_format)
    table_format = _TableFormat({columns[c].key: columns[c] for c in shown_cells}, locale)
    rows: list[Row] = []
    seen: dict[str, int] = {}  # row id → the line it is first on
    anchors: set[str] = set()
    type_cell = attributes.get("type")
    key_label = header[key_cell] if key_cell is not None else "id"
    for number, i in enumerate(body):
        record = records[i]
        line = grid.lines[i]
        row_id = None
        if key_cell is not None:
            raw_id = record[key_cell] if key_cell < len(record) else None
            row_id = _row_id(
                _header_text(raw_id) if raw_id is not None else None,
                grid.where(i, key_cell),
                line,
                seen,
                shown,
                problems,
                "row id" if key_label == "id" else f"{key_label} value",
                fix=""
                if key_label == "id"
                else "to reference rows, each needs its own key: name a "
                f'column of unique values with "key:" in {sidecar}',
            )
        row_type = _text_at(record, type_cell) or None
        if row_type is not None and row_type not in COLUMN_TYPES:
            problems.add(
                shown,
                *grid.where(i, type_cell),
                f"unknown type {shorten(row_type)} (expected one of: {', '.join(COLUMN_TYPES)})",
                group=("row type",),
            )
            row_type = None
        values = {}
        for cell in shown_cells:
            column = columns[cell]
            if cell in preparsed and not (row_type and column.key == "value"):  # read once, when inferred
                values[column.key] = preparsed[cell][number]
                continue
            raw = record[cell] if cell < len(record) else None
            if not _filled(raw):
                values[column.key] = None
                continue
            parser, date_format = parsers[cell]
            column_type = column.type
            if row_type and column.key == "value":
                parser, column_type = COLUMN_TYPES[row_type], row_type
            try:
                values[column.key] = parser(raw, source_locale, date_format)
            except _CellError as exc:
                values[column.key] = None
                problems.add(
                    shown,
                    *grid.where(i, cell),
                    f"column {shorten(column.key)} ({column_type}): {exc}",
                    group=("cell", cell, column_type, _kind(str(exc))),
                    fix=_cell_fix(str(exc), meta, sidecar),
                )
        row_values = _RowValues(
            values, _text_at(record, attributes.get("qualifier")), _text_at(record, attributes.get("unit")), row_type
        )
        rows.append(
            Row(
                id=row_id,
                values=values,
                cells=Cells(row_values, table_format),
                source=_text_at(record, attributes.get("source")),
                note=_text_at(record, attributes.get("note")),
                line=line,
                anchor=_anchor(row_id, anchors),
            )
        )
    table = _table(
        name,
        meta,
        [columns[c] for c in shown_cells],
        rows,
        shown,
        meta_shown,
        locale,
        problems,
        key=key_label if key_cell is not None else "",
    )
    return table


def _kind(message: str) -> str:
    """What a cell message says, without the value it quotes: cells with the same problem are grouped."""
    return re.sub(r"'[^']*'", "…", message)


def _cell_fix(message, meta, sidecar) -> str:
    if "writes them" in message and "locale" not in meta:
        return f'if the figures are written in another language\'s style, add e.g. "locale: de" to {sidecar}'
    return ""


def _text_at(record, cell) -> str:
    if cell is None or cell >= len(record) or record[cell] is None:
        return ""
    return _header_text(record[cell])


def _inferred(title, cells, source_locale) -> tuple[Column, list]:
    """A column without a declared type, and its values: number, percent or date when every cell is one, else text.

    Years (four digits, 1000–2999) and codes written with leading zeros stay text: `2021` is not `2,021`."""
    filled = [c for c in cells if _filled(c)]
    column_type, values = "text", None
    if (
        filled
        and not any(c.__class__ is str and _LEADING_ZERO.fullmatch(c) for c in filled)
        and not all(c.__class__ is str and _YEAR.fullmatch(c) for c in filled)
    ):
        for candidate in ("number", "percent", "date"):
            values = _all_parsed(candidate, cells, source_locale)
            if values is not None:
                column_type = candidate
                break
    if column_type == "number" and any(isinstance(c, SheetNumber) and c.percent for c in filled):
        column_type, values = "percent", _all_parsed("percent", cells, source_locale)
    if values is None:
        values = [_parse_text(c) if _filled(c) else None for c in cells]
    return Column(key=title, title=title, type=column_type, slug=slug(title), inferred=True), values


_LEADING_ZERO = re.compile(r"\s*0\d+\s*")
_YEAR = re.compile(r"\s*[12]\d{3}\s*")
_ISO_DATE = re.compile(r"\s*\d{4}-\d\d-\d\d\s*")
_ANCHOR = re.compile(r"[A-Za-z0-9_-]+")


def _all_parsed(column_type, cells, source_locale) -> list | None:
    """Every cell read as `column_type`, or None at the first that is not one."""
    parser = COLUMN_TYPES[column_type]
    values: list = []
    for cell in cells:
        if not _filled(cell):
            values.append(None)
            continue
        if column_type == "percent" and isinstance(cell, str) and not cell.rstrip().endswith("%"):
            return None
        if column_type == "date" and isinstance(cell, str) and not _ISO_DATE.fullmatch(cell):
            return None
        try:
            values.append(parser(cell, source_locale, ""))
        except _CellError:
            return None
    return values


def describe_table(table: FactTable) -> str:
    """One line for `check -v`: the table's rows, its key, and each column's type, inferred or declared."""
    key = f"key {table.key!r}" if table.key else "no key"
    columns = ", ".join(f"{c.key!r} {c.type}{' (inferred)' if c.inferred else ''}" for c in table.columns)
    rows = f"{len(table.rows):,} row{'' if len(table.rows) == 1 else 's'}"
    return f"{table.path}: {rows}, {key}; columns: {columns}"


# -- parts of a table shown ------------------------------------------------------------------------


def _existing(table: FactTable, key: str) -> Column:
    """A column the directive's check has already found in the table."""
    column = table.column(key)
    assert column is not None, key
    return column


def table_view(table: FactTable, columns=None, sort=None, descending=False, limit=None) -> FactTable:
    """The table as a `{facts}` shows it: some columns in a given order, rows sorted, the first `limit`."""
    if not columns and not sort and limit is None:
        return table
    rows = table.rows
    if sort:
        key = _existing(table, sort).key
        present = [r for r in rows if r.values.get(key) is not None]
        missing = [r for r in rows if r.values.get(key) is None]
        present.sort(key=lambda r: _sort_value(r.values[key]), reverse=descending)
        rows = present + missing
    if limit is not None:
        rows = rows[:limit]
    shown = [_existing(table, c) for c in columns] if columns else table.columns
    return FactTable(
        name=table.name,
        title=table.title,
        columns=shown,
        rows=list(rows),
        path=table.path,
        source=table.source,
        as_of=table.as_of,
        as_of_text=table.as_of_text,
        note=table.note,
        key=table.key,
    )


def _sort_value(value):
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, str):
        return value.casefold()
    return value
