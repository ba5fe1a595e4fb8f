"""Fact table + chart options → an accessible SVG chart, drawn by Vega-Lite (vl-convert).

Vega-Lite (through vl-convert, which runs it in an embedded JavaScript engine: no browser, no
network) lays out axes, ticks and labels the way a graphics desk's tools do. This module only
builds the specification from a fact table and finishes the SVG it returns:

- every figure the chart prints is formatted here with Babel, like the table's own cells, and
  the axes use the publication's decimal and group marks and month names (CLDR through Babel);
- text stays text (searchable, in the declared Noto Sans), drawn in `currentColor`, so the chart
  follows the page's text colour in print, in an e-reader's night mode and in the dark scheme;
- no table value ever reaches a Vega expression: the marks read fixed field names;
- the same specification gives the same bytes, so charts are cached by content hash, in memory
  and in the user's cache folder;
- the build draws every chart its outputs lack once, before any writer starts (draw_charts),
  on engines in processes of their own (chart_engine.py); the writers, forked ones too, read.

Two drawings per chart on screen: a wide one (print, tablets, desktops) and a narrow one for
phones and ebooks; base.css sizes both in em, so their labels follow the reader's text size.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import chart_engine
from .model import FactTable, Publication, Row

CHART_TYPES = ("bar", "column", "line", "area")
CHART_OPTIONS = (
    "type",
    "x",
    "y",
    "series",
    "stacked",
    "rows",
    "sort",
    "highlight",
    "title",
    "unit",
    "caption",
    "id",  # the figure's, for `@fig-…` cross-references (content.py numbers it)
)
#: column types a chart can draw as values
CHARTABLE_TYPES = ("number", "percent", "currency")
#: bars or columns a chart may draw: 40 bars of a horizontal chart fill an A4 page's text area
MAX_BARS = 40
#: series a chart may draw: past four, colours and dashes no longer tell them apart in grayscale
MAX_SERIES = 4
#: bumped when the drawing changes, so that cached SVG is not reused
CHART_FORMAT = "2"

#: series colours, each at least 3:1 against white (WCAG 1.4.11, non-text contrast) and told
#: apart without hue: their CIE lightness L* (26, 60, 38, 49) differs by 10.8 or more between
#: any two, so they stay apart in grayscale print and for every kind of colour blindness (the
#: hues, navy, orange, plum and grey, differ besides); lines add a dash pattern each
SERIES: tuple[tuple[str, list[int]], ...] = (
    ("#053c7d", []),
    ("#d87905", [6, 3]),
    ("#893b83", [2, 2]),
    ("#747474", [8, 3, 2, 3]),
)
#: the highlighted row's colour (vermilion, L* 50) beside the first series' navy
HIGHLIGHT = "#d3471b"
#: the same in a dark scheme (base.css), each at least 3:1 against its page (DARK_PAGE): L* 88,
#: 62, 75 and 49 (13 or more apart), the highlight 66
DARK_SERIES = ("#c7dffe", "#dc7f1a", "#e7a2de", "#747474")
DARK_HIGHLIGHT = "#f67f56"
DARK_PAGE = "#14191f"  # screen.css's --paper in the dark scheme
#: stand-in colours replaced by currentColor in the finished SVG
_TEXT, _GRID, _RULE = "#010203", "#010204", "#010205"


class ChartFailed(Exception):
    """Vega-Lite could not draw a chart the options check accepted (reported at the directive)."""


@dataclass(frozen=True)
class Size:
    width: int
    font: int  # labels, in SVG px at the drawing's own size
    band: int  # a horizontal bar's height
    height: int  # a column, line or area chart's plot height


#: the wide drawing fills a print column (about 640 px) or a desktop measure; the narrow one a
#: phone's 330 px, so its 14 px labels are shown at about 14 px
WIDE = Size(width=600, font=12, band=22, height=240)
NARROW = Size(width=330, font=14, band=26, height=220)


@dataclass(frozen=True)
class ChartOptions:
    type: str = "bar"
    x: str = "label"
    y: tuple[str, ...] = ("value",)
    series: str = ""
    stacked: bool = False
    rows: tuple[str, ...] = ()
    sort: str = ""
    descending: bool = False
    highlight: str = ""
    title: str = ""
    unit: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    id: str  # the figure's; each SVG's title and description are `ID-title`/`ID-desc` (`ID-n-…`)
    title: str
    unit: str
    caption: str
    source: str  # of the rows drawn: a row's own source where it has one, else the table's
    svg: str  # the wide drawing
    svg_narrow: str  # the phone drawing ("" in print)
    header: tuple[str, ...]  # the text alternative: the charted figures as a table
    body: tuple[tuple[str, ...], ...]


# -- options ---------------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


def parse_options(raw: dict[str, str]) -> ChartOptions:
    """The directive's options (already checked by `check_options`) as typed values."""
    sort, _, order = str(raw.get("sort", "")).strip().partition(" ")
    return ChartOptions(
        type=raw.get("type", "bar"),
        x=raw.get("x", "label"),
        y=_split(raw.get("y", "value")) or ("value",),
        series=raw.get("series", ""),
        stacked=str(raw.get("stacked", "false")).lower() in ("true", "yes"),
        rows=_split(raw.get("rows", "")),
        sort=sort,
        descending=order.strip().lower() == "desc",
        highlight=raw.get("highlight", ""),
        title=raw.get("title", ""),
        unit=raw.get("unit", ""),
        caption=raw.get("caption", ""),
    )


