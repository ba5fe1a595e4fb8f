"""Print layout: what a table needs once its pages are known — a continued table says so."""

from __future__ import annotations

#: the header row facts_table.html adds for print, hidden until a page continues the table
CONTINUED_ROW = "table-continued-row"


def landscape_pages(document) -> list[int]:
    """The indexes of the pages laid out on their side (the `wide` page of a wide table, tablefit.py)."""
    return [index for index, page in enumerate(document.pages) if page.width > page.height]


def show_continued_rows(document) -> None:
    """Show the "(continued)" row of each table's repeated header on the pages after its first.

    The row is laid out (hidden) on every page the table spans, so showing it moves nothing: the
    pages stay as laid out, in a chunked layout and a single one alike."""
    seen: set[int] = set()
    for page in document.pages:
        for table, row in _continued_rows(page._page_box, None):
            if table in seen:
                _show(row)
            seen.add(table)


def _continued_rows(box, table):
    """(the table's element id, the row) of each continued row on a page, in document order."""
    for child in getattr(box, "children", ()):
        if type(child).__name__ == "LineBox":  # no table inside a line: its text is not walked
            continue
        if child.element_tag == "table" and type(child).__name__ == "TableBox":
            yield from _continued_rows(child, id(child.element))
        elif child.element_tag == "tr" and CONTINUED_ROW in (child.element.get("class") or "").split():
            yield table, child
        else:
            yield from _continued_rows(child, table)


def _show(box) -> None:
    style = box.style.copy()
    style["visibility"] = "visible"
    box.style = style
    for child in getattr(box, "children", ()):
        _show(child)
