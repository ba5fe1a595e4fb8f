"""The publication model: plain data, no I/O. Every output format is rendered from it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .config import Config


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    type: str = "text"
    unit: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.type in ("number", "percent", "range", "ratio")


@dataclass
class Row:
    id: str
    values: dict[str, Any]
    cells: dict[str, str]  # formatted for display, qualifier and unit included
    source: str = ""
    note: str = ""
    line: int | None = None


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

    def row(self, row_id: str) -> Row | None:
        return next((r for r in self.rows if r.id == row_id), None)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


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
    headings: list[Heading] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # fact tables embedded, in order
    charts: list[str] = field(default_factory=list)

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
    inputs: list[str] = field(default_factory=list)  # project files read, for change tracking

    @property
    def has_images(self) -> bool:
        return any(a.images or a.charts for a in self.articles)

    @property
    def sources(self) -> list[tuple[FactTable, list[Row]]]:
        """Tables and rows used anywhere in the publication, in first-use order."""
        used: dict[str, set[str]] = {}  # sets: a 10,000-row table must not cost 10,000² look-ups
        for article in self.articles:
            for name in article.tables:
                used.setdefault(name, set()).update(r.id for r in self.tables[name].rows)
        for use in self.facts_used:
            used.setdefault(use.table, set()).add(use.row)
        result = []
        for name, ids in used.items():
            table = self.tables[name]
            result.append((table, [r for r in table.rows if r.id in ids]))
        return result

    def show_toc(self) -> bool:
        if self.config.pdf.toc is not None:
            return self.config.pdf.toc
        return len(self.articles) > 1