def check_options(table: FactTable, options: dict[str, tuple[str, int | None]], closest) -> list[tuple[Any, str]]:
    """Every problem of a `{chart}`'s options, as (option line or None, message).

    `closest(word, choices)` is the loader's did-you-mean hint.
    """
    problems: list[tuple[Any, str]] = []
    line_of = {key: line for key, (_value, line) in options.items()}
    raw = {key: value for key, (value, _line) in options.items()}
    for key in raw:
        if key not in CHART_OPTIONS:
            problems.append((line_of[key], f"unknown chart option ':{key}:'{closest(key, CHART_OPTIONS)}"))
    chart_type = raw.get("type", "bar")
    if chart_type not in CHART_TYPES:
        problems.append(
            (line_of.get("type"), f"unknown chart type {chart_type!r} (expected one of: {', '.join(CHART_TYPES)})")
        )
    if str(raw.get("stacked", "false")).lower() not in ("true", "false", "yes", "no"):
        problems.append((line_of.get("stacked"), "':stacked:' is true or false"))
    keys = [c.key for c in table.columns]

    def column(name: str, option: str):
        found = table.column(name)
        if found is None:
            problems.append((line_of.get(option), f"table '{table.name}' has no column '{name}'{closest(name, keys)}"))
        return found

    column(raw.get("x", "label"), "x")
    values = _split(raw.get("y", "value")) or ("value",)
    for name in values:
        found = column(name, "y")
        if found is not None and found.type not in CHARTABLE_TYPES:
            problems.append((line_of.get("y"), f"chart values need a number column; '{name}' is {found.type}"))
    if "series" in raw:
        column(raw["series"], "series")
        if len(values) > 1:
            problems.append((line_of["series"], "use ':series:' with one ':y:' column, or several ':y:' columns"))
    sort = str(raw.get("sort", "")).strip().split(" ")
    if "sort" in raw:
        column(sort[0], "sort")
        if len(sort) > 1 and sort[1].lower() not in ("asc", "desc"):
            problems.append((line_of["sort"], f"':sort:' is a column, then asc or desc, not {sort[1]!r}"))
    ids = {row.id for row in table.rows if row.id}
    for row_id in _split(raw.get("rows", "")):
        if row_id not in ids:
            problems.append((line_of["rows"], f"table '{table.name}' has no row '{row_id}'{closest(row_id, ids)}"))
    if raw.get("highlight") and raw["highlight"] not in ids:
        problems.append(
            (
                line_of["highlight"],
                f"table '{table.name}' has no row '{raw['highlight']}'{closest(raw['highlight'], ids)}",
            )
        )
    if problems:
        return problems
    options_ = parse_options(raw)
    rows = _rows(table, options_)
    series = (
        len(values) if len(values) > 1 else len({_series_name(r, options_) for r in rows}) if options_.series else 1
    )
    if series > MAX_SERIES:
        problems.append(
            (
                line_of.get("series") or line_of.get("y"),
                f"a chart draws at most {MAX_SERIES} series; this one has {series}",
            )
        )
    categories = len({str(r.cells.get(options_.x, "")) for r in rows})
    if chart_type in ("bar", "column") and categories > MAX_BARS:
        problems.append(
            (
                line_of.get("type") or line_of.get("rows"),
                f"a {chart_type} chart of {categories:,} {'bars' if chart_type == 'bar' else 'columns'} cannot be "
                f"read on a page (at most {MAX_BARS}); draw it with ':type: line', or choose rows with ':rows:'",
            )
        )
    return problems


