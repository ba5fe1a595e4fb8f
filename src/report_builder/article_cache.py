"""Articles and fact tables kept between the builds of one process (`serve`, `watch`).

A one-sentence edit to one article of a hundred should cost one article's parse and rendering,
not a hundred. So the build keeps, in memory and per resolved file:

- each fact table as loaded, while the files it was read from hold the same bytes;
- each article as parsed (its tokens, facts, ids and links still to check), while the files it
  read hold the same bytes, the places it probed list the same files, the fact tables it looked
  up are the same ones, and the language, options and project are the same;
- each article as rendered for the web edition, while it is the same parse with the same
  outcome of the publication-wide steps (ids, links, numbers of tables and figures, the numbers
  its references point at), the same configuration and the same built-in templates.

What a kept result used is read again through the build's read log (readlog.reuse), so the
stamps record the same inputs a full build records. Nothing is kept outside a build, nor a
result that came with an error, nor a rendering made with a project's own templates (they
see the whole publication).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import readlog

#: most files of each kind kept (a project larger than this keeps only the last ones)
LIMIT = 5000


class TrackedTables(dict):
    """The publication's fact tables, noting which names a step looked up (`seen`), or that it
    went through them all (`everything`)."""

    def __init__(self, tables: dict):
        super().__init__(tables)
        self.seen: dict[str, Any] = {}
        self.everything = False

    def __getitem__(self, name):
        self.seen[name] = dict.get(self, name)
        return dict.__getitem__(self, name)

    def get(self, name, default=None):
        self.seen[name] = dict.get(self, name)
        return dict.get(self, name, default)

    def __contains__(self, name):
        self.seen[name] = dict.get(self, name)
        return dict.__contains__(self, name)

    def __iter__(self):
        self.everything = True
        return dict.__iter__(self)

    def keys(self):
        self.everything = True
        return dict.keys(self)

    def values(self):
        self.everything = True
        return dict.values(self)

    def items(self):
        self.everything = True
        return dict.items(self)

    def __len__(self):
        self.everything = True
        return dict.__len__(self)

    def used(self) -> dict[str, Any]:
        """Name → the table looked up (None: there was none), the very objects."""
        return dict(dict.items(self)) if self.everything else dict(self.seen)


@dataclass
class _Kept:
    key: tuple  # what the step was given besides files: language, options, project
    tap: readlog.Tap
    result: Any
    tables: dict[str, Any] = field(default_factory=dict)  # name → the table object it looked up
    web: tuple | None = None  # (signature, tap, RenderedArticle, notes' html) of its web rendering


_TABLES: dict[str, _Kept] = {}
_ARTICLES: dict[str, _Kept] = {}
_BY_ARTICLE: dict[int, _Kept] = {}  # id(Article) → its entry, for the rendering


def _remember(store: dict[str, _Kept], path: str, kept: _Kept) -> None:
    store.pop(path, None)
    store[path] = kept
    while len(store) > LIMIT:
        gone = store.pop(next(iter(store)))
        _BY_ARTICLE.pop(id(gone.result[0]) if store is _ARTICLES else -1, None)


def kept_table(path: Path, key: tuple, load: Callable[[], tuple[Any, bool]]) -> Any:
    """The table `load` makes from `path`: kept from an earlier build while its files are unchanged.

    `load` returns (table, clean); only a clean table (no problem found) is kept."""
    name = str(path.resolve())
    kept = _TABLES.get(name)
    if kept is not None and kept.key == key and readlog.reuse(kept.tap):
        return kept.result
    with readlog.tapping() as tap:
        table, clean = load()
    if tap is not None and clean and table is not None:
        _remember(_TABLES, name, _Kept(key, tap, table))
    else:
        _TABLES.pop(name, None)
    return table


def kept_article(path: Path, key: tuple, tables: dict, load: Callable[[dict], tuple]) -> tuple:
    """What `load(tables)` returns for the article at `path` (see content.load_article), kept from
    an earlier build while nothing that shaped it changed. Only a result without errors is kept."""
    name = str(path.resolve())
    kept = _ARTICLES.get(name)
    if (
        kept is not None
        and kept.key == key
        and all(tables.get(table) is found for table, found in kept.tables.items())
        and readlog.reuse(kept.tap)
    ):
        return kept.result
    tracked = TrackedTables(tables)
    with readlog.tapping() as tap:
        result = load(tracked)
    old = _ARTICLES.pop(name, None)
    if old is not None:
        _BY_ARTICLE.pop(id(old.result[0]), None)
    if tap is not None and not any(d.severity == "error" for d in result[-1]):
        entry = _Kept(key, tap, result, tracked.used())
        _remember(_ARTICLES, name, entry)
        _BY_ARTICLE[id(result[0])] = entry
    return result


def forget_others(paths) -> None:
    """Keep only the articles at `paths` (the ones this build loaded)."""
    names = {str(Path(path).resolve()) for path in paths}
    for name in [name for name in _ARTICLES if name not in names]:
        _BY_ARTICLE.pop(id(_ARTICLES.pop(name).result[0]), None)


def outcome(article, anchors) -> tuple:
    """What the publication-wide steps made of an article (content.load_articles): its heading ids,
    its embeds' id suffixes, where its links lead, its numbered blocks and the numbers its
    references show."""

    def target(reference) -> tuple:
        found = reference.token.meta.get("target")
        return (found.kind, found.id, found.number) if found is not None else ()

    return (
        tuple(article.headings),
        tuple(token.attrGet("id") for token, _index, _slug in anchors.headings),
        tuple(token.meta.get("suffix") for token in anchors.directives),
        tuple((link.token.attrGet("href"), link.token.meta.get("xref")) for link in anchors.links),
        tuple(article.numbered),
        tuple(target(reference) for reference in anchors.references),
        bool(article.env.get("xrefs")),
    )


def kept_rendering(article, settings: str, templates: Path, render: Callable[[], tuple]) -> tuple:
    """(RenderedArticle, notes' html) of the article's web rendering by `render`, kept while it is
    the same parse with the same `outcome`, the same `settings` (the configuration) and the same
    built-in templates. A rendering that used one of the project's own templates is not kept."""
    kept = _BY_ARTICLE.get(id(article))
    if kept is None or kept.result[0] is not article:
        return render()
    signature = (settings, outcome(article, kept.result[2]))
    if kept.web is not None and kept.web[0] == signature and readlog.reuse(kept.web[1]):
        return kept.web[2], kept.web[3]
    with readlog.tapping() as tap:
        rendered, notes = render()
    own = str(templates.resolve())
    if tap is not None and not any(Path(key).is_relative_to(own) for key in tap.digests):
        kept.web = (signature, tap, rendered, notes)
    else:
        kept.web = None
    return rendered, notes


def clear() -> None:
    """Forget everything kept (tests)."""
    _TABLES.clear()
    _ARTICLES.clear()
    _BY_ARTICLE.clear()
