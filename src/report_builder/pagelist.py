"""Where each printed page begins, read from the print layout, and the same place in other XHTML.

A page start is written as the ids of the elements the page begins in, innermost first, each
with the number of that element's words printed on earlier pages:
``[["pokrovsk-p7", 41], ["pokrovsk", 612]]`` means "after the 41st word of paragraph
pokrovsk-p7". An empty list means the page shows no identified content (the cover, or a blank
page). Plain lists, so a layout done in another process can hand them over as JSON.

Both sides count words the same way: a word starts at a non-space character that follows a
space, the start of a block, or a line break that is not a hyphenation. Text that exists only
in print (generated content, page furniture, footnote bodies moved to the page foot) is not
counted; a footnote call counts as its number, like the EPUB note reference.
"""

from __future__ import annotations

import re

#: characters after which a printed line may break inside a word (hyphens, dashes, slash)
_JOINING = "-\u00ad\u2010\u2011\u2012\u2013\u2014/"
_WORD_START = re.compile(r"\s\S")

#: XHTML elements that start a new block: a word never runs across their start
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "br",
    }
)
#: XHTML subtrees whose text is not laid out as text in print (inline SVG is an image there)
SKIPPED_TAGS = frozenset({"svg", "math", "script", "style"})


def _count_starts(text: str, after_space: bool) -> tuple[int, bool]:
    """Word starts in `text` when the text before it ended in a space (or not)."""
    if not text:
        return 0, after_space
    starts = len(_WORD_START.findall(text))
    if after_space and not text[0].isspace():
        starts += 1
    return starts, text[-1].isspace()


def _breaks_word(line_end: str) -> bool:
    """Whether a printed line that ends so runs on into the next line's first word."""
    return len(line_end) == 2 and line_end[1] in _JOINING and not line_end[0].isspace()


# -- print side: the WeasyPrint layout ----------------------------------------------------------


def find_page_starts(document) -> list[list[list]]:
    """For each page of a laid-out WeasyPrint document, where it begins (see the module doc)."""
    from .writers.pdf.weasy import page_starts  # the walk reads WeasyPrint's boxes: it lives there

    return page_starts(document)


# -- EPUB side: an lxml XHTML tree ---------------------------------------------------------------


def local_name(element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


#: where a word may begin: a non-space first in a text or after a space (`\s` is `str.isspace`)
_WORD_BEGINNING = re.compile(r"(?<!\S)\S")


def insert_at_word(element, words: int, marker) -> bool:
    """Insert `marker` inside `element` just before its word number `words` (0 = the first).

    Returns False when the element has fewer words; the marker is not inserted then.
    """
    state = {"seen": 0, "after_space": True}

    def place(text, at_text_of, node):
        """Find the word start in `text` (the .text or .tail of `node`); insert the marker there."""
        if not text:
            return False
        starts = [match.start() for match in _WORD_BEGINNING.finditer(text)]
        if starts and starts[0] == 0 and not state["after_space"]:
            starts.pop(0)  # the word began in the text before
        wanted = words - state["seen"]
        if wanted < len(starts):
            _split_at(node, at_text_of, starts[wanted], marker)
            return True
        state["seen"] += len(starts)
        state["after_space"] = text[-1].isspace()
        return False

    def walk(node) -> bool:
        if place(node.text or "", True, node):
            return True
        for child in node:
            name = local_name(child)
            if name in BLOCK_TAGS:
                state["after_space"] = True
            if name not in SKIPPED_TAGS and not _unprinted(child) and walk(child):
                return True
            if name in BLOCK_TAGS:
                state["after_space"] = True
            if place(child.tail or "", False, child):
                return True
        return False

    return walk(element)


#: elements of the XHTML that print never shows (base.css), so their words are not counted
UNPRINTED_CLASSES = frozenset({"cell-label"})


def _unprinted(element) -> bool:
    """A table cell's column title (facts_table.html): shown only where a table reflows."""
    return not UNPRINTED_CLASSES.isdisjoint((element.get("class") or "").split())


def _split_at(node, in_text: bool, index: int, marker) -> None:
    if in_text:
        marker.tail, node.text = node.text[index:], node.text[:index]
        node.insert(0, marker)
    else:
        marker.tail, node.tail = node.tail[index:], node.tail[:index]
        parent = node.getparent()
        parent.insert(parent.index(node) + 1, marker)