def _series_name(row: Row, options: ChartOptions) -> str:
    return str(row.cells.get(options.series, ""))


def _rows(table: FactTable, options: ChartOptions) -> list[Row]:
    """The rows drawn, in the order drawn: `:rows:` chooses and orders, `:sort:` sorts."""
    if options.rows:
        by_id = {row.id: row for row in table.rows}
        rows = [by_id[row_id] for row_id in options.rows]
    else:
        rows = list(table.rows)
    if options.sort:
        present = [r for r in rows if r.values.get(options.sort) is not None]
        missing = [r for r in rows if r.values.get(options.sort) is None]
        present.sort(key=lambda r: _sortable(r.values[options.sort]), reverse=options.descending)
        rows = present + missing
    return rows


def _sortable(value) -> tuple:
    if isinstance(value, (int, float, Decimal)):
        return (0, float(value), "")
    if isinstance(value, dt.date):
        return (0, float(value.toordinal()), "")
    return (1, 0.0, str(value))


# -- the drawing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plot:
    """What one `{chart}` draws, whatever the size: the rows as Vega-Lite records, and their kind."""

    options: ChartOptions
    rows: list[Row]
    records: list[dict[str, Any]]
    names: list[str]  # the series' names, one a `:y:` column
    x_title: str
    value_type: str
    temporal: bool
    multi: bool

    def spec(self, size: Size) -> dict:
        return _spec(self.records, self.options, self.value_type, self.temporal, self.multi, size)


#: the drawings each target shows: print the wide one; an ebook the phone drawing alone (reading
#: systems lay pages out in columns, where a media query measures the whole book rather than
#: the page, so it cannot choose between two); the web edition both, chosen by the page's width
DRAWINGS: dict[str, tuple[Size, ...]] = {"pdf": (WIDE,), "epub": (NARROW,), "html": (WIDE, NARROW)}


def _plot(table: FactTable, raw: dict, locale: str) -> _Plot:
    from .facts import format_value

    options = parse_options(raw)
    rows = _rows(table, options)
    columns = [table.column(key) for key in options.y]
    x_column = table.column(options.x)
    temporal = x_column is not None and x_column.type == "date" and options.type in ("line", "area")
    names = [c.title if c else key for c, key in zip(columns, options.y)]
    records: list[dict[str, Any]] = []
    for row in rows:
        for index, (column, key) in enumerate(zip(columns, options.y)):
            value = row.values.get(key)
            number = float(value) if isinstance(value, (int, float, Decimal)) else None
            label = ""
            if number is not None and column is not None:
                label = format_value(value, column.type, locale, column.decimals, column.currency)
            x_value = row.values.get(options.x)
            records.append(
                {
                    "x": x_value.isoformat()
                    if temporal and isinstance(x_value, dt.date)
                    else str(row.cells.get(options.x, "")),
                    "v": number if column is None or column.type != "percent" or number is None else number / 100,
                    "label": label,
                    "s": _series_name(row, options) if options.series else names[index],
                    "hl": bool(options.highlight) and row.id == options.highlight,
                }
            )
    return _Plot(
        options=options,
        rows=rows,
        records=records,
        names=names,
        x_title=x_column.title if x_column else options.x,
        value_type=columns[0].type if columns and columns[0] else "number",
        temporal=temporal,
        multi=len(options.y) > 1 or bool(options.series),
    )


