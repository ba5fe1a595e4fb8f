"""Print: how each table is set so that no column is lost — as it is, tighter, or on a landscape page.

The choice is made before layout, from the widths of the cells' words in the declared fonts
(HarfBuzz, at the weights the print stylesheet gives them): a table fits when the widest
unbreakable piece of each column, plus the cells' padding, adds up to no more than the text
column. Deciding while the HTML is rendered needs no second layout pass and sets every table
alike in a chunked layout and a single one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import Diagnostic

PT_PER_MM = 72 / 25.4
#: the print stylesheet's left and right page margins together (print.css `@page`), in mm
SIDE_MARGINS_MM = 22 + 20
#: paper width and height in mm (report.yaml `pdf.page_size`)
PAPER_MM = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}


@dataclass(frozen=True)
class Setting:
    """One way of setting a table, as print.css writes it: type size and cell padding in pt."""

    name: str
    size: float  # pt
    padding: float  # left plus right padding of a cell, pt
    landscape: bool


#: tried in this order; the first the table fits in is taken. 7 pt is the smallest type a table
#: is set in: smaller is not read comfortably on paper
SETTINGS = (
    Setting("", 8.5, 2 * 0.5 * 8.5, False),
    Setting("table-tight", 7.0, 2 * 0.3 * 7.0, False),
    Setting("table-wide", 8.5, 2 * 0.5 * 8.5, True),
    Setting("table-wide table-tight", 7.0, 2 * 0.3 * 7.0, True),
)
#: a table too wide even for the last setting: its cells break words anywhere (print.css)
OVERFULL = "table-wide table-tight table-overfull"
#: what the estimate leaves for rounding, borders and the fonts' kerning across pieces, per column (pt)
SLACK_PER_COLUMN = 1.0

#: a table of at most this many body rows is kept whole on one page (print.css `.table-short`)
KEEP_WHOLE_ROWS = 8

#: where a line may break inside a cell's text: after spaces, hyphens, dashes and slashes
_PIECES = re.compile(r"[^\s\-\u2010\u2013\u2014/]*[\-\u2010\u2013\u2014/]*")


@dataclass(frozen=True)
class Cell:
    text: str
    bold: bool = False  # a header cell (print.css sets them in bold)
    nowrap: bool = False  # a figure (`.num`): never broken across lines


@dataclass(frozen=True)
class TableFit:
    classes: str  # CSS classes for the table's wrapper: "" when it fits as it is
    overflow: tuple[str, ...] = ()  # headers of the columns that do not fit even so
    width_mm: float = 0.0  # its narrowest width in the last setting, when it overflows
    room_mm: float = 0.0


def text_width_mm(page_size: str, landscape: bool) -> float:
    width, height = PAPER_MM.get(page_size, PAPER_MM["A4"])
    return (height if landscape else width) - SIDE_MARGINS_MM


def fit_table(header: Sequence[str], rows: Sequence[Sequence[Cell]], page_size: str) -> TableFit:
    """The first setting of SETTINGS in which the table's columns fit the text column.

    `rows` starts with the header row; a table of at most KEEP_WHOLE_ROWS body rows is also
    marked `table-short` (kept whole)."""
    short = " table-short" if len(rows) - 1 <= KEEP_WHOLE_ROWS else ""
    columns = _column_pieces(rows, len(header))
    for setting in SETTINGS:
        widths = _column_widths(columns, setting)
        if sum(widths) <= text_width_mm(page_size, setting.landscape) * PT_PER_MM:
            return TableFit((setting.name + short).strip())
    last = SETTINGS[-1]
    widths = _column_widths(columns, last)
    room = text_width_mm(page_size, True) * PT_PER_MM
    overflow, end = [], 0.0
    for title, width in zip(header, widths):
        end += width
        if end > room:
            overflow.append(title)
    return TableFit(OVERFULL + short, tuple(overflow), sum(widths) / PT_PER_MM, room / PT_PER_MM)


def overflow_warning(fit: TableFit, path: str, line: int | None) -> Diagnostic:
    names = ", ".join(f"'{name}'" for name in fit.overflow)
    return Diagnostic(
        path,
        line,
        None,
        f"this table is {fit.width_mm:.0f} mm wide in 7 pt type, wider than a landscape page "
        f"({fit.room_mm:.0f} mm): column{'s' if len(fit.overflow) > 1 else ''} {names} "
        "do not fit, so words in its cells are broken anywhere; show fewer columns (':columns:') or split the table",
        "warning",
    )


def _column_pieces(rows: Iterable[Sequence[Cell]], count: int) -> list[dict[tuple[str, bool], None]]:
    """Per column, the unbreakable pieces of text its cells hold (and whether each is bold)."""
    columns: list[dict[tuple[str, bool], None]] = [{} for _ in range(count)]
    for row in rows:
        for index, cell in enumerate(row[:count]):
            pieces = [cell.text.strip()] if cell.nowrap else _PIECES.findall(cell.text)
            for piece in pieces:
                if piece.strip():
                    columns[index][piece.strip(), cell.bold] = None
    return columns


def _column_widths(columns, setting: Setting) -> list[float]:
    """Each column's narrowest width in pt: its widest piece plus the cells' padding."""
    return [
        max((_width(text, bold) for text, bold in pieces), default=0.0) * setting.size
        + setting.padding
        + SLACK_PER_COLUMN
        for pieces in columns
    ]


@functools.lru_cache(maxsize=65536)
def _width(text: str, bold: bool) -> float:
    """The advance width of `text` in Noto Sans at 1 pt (tabular figures, as the tables print them)."""
    import uharfbuzz

    font = _font(700 if bold else 400)
    buffer = uharfbuzz.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    uharfbuzz.shape(font, buffer, {"tnum": True})
    return sum(position.x_advance for position in buffer.glyph_positions) / font.face.upem


@functools.cache
def _font(weight: int):
    import uharfbuzz

    from .fonts import FONT_FILES, font_paths

    path = next(
        p
        for (family, _pkg, _name, style), p in zip(FONT_FILES, font_paths())
        if family == "Noto Sans" and style == "normal"
    )
    font = uharfbuzz.Font(uharfbuzz.Face(path.read_bytes()))
    font.set_variations({"wght": weight, "wdth": 100})
    return font


# -- the tables of a publication, as cells ------------------------------------------------------


def markdown_table_cells(tokens, start: int) -> tuple[list[str], list[list[Cell]]]:
    """The header texts and the rows of cells of the Markdown table whose `table_open` is tokens[start]."""
    rows: list[list[Cell]] = []
    header: list[str] = []
    bold = False
    for token in tokens[start + 1 :]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            bold = token.type == "th_open"
        elif token.type == "inline" and rows:
            rows[-1].append(Cell(_inline_text(token), bold=bold))
    if rows:
        header = [cell.text for cell in rows[0]]
    return header, rows


def _inline_text(token) -> str:
    """The text an inline token prints (a link's printed address breaks anywhere, so it is left out)."""
    return "".join(
        child.content for child in token.children or () if child.type in ("text", "code_inline", "myst_role")
    )


def facts_table_cells(table) -> tuple[list[str], list[list[Cell]]]:
    """The header texts and rows of cells of a fact table (a `table_view`) as facts_table.html prints it."""
    header = [column.title for column in table.columns]
    rows = [[Cell(column.title, bold=True, nowrap=column.is_numeric) for column in table.columns]]
    for row in table.rows:
        rows.append(
            [
                Cell(row.cells[column.key], nowrap=column.is_numeric and index > 0)
                for index, column in enumerate(table.columns)
            ]
        )
    return header, rows


def markdown_fit(tokens, start: int, page_size: str) -> TableFit:
    """How the Markdown table opened by tokens[start] is set (worked out once per build, on its token)."""
    return _on_token(tokens[start], page_size, lambda: fit_table(*markdown_table_cells(tokens, start), page_size))


def facts_fit(table, page_size: str, token=None) -> TableFit:
    """How a fact table (a `table_view`) is set; remembered on the `{facts}` token when given."""
    compute = lambda: fit_table(*facts_table_cells(table), page_size)  # noqa: E731
    return compute() if token is None else _on_token(token, page_size, compute)


def _on_token(token, page_size: str, compute) -> TableFit:
    """The fit remembered on the table's token: the build renders the print HTML and reports the
    warnings from the same tokens."""
    key = f"print_fit_{page_size}"
    if key not in token.meta:
        token.meta[key] = compute()
    return token.meta[key]


def table_warnings(publication) -> list[Diagnostic]:
    """A located warning for each table too wide for the page even on its side in 7 pt type."""
    from .facts import table_view

    page_size = publication.config.pdf.page_size
    warnings = []
    for article in publication.articles:
        for index, token in enumerate(article.tokens):
            if token.type == "table_open":
                fit = markdown_fit(article.tokens, index, page_size)
            elif token.type == "fence" and (token.meta or {}).get("directive") == "facts" and "view" in token.meta:
                view = table_view(publication.tables[token.meta["table"]], *token.meta["view"])
                fit = facts_fit(view, page_size, token)
            else:
                continue
            if fit.overflow:
                warnings.append(overflow_warning(fit, article.path, (token.meta or {}).get("line")))
    return warnings
