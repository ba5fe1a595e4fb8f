"""content/facts/*.yaml|csv → FactTable: typed columns, unique ids, values formatted per language."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from decimal import Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from .errors import Collector, ReportError, shorten
from .model import Column, FactTable, Row
from .project import Project, stem_problem
from .sources import LocatedDict, LocatedList, parse_yaml, read_text

#: row keys that describe the row rather than fill a column; `type` overrides the
#: type of the `value` column for one row (a table of mixed measures)
ROW_ATTRIBUTES = ("id", "qualifier", "unit", "source", "note", "type")
_TABLE_KEYS = {"title", "as_of", "source", "note", "columns", "rows"}
_COLUMN_KEYS = {"key", "title", "type", "unit"}
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
#: digits of a number in a CSV cell (YAML numbers are bounded by sources.MAX_INTEGER_DIGITS)
MAX_NUMBER_DIGITS = 30


class _CellError(ValueError):
    pass


def _parse_number(value):
    if isinstance(value, bool):
        raise _CellError("expected a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if sum(c.isdigit() for c in text) > MAX_NUMBER_DIGITS:
            raise _CellError(f"a number has at most {MAX_NUMBER_DIGITS} digits, not {shorten(text)}")
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                pass
    raise _CellError(f"expected a number, not {shorten(value)}")


def _parse_pair(value, separator):
    if isinstance(value, str):
        parts = [p for p in re.split(rf"\s*[{separator}]\s*", value.strip()) if p]
    elif isinstance(value, list):
        parts = list(value)
    else:
        parts = []
    if len(parts) != 2:
        raise _CellError(f"expected two numbers such as [6, 8], not {shorten(value)}")
    return [_parse_number(p) for p in parts]


def _parse_date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _CellError(f"expected a date written YYYY-MM-DD, not {shorten(value)}")


def _parse_text(value):
    if isinstance(value, (list, dict)):
        raise _CellError("expected text")
    return "" if value is None else str(value)


#: column type → parser that checks a raw YAML/CSV value and returns the typed value
COLUMN_TYPES = {
    "text": _parse_text,
    "number": _parse_number,
    "percent": _parse_number,
    "date": _parse_date,
    "range": lambda v: _parse_pair(v, "–—-"),
    "ratio": lambda v: _parse_pair(v, ":"),
}


def format_value(value, column_type: str, locale: str) -> str:
    """Format a typed value the way every output shows it."""
    locale = _parsed_locale(locale)
    number = lambda n: format_decimal(n, locale=locale)  # noqa: E731
    if column_type == "number":
        return number(value)
    if column_type == "percent":
        return format_percent(Decimal(str(value)) / 100, locale=locale, decimal_quantization=False)
    if column_type == "range":
        return f"{number(value[0])}–{number(value[1])}"
    if column_type == "ratio":
        return f"{number(value[0])}:{number(value[1])}"
    if column_type == "date":
        return format_date(value, "long", locale=locale)
    return value


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


def load_fact_tables(project: Project, locale: str, problems: Collector | None = None) -> dict[str, FactTable]:
    """Load every table in content/facts; all problems are reported together.

    With `problems`, diagnostics go there and the tables that loaded cleanly are returned,
    so references to them can still be checked in the same run.
    """
    errors = Collector()
    tables: dict[str, FactTable] = {}
    directory = project.facts_dir
    if not directory.is_dir():
        return tables
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".csv"))
    csv_stems = {p.stem for p in files if p.suffix == ".csv"}
    for path in files:
        if path.suffix != ".csv" and path.stem in csv_stems:
            continue  # a sidecar, read with its CSV
        if stem_problem(path):
            errors.error(project.display(path), None, None, f"fact table {stem_problem(path)}")
            continue
        before = len(errors.diagnostics)
        try:
            table = _load_table(project, path, locale, errors)
        except ReportError as exc:
            errors.extend(exc.diagnostics)
            continue
        if table is not None and len(errors.diagnostics) == before:
            tables[table.name] = table
    if problems is not None:
        problems.extend(errors.diagnostics)
        return tables
    errors.raise_if_any()
    return tables


def fact_table_files(project: Project) -> list[Path]:
    directory = project.facts_dir
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml", ".csv"))


def _load_table(project, path, locale, errors):
    shown = project.display(path)
    if path.suffix == ".csv":
        sidecar = path.with_suffix(".yaml")
        meta = LocatedDict()
        meta_shown = project.display(sidecar)
        if sidecar.is_file():
            meta = parse_yaml(read_text(sidecar, meta_shown, inside=project.root), meta_shown) or LocatedDict()
            if not isinstance(meta, LocatedDict):
                errors.error(meta_shown, 1, 1, "a fact table sidecar must be a mapping")
                return None
            _check_keys(meta, _TABLE_KEYS - {"rows"}, meta_shown, errors)
        header, raw_rows = _read_csv(read_text(path, shown, inside=project.root), shown, errors)
        columns = _csv_columns(header, meta, meta_shown, shown, errors)
        rows = _build_rows(raw_rows, columns, shown, locale, errors, allowed=set(header))
        return _table(path.stem, meta, columns, rows, shown, meta_shown, locale, errors)
    data = parse_yaml(read_text(path, shown, inside=project.root), shown)
    if not isinstance(data, LocatedDict):
        errors.error(shown, 1, 1, "a fact table must be a mapping with 'columns' and 'rows'")
        return None
    _check_keys(data, _TABLE_KEYS, shown, errors)
    columns = _yaml_columns(data, shown, errors)
    raw_rows = []
    rows_value = data.get("rows")
    if not isinstance(rows_value, LocatedList):
        line, col = data.value_pos.get("rows", data.pos)
        errors.error(shown, line, col, "'rows' must be a list of rows")
    else:
        for item, pos in zip(rows_value, rows_value.item_pos):
            if not isinstance(item, LocatedDict):
                errors.error(shown, pos[0], pos[1], "each row must be a mapping such as {id: x, value: 1}")
                continue
            raw_rows.append(item)
    allowed = {c.key for c in columns} | set(ROW_ATTRIBUTES)
    rows = _build_rows(raw_rows, columns, shown, locale, errors, allowed=allowed)
    return _table(path.stem, data, columns, rows, shown, shown, locale, errors)


def _table(name, meta, columns, rows, shown, meta_shown, locale, errors):
    as_of = meta.get("as_of")
    as_of_text = ""
    if as_of is not None:
        try:
            as_of = _parse_date(as_of)
            as_of_text = format_date(as_of, "long", locale=locale)
        except _CellError as exc:
            line, col = meta.value_pos["as_of"]
            errors.error(meta_shown, line, col, f"as_of: {exc}")
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
    )


def _check_keys(mapping, allowed, shown, errors):
    for key in mapping:
        if key not in allowed:
            line, col = mapping.key_pos[key]
            errors.error(shown, line, col, f"unknown key {shorten(key)} (expected one of: {', '.join(sorted(allowed))})")


def _yaml_columns(data, shown, errors):
    value = data.get("columns")
    if not isinstance(value, LocatedList) or not value:
        line, col = data.value_pos.get("columns", data.pos)
        errors.error(shown, line, col, "'columns' must be a non-empty list such as [{key: label, title: Measure}]")
        return []
    columns = []
    for item, pos in zip(value, value.item_pos):
        column = _column(item, pos, shown, errors)
        if column:
            columns.append(column)
    return columns


def _column(item, pos, shown, errors, key=None):
    if not isinstance(item, LocatedDict):
        errors.error(shown, pos[0], pos[1], "a column must be a mapping such as {key: value, type: number}")
        return None
    _check_keys(item, _COLUMN_KEYS, shown, errors)
    key = key or item.get("key")
    if not isinstance(key, str) or not key:
        errors.error(shown, pos[0], pos[1], "a column needs a 'key'")
        return None
    if key in ROW_ATTRIBUTES:
        errors.error(shown, pos[0], pos[1], f"'{key}' is a row attribute and cannot be a column")
        return None
    column_type = item.get("type", "text")
    if not isinstance(column_type, str) or column_type not in COLUMN_TYPES:
        line, col = item.value_pos["type"]
        errors.error(shown, line, col,
                     f"unknown column type {shorten(column_type)} (expected one of: {', '.join(COLUMN_TYPES)})")
        column_type = "text"
    return Column(key=key, title=str(item.get("title") or key.replace("_", " ").capitalize()),
                  type=column_type, unit=str(item.get("unit") or ""))


def _read_csv(text, shown, errors):
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:  # a field longer than csv.field_size_limit(), 131,072 characters
        limit = csv.field_size_limit()
        problem = (f"a field is longer than {limit:,} characters, the limit for a CSV cell"
                   if "field limit" in str(exc) else f"cannot read the CSV: {shorten(str(exc), 80)}")
        errors.error(shown, reader.line_num, 1, problem)
        return [], []
    if not rows:
        errors.error(shown, 1, 1, "a CSV fact table needs a header row")
        return [], []
    header = [h.strip() for h in rows[0]]
    if "id" not in header:
        errors.error(shown, 1, 1, "a CSV fact table needs an 'id' column")
    raw_rows = []
    line = 1
    for record in rows[1:]:
        line += 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            errors.error(shown, line, 1, f"expected {len(header)} fields, found {len(record)}")
            continue
        row = LocatedDict(zip(header, record))
        row.pos = (line, 1)
        col = 1
        for key, cell in zip(header, record):
            row.key_pos[key] = row.value_pos[key] = (line, col)
            col += len(cell) + 1
        raw_rows.append(row)
    return header, raw_rows


def _csv_columns(header, meta, meta_shown, shown, errors):
    described = {}
    declared = meta.get("columns")
    if isinstance(declared, LocatedList):
        for item, pos in zip(declared, declared.item_pos):
            column = _column(item, pos, meta_shown, errors)
            if column is None:
                continue
            if column.key not in header:
                errors.error(meta_shown, pos[0], pos[1], f"column {shorten(column.key)} is not in the CSV header")
            described[column.key] = column
    return [described.get(key) or Column(key=key, title=key.replace("_", " ").capitalize())
            for key in header if key not in ROW_ATTRIBUTES]


def _build_rows(raw_rows, columns, shown, locale, errors, allowed):
    rows, seen = [], {}
    by_key = {c.key: c for c in columns}
    for raw in raw_rows:
        line, col = raw.pos
        row_id = raw.get("id")
        if row_id is None or row_id == "":
            errors.error(shown, line, col, "row has no 'id'")
            continue
        row_id = str(row_id)
        id_line, id_col = raw.value_pos.get("id", raw.pos)
        if not _ID.fullmatch(row_id):
            errors.error(shown, id_line, id_col,
                         f"row id {shorten(row_id)} must use lowercase letters, digits, '_' and '-'")
        if row_id in seen:
            errors.error(shown, id_line, id_col, f"duplicate row id {shorten(row_id)} (first used on line {seen[row_id]})")
            continue
        seen[row_id] = line
        for key in raw:
            if key not in allowed:
                k_line, k_col = raw.key_pos[key]
                errors.error(shown, k_line, k_col, f"unknown column {shorten(key)} in row {shorten(row_id)}")
        values, cells = {}, {}
        qualifier = str(raw.get("qualifier") or "")
        row_type = raw.get("type") or None
        if row_type is not None and (not isinstance(row_type, str) or row_type not in COLUMN_TYPES):
            t_line, t_col = raw.value_pos.get("type", raw.pos)
            errors.error(shown, t_line, t_col, f"unknown type {shorten(row_type)} (expected one of: {', '.join(COLUMN_TYPES)})")
            row_type = None
        row_unit = str(raw.get("unit") or "")
        for column in columns:
            raw_value = raw.get(column.key)
            if raw_value is None or raw_value == "":
                values[column.key], cells[column.key] = None, ""
                continue
            is_value = column.key == "value"
            column_type = (row_type if is_value and row_type else column.type)
            try:
                value = COLUMN_TYPES[column_type](raw_value)
            except _CellError as exc:
                v_line, v_col = raw.value_pos.get(column.key, raw.pos)
                errors.error(shown, v_line, v_col, f"column '{column.key}' ({column_type}): {exc}")
                continue
            values[column.key] = value
            text = format_value(value, column_type, locale)
            cells[column.key] = format_cell(
                text,
                qualifier if is_value else "",
                (row_unit or column.unit) if is_value else column.unit,
            )
        rows.append(Row(id=row_id, values=values, cells=cells, source=str(raw.get("source") or ""),
                        note=str(raw.get("note") or ""), line=line))
    return rows