def render_chart(table: FactTable, raw: dict, locale: str, ident: str = "", target: str = "html") -> Chart:
    """The chart of one `{chart}` directive; `ident` (default `chart-TABLE`) is unique in the document."""
    plot = _plot(table, raw, locale)
    options, records, temporal, names = plot.options, plot.records, plot.temporal, plot.names
    ident = ident or f"chart-{table.name}"
    title = options.title or table.title
    summary = "; ".join(
        f"{r['x'] if not temporal else _date_text(r['x'], locale)}{' (' + r['s'] + ')' if plot.multi else ''}: "
        f"{r['label'] or '–'}"
        for r in records
    )
    # in print the SVG's title is its whole text alternative (the tagged PDF's /Alt is read from it)
    alternative = f"{title}: {summary}" if target == "pdf" else title
    drawn = [_draw(plot.spec(size), locale) for size in DRAWINGS[target]]
    wide = _finished(drawn[0], ident, alternative, summary)
    narrow = _finished(drawn[1], f"{ident}-n", title, summary) if len(drawn) > 1 else ""
    header = (plot.x_title, *(names if not options.series else [options.series, names[0]]))
    body = tuple(
        (_date_text(r["x"], locale) if temporal else r["x"], *([r["s"]] if options.series else []), r["label"] or "–")
        for r in records
    )
    if len(options.y) > 1:  # one row a category, a column a series
        per_row = len(options.y)
        body = tuple((body[i][0], *(body[i + j][-1] for j in range(per_row))) for i in range(0, len(body), per_row))
    rows = plot.rows
    return Chart(
        id=ident,
        title=title,
        unit=options.unit,
        caption=options.caption,
        source="; ".join(dict.fromkeys(row.source or table.source for row in rows if row.source or table.source)),
        svg=wide,
        svg_narrow=narrow,
        header=tuple(header),
        body=body,
    )


def draw_charts(
    publication: Publication,
    targets: set[str],
    engines: int | chart_engine.Engines = 1,
    articles: tuple[int, ...] | None = None,
) -> int:
    """Draw every chart of `publication` (or of its `articles`, by index) that `targets` show and
    the cache lacks, before a writer renders them: in one batch, on up to `engines` engine
    processes at once (or on those Engines, left running). The writers, the forked ones included,
    then find every drawing in the cache. Returns how many were drawn."""
    locale = publication.config.babel_locale
    wanted: dict[str, dict] = {}
    chosen = publication.articles if articles is None else [publication.articles[i] for i in articles]
    for article in chosen:
        for token in article.tokens:
            meta = token.meta or {}
            if meta.get("directive") != "chart" or meta.get("table") not in publication.tables:
                continue
            plot = _plot(publication.tables[meta["table"]], {k: v for k, (v, _l) in meta["options"].items()}, locale)
            for size in dict.fromkeys(size for target in sorted(targets) for size in DRAWINGS.get(target, ())):
                key, request = _request(plot.spec(size), locale)
                if key not in wanted and _cached(key) is None:
                    wanted[key] = request
    if not wanted:
        return 0
    requests = list(wanted.values())
    if isinstance(engines, chart_engine.Engines):
        drawn = engines.draw_many(requests)
    else:
        drawn = chart_engine.draw_many(requests, engines)
    for key, svg in zip(wanted, drawn):
        if svg is not None:  # a refused one is drawn again by its directive, which reports it
            _keep(key, svg)
    return len(wanted)


def _date_text(iso: str, locale: str) -> str:
    from .facts import format_value

    try:
        return format_value(dt.date.fromisoformat(iso), "date", locale)
    except ValueError:
        return iso


