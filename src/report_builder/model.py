"""The publication model: plain data, no I/O. Every output format is rendered from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config import Config
from .errors import Diagnostic


@dataclass(frozen=True)
class Column:
    key: str  # the header as written (a YAML table's `key`)
    title: str  # shown: the header as written, unless the sidecar retitles it
    type: str = "text"
    unit: str = ""
    slug: str = ""  # `population-2021` for `Population (2021)`: a reference may use either
    decimals: int | None = None  # None: each number with the decimals it was written with
    currency: str = ""
    inferred: bool = False  # the type was read from the cells, not declared

    @property
    def is_numeric(self) -> bool:
        return self.type in ("number", "percent", "currency", "range", "ratio")


@dataclass(slots=True)  # a 100,000-row table holds 100,000 of them
class Row:
    id: str | None  # None: a row no `{fact}` can reference (a table without a key column)
    values: dict[str, Any]
    cells: Mapping[str, str]  # formatted for display on first use, qualifier and unit included
    source: str = ""
    note: str = ""
    line: int | None = None
    anchor: str = ""  # its HTML id after `fact-TABLE-`, unique in the table ("" without an id)


@dataclass
class FactTable:
    name: str
    title: str
    columns: list[Column]
    rows: list[Row]
    path: str
    source: str = ""
    as_of: dt.date | None = None
    as_of_text: str = ""
    note: str = ""
    key: str = ""  # the column whose values are the row ids ("id" or the sidecar's `key:`)

    def row(self, row_id: str) -> Row | None:
        count, index = self.__dict__.get("_row_index", (-1, {}))
        if count != len(self.rows):  # built once: a 3,376-row table is looked up per reference
            index = {r.id: r for r in self.rows if r.id is not None}
            self.__dict__["_row_index"] = (len(self.rows), index)
        return index.get(row_id)

    @property
    def label_column(self) -> Column | None:
        """What names a row in the Sources and in a fact's label: the first column, or the first text column
        after it when the first is the key (`Germany` rather than `DE`)."""
        if self.columns and self.columns[0].key == self.key:
            return next((c for c in self.columns[1:] if c.type == "text"), self.columns[0])
        return self.columns[0] if self.columns else None

    def column(self, key: str) -> Column | None:
        """The column headed `key` as written, or else the one whose slug it is."""
        return next((c for c in self.columns if c.key == key), None) or next(
            (c for c in self.columns if c.slug and c.slug == key), None
        )


@dataclass(frozen=True)
class FactUse:
    """One `{fact}` reference resolved: what it shows and where its number comes from."""

    table: str
    row: str
    column: str
    text: str
    label: str
    source: str


@dataclass(frozen=True)
class Heading:
    level: int  # 1 = article title, 2 = ## section, 3 = ### subsection
    text: str
    id: str


@dataclass
class Image:
    src: str  # path relative to the project root
    alt: str
    caption: str


@dataclass(frozen=True)
class Numbered:
    """A table or figure numbered through the publication ("Table 3"), named by its id."""

    kind: str  # "table" or "figure"
    id: str  # the author's: `tbl-ports`, `fig-route`
    number: int
    caption: str
    article: str  # the name of the article it is in


@dataclass
class Article:
    name: str  # file stem, used as id prefix and EPUB file name
    path: str  # shown in messages, relative to the project root
    title: str
    tokens: list = field(repr=False, default_factory=list)
    env: dict = field(repr=False, default_factory=dict)
    subtitle: str = ""
    byline: str = ""
    dateline: str = ""
    date: dt.date | None = None
    date_text: str = ""
    summary: str = ""
    key_points: list[str] = field(default_factory=list)
    language: str = ""  # BCP 47, from the front matter, when it differs from the publication's
    headings: list[Heading] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # fact tables embedded, in order
    charts: list[str] = field(default_factory=list)
    numbered: list[Numbered] = field(default_factory=list)  # its numbered tables and figures, in order
    keywords: list[str] = field(default_factory=list)  # `tags`, `categories` or `keywords`
    draft: bool = False  # `draft: true`: left out unless the build includes drafts
    heading_offset: int = 0  # added to every heading's level (`heading_offset:`)
    #: inline Markdown of the front matter values, one inline token each: rendered per target
    title_tokens: list = field(repr=False, default_factory=list)
    subtitle_tokens: list = field(repr=False, default_factory=list)
    summary_tokens: list = field(repr=False, default_factory=list)
    key_point_tokens: list[list] = field(repr=False, default_factory=list)

    @property
    def id(self) -> str:
        return self.name


@dataclass
class Publication:
    config: Config
    articles: list[Article]
    tables: dict[str, FactTable]
    facts_used: list[FactUse]
    date_text: str = ""
    warnings: list[Diagnostic] = field(default_factory=list)  # found while loading (e.g. unknown keys)

    @property
    def keywords(self) -> list[str]:
        """The publication's keywords, then each article's, once each."""
        words = list(self.config.keywords) + [word for article in self.articles for word in article.keywords]
        return list(dict.fromkeys(words))

    @property
    def has_images(self) -> bool:
        return any(a.images or a.charts for a in self.articles)

    @property
    def sources(self) -> list[tuple[FactTable, list[tuple[Row, list[Column]]]]]:
        """One entry per table used, in first-use order, with the rows `{fact}` quotes and their columns.

        A table shown whole is one entry, never its rows again: the rows listed are only those
        the prose quotes, so a 3,376-row table stays a few lines."""
        used: dict[str, dict[str, list[str]]] = {}
        for article in self.articles:
            for name in (*article.tables, *article.charts):
                used.setdefault(name, {})
        for use in self.facts_used:
            columns = used.setdefault(use.table, {}).setdefault(use.row, [])
            if use.column not in columns:
                columns.append(use.column)
        result = []
        for name, rows in used.items():
            table = self.tables[name]
            quoted = [(table.row(ident), [c for c in table.columns if c.key in keys]) for ident, keys in rows.items()]
            result.append((table, [(row, columns) for row, columns in quoted if row is not None]))
        return result

    def numbered(self, kind: str) -> list[Numbered]:
        """The numbered tables ("table") or figures ("figure") of the publication, in order."""
        return [item for article in self.articles for item in article.numbered if item.kind == kind]

    def show_toc(self) -> bool:
        if self.config.pdf.toc is not None:
            return self.config.pdf.toc
        return len(self.articles) > 1
