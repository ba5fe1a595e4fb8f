"""HTML writer: the standalone web edition is the rendered document itself, with its fonts.

The print fonts (Noto Serif and Noto Sans, see fonts.py) are embedded as WOFF2 subsets of the
characters the page uses, in data: URLs (the code font only when the page has code), so the page looks as the PDF does on every platform
and stays one self-contained file. A subset is kept in the fonts cache by the font and the
characters it holds: an edit that adds no new character makes none again.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import tempfile
from pathlib import Path

#: the weights the web edition's stylesheets use (regular and bold; others are drawn with the nearest)
WEB_WEIGHTS = frozenset({400, 700})
_HEAD = re.compile(r"<meta charset=\"utf-8\" */?>")
#: markup the code font draws (base.css): without any, the page carries no code font
_CODE = re.compile(r"<(?:code|pre|kbd|samp)\b", re.IGNORECASE)


def write_html(html: str, fonts_dir: Path | None = None) -> bytes:
    """The web edition's bytes: `html` with @font-face rules for the print fonts put in its head."""
    css = web_font_css(_characters(html), fonts_dir or _default_fonts_dir(), code=_CODE.search(html) is not None)
    style = f'\n  <style data-source="fonts.css">\n{css}\n  </style>'
    found = _HEAD.search(html)
    if found is not None:
        html = html[: found.end()] + style + html[found.end() :]
    return html.encode("utf-8")


def _default_fonts_dir() -> Path:
    from ..fonts import fonts_cache

    return fonts_cache(fallback=Path(tempfile.gettempdir()) / "report-builder-fonts")


def _characters(html: str) -> frozenset[str]:
    """What the page may draw: every character of its text (markup included: a superset is harmless)."""
    return frozenset(html) | frozenset("0123456789 …–—‘’“”")


def web_font_css(characters: frozenset[str], directory: Path, code: bool = True) -> str:
    """@font-face rules, one per family, style and weight, each a WOFF2 subset in a data: URL;
    the code font's only when `code`."""
    from ..fonts import CODE_FAMILY, static_faces

    directory.mkdir(parents=True, exist_ok=True)
    rules = []
    for face in static_faces(directory, set(WEB_WEIGHTS)):
        if face.family == CODE_FAMILY and not code:
            continue
        data = woff2_subset(face.path, characters, directory)
        rules.append(
            f"@font-face {{ font-family: '{face.family}'; font-style: {face.style}; font-weight: {face.weight}; "
            f"font-display: swap; src: url(data:font/woff2;base64,{base64.b64encode(data).decode('ascii')}) "
            "format('woff2'); }"
        )
    return "\n".join(rules)


def woff2_subset(font: Path, characters: frozenset[str], directory: Path) -> bytes:
    """The font cut down to `characters` (with its layout features), as WOFF2; cached in `directory`."""
    codes = sorted({ord(c) for c in characters if ord(c) > 31})
    key = hashlib.sha256(f"{font.name}\n{codes}".encode()).hexdigest()[:24]
    cached = directory / "web" / f"{font.stem}-{key}.woff2"
    if cached.is_file():
        return cached.read_bytes()
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from ..output import atomic_write

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    with TTFont(font, recalcTimestamp=False) as face:
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=codes)
        subsetter.subset(face)
        face.flavor = "woff2"
        out = io.BytesIO()
        face.save(out)
    data = out.getvalue()
    cached.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(cached, data)
    return data


# -- html.layout: pages ------------------------------------------------------------------------

#: generated text of the pages layout (English defaults)
LABELS = {"pager": "Previous and next article", "previous": "Previous: {title}", "next": "Next: {title}"}


def split_pages(document: bytes) -> dict[str, bytes]:
    """The single web edition cut into one page per article (the first is index.html) and one for
    the sources, each with the masthead, the contents and previous/next links; links between
    pages point at the page that holds their target."""
    from lxml import html as lxml_html

    tree = lxml_html.document_fromstring(document)
    main = next(tree.iter("main"))
    parts = [node for node in main if node.tag in ("article", "section")]
    names = _page_names(parts)
    owner = {
        str(node.get("id")): names[index]
        for index, part in enumerate(parts)
        for node in part.iter()
        if node.get("id") is not None
    }
    pages = {}
    for index, part in enumerate(parts):
        page = lxml_html.document_fromstring(document)
        page_main = next(page.iter("main"))
        keep = page_main[[node for node in main].index(part)]
        for node in list(page_main):
            if node is not keep:
                page_main.remove(node)
        if keep.tag == "article":
            back = lxml_html.fragment_fromstring('<p class="to-contents"><a href="#contents"></a></p>')
            back[0].text = _back_label(tree)
            page_main.append(back)
        page_main.append(_pager(parts, names, index))
        _point_links(page, owner, names[index])
        pages[names[index]] = lxml_html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8")
    return pages


def _page_names(parts) -> list[str]:
    names: list[str] = []
    for index, part in enumerate(parts):
        stem = "index" if index == 0 else re.sub(r"[^A-Za-z0-9_-]", "-", part.get("id") or f"page-{index}")
        while f"{stem}.html" in names:
            stem += "_"
        names.append(f"{stem}.html")
    return names


def _back_label(tree) -> str:
    links = tree.xpath("//p[@class='to-contents']/a")
    return links[0].text_content() if links else "Contents"


def _title(part) -> str:
    heading = part.xpath(".//*[self::h1 or self::h2][1]")
    return " ".join(heading[0].text_content().split()) if heading else ""


def _pager(parts, names, index):
    from lxml import html as lxml_html

    nav = lxml_html.fragment_fromstring('<nav class="pager"></nav>')
    nav.set("aria-label", LABELS["pager"])
    for step, rel in ((-1, "prev"), (1, "next")):
        other = index + step
        if 0 <= other < len(parts):
            link = lxml_html.fragment_fromstring("<a></a>")
            link.set("href", names[other])
            link.set("rel", rel)
            link.set("class", f"pager-{rel}")
            link.text = LABELS["previous" if step < 0 else "next"].format(title=_title(parts[other]))
            nav.append(link)
    return nav


def _point_links(page, owner: dict[str, str], here: str) -> None:
    """An in-page link whose target is on another page points at that page."""
    from urllib.parse import quote, unquote

    for link in page.xpath("//a[starts-with(@href, '#')]"):
        ident = unquote(link.get("href")[1:])
        elsewhere = owner.get(ident)
        if elsewhere is not None and elsewhere != here:
            link.set("href", f"{quote(elsewhere)}#{quote(ident)}")