def _spec(records: list[dict], options: ChartOptions, value_type: str, temporal: bool, multi: bool, size: Size) -> dict:
    """The Vega-Lite specification of one drawing."""
    kind = options.type
    horizontal = kind == "bar"
    categories = list(dict.fromkeys(r["x"] for r in records))
    # d3's "~" trims trailing zeros; a bare "," would let tick formatting fall back to exponents
    value_format = "~%" if value_type == "percent" else ",~f"
    value_axis = {
        "title": None,
        "format": value_format,
        "grid": True,
        "gridColor": _GRID,
        "domain": False,
        "ticks": False,
        "labelColor": _TEXT,
        "labelFontSize": size.font,
        "tickCount": 5,
        "labelPadding": 4,
    }
    category_axis: dict[str, Any] = {
        "title": None,
        "grid": False,
        "ticks": False,
        "domain": False,
        "labelColor": _TEXT,
        "labelFontSize": size.font,
        "labelLimit": size.width // 3 if horizontal else 0,
        "labelPadding": 6,
    }
    if temporal:
        category_axis.update({"format": "%b %Y", "labelOverlap": True, "tickCount": 6, "grid": False})
    elif not horizontal:
        category_axis.update({"labelAngle": 0 if len(categories) <= 8 else -45, "labelOverlap": True})
    value: dict[str, Any] = {
        "field": "v",
        "type": "quantitative",
        "axis": value_axis,
        "scale": {"zero": kind != "line", "nice": True},
        "stack": "zero" if options.stacked else None,
    }
    labelled = kind in ("bar", "column") and not options.stacked and not multi and len(categories) <= 24
    if labelled:  # each bar's figure is written at its end: no value axis, room for the figures
        # a phone drawing has less room for the figures beyond the bars: a wider margin
        share = (0.2 if size.width >= WIDE.width else 0.34) if horizontal else 0.12
        value["scale"] = {"domain": _padded_domain([r["v"] for r in records], share)}
        value["axis"] = None
    category: dict[str, Any] = {
        "field": "x",
        "type": "temporal" if temporal else "ordinal",
        "axis": category_axis,
    }
    if temporal:
        category["scale"] = {"type": "utc"}
    else:
        category["sort"] = categories
    colours = [colour for colour, _dash in SERIES]
    series_names = list(dict.fromkeys(r["s"] for r in records))
    encoding: dict[str, Any] = {
        ("y" if horizontal else "x"): category,
        ("x" if horizontal else "y"): value,
    }
    if multi:
        encoding["color"] = {
            "field": "s",
            "type": "nominal",
            "sort": series_names,
            "scale": {"domain": series_names, "range": colours[: len(series_names)]},
            "legend": {
                "title": None,
                "orient": "top",
                "direction": "horizontal",
                "labelColor": _TEXT,
                "labelFontSize": size.font,
                "symbolType": "square" if kind in ("bar", "column") else "stroke",
            },
        }
        if kind == "line":
            encoding["strokeDash"] = {
                "field": "s",
                "type": "nominal",
                "sort": series_names,
                "scale": {"domain": series_names, "range": [dash for _colour, dash in SERIES][: len(series_names)]},
                "legend": None,
            }
        if kind in ("bar", "column") and not options.stacked:
            encoding["yOffset" if horizontal else "xOffset"] = {"field": "s", "type": "nominal", "sort": series_names}
    else:
        encoding["color"] = {
            "condition": {"test": "datum.hl", "value": HIGHLIGHT},
            "value": colours[0],
        }
    mark: dict[str, Any] = {"type": "bar" if kind in ("bar", "column") else kind}
    if kind == "line":
        mark.update({"strokeWidth": 2.5, "point": len(categories) <= 24, "interpolate": "linear"})
    if kind == "area":  # overlapping series stay visible through each other unless stacked
        mark.update({"opacity": 1 if options.stacked or not multi else 0.5, "line": {"strokeWidth": 1.5}})
    if kind in ("bar", "column"):
        mark.update({"cornerRadius": 0})
    layers: list[dict] = [{"mark": mark, "encoding": encoding}]
    # the zero line, drawn over the bars so that negative values visibly start from it
    layers.append(
        {
            "data": {"values": [{}]},  # one line, not one per row
            "mark": {"type": "rule", "color": _RULE, "strokeWidth": 1},
            "encoding": {("x" if horizontal else "y"): {"datum": 0, "type": "quantitative", "axis": value["axis"]}},
        }
    )
    if labelled:
        layers.append(_bar_labels(horizontal, category, value, size))
    elif kind in ("line", "area") and not options.stacked:
        layers.append(_end_labels(category, value, size, multi))
    height = size.band * len(categories) * (len(series_names) if multi and not options.stacked and kind == "bar" else 1)
    width = size.width
    if kind == "column":  # a few columns are not stretched across the page
        per_category = 70 * (len(series_names) if multi and not options.stacked else 1)
        width = min(size.width, max(size.width // 2, per_category * len(categories) + 60))
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": max(height, 3 * size.band) if horizontal else size.height,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "padding": 4,
        "background": None,
        "data": {"values": records},
        "layer": layers,
        "config": {
            "font": "Noto Sans",
            "view": {"stroke": None},
            "axis": {"labelFont": "Noto Sans"},
            "text": {"font": "Noto Sans"},
            "scale": {"bandPaddingInner": 0.22, "bandPaddingOuter": 0.1, "offsetBandPaddingInner": 0.08},
        },
    }


def _padded_domain(values: list, share: float) -> list[float]:
    """The value axis from zero (or the lowest value) to the highest, widened by `share` of the
    span on each side that has bars, so that the figures written beyond the bars' ends fit."""
    present = [v for v in values if v is not None]
    low, high = min([0.0, *present]), max([0.0, *present])
    span = (high - low) or 1.0
    return [low - span * share if low < 0 else 0.0, high + span * share if high > 0 else 0.0]


def _bar_labels(horizontal: bool, category: dict, value: dict, size: Size) -> dict:
    """Each bar's figure at its end, outside it; left of a negative bar, right of a positive."""
    negative = "datum.v < 0"
    mark: dict[str, Any] = {"type": "text", "fontSize": size.font, "color": _TEXT}
    if horizontal:
        mark.update(
            {
                "align": {"expr": f"{negative} ? 'right' : 'left'"},
                "dx": {"expr": f"{negative} ? -4 : 4"},
                "baseline": "middle",
            }
        )
    else:
        mark.update(
            {
                "align": "center",
                "baseline": {"expr": f"{negative} ? 'top' : 'bottom'"},
                "dy": {"expr": f"{negative} ? 4 : -4"},
            }
        )
    return {
        "mark": mark,
        "encoding": {
            ("y" if horizontal else "x"): category,
            ("x" if horizontal else "y"): value,
            "text": {"field": "label", "type": "nominal"},
            "fontWeight": {"condition": {"test": "datum.hl", "value": "bold"}, "value": "normal"},
        },
    }


def _end_labels(category: dict, value: dict, size: Size, multi: bool) -> dict:
    """The last figure of each series, written beside its line's end."""
    return {
        "transform": [
            {"filter": "isValid(datum.v)"},
            {
                "window": [{"op": "rank", "as": "rank"}],
                "sort": [{"field": "x", "order": "descending"}],
                "groupby": ["s"],
            },
            {"filter": "datum.rank === 1"},
        ],
        "mark": {"type": "text", "fontSize": size.font, "color": _TEXT, "align": "right", "dy": -10},
        "encoding": {
            "x": category,
            "y": value,
            "text": {"field": "label", "type": "nominal"},
        },
    }


# -- vl-convert, cached ------------------------------------------------------------------------------


def _draw(spec: dict, locale: str) -> str:
    """The SVG Vega-Lite draws for `spec` in `locale`'s number and date formats (cached)."""

    key, request = _request(spec, locale)
    svg = _cached(key)
    if svg is None:
        try:
            svg = chart_engine.draw(request)
        except chart_engine.EngineFailed as exc:
            raise ChartFailed(str(exc)) from None
        _keep(key, svg)
    return svg


def _request(spec: dict, locale: str) -> tuple[str, dict]:
    """The engine's request for `spec` in `locale`, and the content hash that names its drawing."""

    number_locale, time_locale = _d3_locales(locale)
    # in the specification's own config rather than vl-convert's arguments, which set d3's
    # global locale again for every drawing (a fifth of its cost); the drawing is the same
    spec = {**spec, "config": {**spec["config"], "locale": {"number": number_locale, "time": time_locale}}}
    versions = [CHART_FORMAT, chart_engine.version(), chart_engine.fonts_version()]
    text = json.dumps([*versions, spec], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest(), {"spec": spec}


def _cached(key: str) -> str | None:
    """The drawing named `key`, from this process's memory or the user's cache folder."""
    svg = _MEMORY.get(key)
    if svg is None:
        folder = _cache_folder()
        cached = folder / f"{key}.svg" if folder else None
        if cached is None or not cached.is_file():
            return None
        svg = _MEMORY[key] = cached.read_text(encoding="utf-8")
    return svg


def _keep(key: str, svg: str) -> None:
    """Remember a new drawing in memory and in the cache folder (written whole, by rename)."""
    _MEMORY[key] = svg
    folder = _cache_folder()
    if folder is None:
        return
    cached = folder / f"{key}.svg"
    temporary = cached.with_name(f".{key}.{os.getpid()}.tmp")
    try:
        temporary.write_text(svg, encoding="utf-8")
        os.replace(temporary, cached)
    except OSError:  # a read-only cache: the chart is drawn again next time
        pass


_MEMORY: dict[str, str] = {}


@functools.cache
def _cache_folder() -> Path | None:
    from .fonts import fonts_cache

    fonts = fonts_cache(Path("/nonexistent"))
    if fonts == Path("/nonexistent"):
        return None
    folder = fonts.parent / "charts"
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return None
    return folder


@functools.cache
def _d3_locales(locale: str) -> tuple[dict, dict]:
    """d3's number and time locale definitions, from CLDR through Babel."""
    from babel import Locale

    parsed = Locale.parse(locale.replace("-", "_"))
    symbols = parsed.number_symbols.get("latn", parsed.number_symbols)
    number = {
        "decimal": symbols.get("decimal", "."),
        "thousands": symbols.get("group", ","),
        "grouping": [3],
        "currency": ["", ""],
        "minus": symbols.get("minusSign", "-"),
        "percent": symbols.get("percentSign", "%"),
    }
    months = parsed.months["stand-alone"]
    days = parsed.days["stand-alone"]
    time = {
        "dateTime": "%x %X",
        "date": "%Y-%m-%d",
        "time": "%H:%M:%S",
        "periods": [parsed.day_periods["stand-alone"]["abbreviated"].get(p, p.upper()) for p in ("am", "pm")]
        if "stand-alone" in parsed.day_periods
        else ["AM", "PM"],
        # d3 counts days from Sunday, Babel from Monday (0)
        "days": [days["wide"][(i + 6) % 7] for i in range(7)],
        "shortDays": [days["abbreviated"][(i + 6) % 7] for i in range(7)],
        "months": [months["wide"][i] for i in range(1, 13)],
        "shortMonths": [months["abbreviated"][i] for i in range(1, 13)],
    }
    return number, time


# -- finishing the SVG -------------------------------------------------------------------------------

_ATTRIBUTES_DROPPED = ("role", "aria-roledescription", "aria-label", "aria-hidden", "pointer-events")


def _finished(svg: str, ident: str, title: str, summary: str) -> str:
    """Vega's SVG made an accessible, scalable inline image in the page's colours, with unique ids."""
    from lxml import etree

    root = etree.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        for name in _ATTRIBUTES_DROPPED:
            if name in element.attrib:
                del element.attrib[name]
        for name in ("fill", "stroke"):
            value = (element.get(name) or "").lower()
            if value == _TEXT:
                element.set(name, "currentColor")
            elif value == _GRID:
                element.set(name, "currentColor")
                element.set(f"{name}-opacity", "0.16")
            elif value == _RULE:
                element.set(name, "currentColor")
                element.set(f"{name}-opacity", "0.8")
            elif value in _SERIES_NUMBERS:
                kind = "f" if name == "fill" else "l"
                classes = f"{element.get('class', '')} chart-{kind}{_SERIES_NUMBERS[value]}".strip()
                element.set("class", classes)
    # the opaque background Vega paints: the page's own shows through instead
    for rect in root.findall(f"{ns}rect"):
        if rect.get("fill") in ("white", "#ffffff", "#fff"):
            root.remove(rect)
    _unique_ids(root, ident)
    width, height = root.get("width"), root.get("height")
    for name in ("version",):
        if name in root.attrib:
            del root.attrib[name]
    if not root.get("viewBox") and width and height:
        root.set("viewBox", f"0 0 {width} {height}")
    root.set("class", "chart-svg")
    root.set("role", "img")
    root.set("aria-labelledby", f"{ident}-title {ident}-desc")
    desc = etree.Element(f"{ns}desc", id=f"{ident}-desc")
    desc.text = summary
    heading = etree.Element(f"{ns}title", id=f"{ident}-title")
    heading.text = title
    root.insert(0, desc)
    root.insert(0, heading)
    text = etree.tostring(root, encoding="unicode")
    return re.sub(r' xmlns:xlink="http://www.w3.org/1999/xlink"', "", text) if "xlink:" not in text else text


#: a series colour's number, for the classes (`chart-f2` filled, `chart-l2` stroked) that lighten
#: it in a dark scheme; the highlight is number 5
_SERIES_NUMBERS = {colour.lower(): index for index, (colour, _dash) in enumerate(SERIES, 1)} | {HIGHLIGHT: 5}


def _unique_ids(root, ident: str) -> None:
    """Vega's clip-path ids (`clip1`…) repeat in every chart: prefix them with the chart's id."""
    renamed = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id"):
            new = f"{ident}-{element.get('id')}"
            renamed[element.get("id")] = new
            element.set("id", new)
    if not renamed:
        return
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if "url(#" in value:
                element.set(
                    name, re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{renamed.get(m.group(1), m.group(1))})", value)
                )


__all__ = ["CHART_OPTIONS", "CHART_TYPES", "Chart", "ChartFailed", "check_options", "parse_options", "render_chart"]
