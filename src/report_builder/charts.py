"""Fact table + chart options → an accessible inline SVG bar chart (no plotting dependency).

Bars are drawn in `currentColor` shades so the chart follows the text colour of the page,
in print, in an e-reader's night mode and on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from .model import FactTable

#: a narrow drawing with large type: scaled to a phone's width the labels stay readable
WIDTH = 440
ROW_HEIGHT = 30
LABEL_WIDTH = 150
VALUE_WIDTH = 96
PADDING = 6
FONT_SIZE = 13


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    id: str  # the figure's; the SVG's title and description are `ID-title` and `ID-desc`


def render_chart(table: FactTable, options: dict, locale: str, ident: str = "") -> Chart:
    """The SVG of one chart; `ident` (default `chart-TABLE`) is unique in the document."""
    ident = escape(ident or f"chart-{table.name}", {'"': "&quot;"})
    x_key = options.get("x", "label")
    y_key = options.get("y", "value")
    title = options.get("title") or table.title
    rows = [r for r in table.rows if isinstance(r.values.get(y_key), (int, float, Decimal))]
    column = table.column(y_key)
    column_type = column.type if column else "number"
    peak = max((r.values[y_key] for r in rows), default=0) or 1
    height = PADDING * 2 + ROW_HEIGHT * len(rows)
    bar_space = WIDTH - LABEL_WIDTH - VALUE_WIDTH - PADDING * 2
    description = "; ".join(f"{r.cells.get(x_key, r.id)}: {r.cells.get(y_key, '')}" for r in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(description)}</desc>',
    ]
    for index, row in enumerate(rows):
        y = PADDING + index * ROW_HEIGHT
        width = max(1.0, bar_space * float(row.values[y_key]) / float(peak))
        label = _shorten(row.cells.get(x_key, row.id or ""), 20)
        parts.append(
            f'<text x="{LABEL_WIDTH - PADDING}" y="{y + ROW_HEIGHT * 0.62:.1f}" text-anchor="end" '
            f'font-size="{FONT_SIZE}" fill="currentColor">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{LABEL_WIDTH}" y="{y + 5}" width="{width:.1f}" height="{ROW_HEIGHT - 10}" '
            f'fill="currentColor" fill-opacity="0.55"/>'
        )
        parts.append(
            f'<text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + ROW_HEIGHT * 0.62:.1f}" font-size="{FONT_SIZE}" '
            f'fill="currentColor">{escape(_number(row.values[y_key], column_type, locale))}</text>'
        )
    parts.append("</svg>")
    return Chart(title=title, svg="".join(parts), id=ident)


def _number(value, column_type: str, locale: str) -> str:
    """The bare figure: qualifiers and units belong to the table and the text alternative."""
    from .facts import format_value

    return format_value(value, column_type if column_type in ("number", "percent") else "number", locale)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


__all__ = ["Chart", "render_chart"]
