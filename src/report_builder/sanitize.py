"""Raw HTML in Markdown, when a project turns it on: keep the markup, drop what can act.

Scripts, styles, frames, objects, forms and event handlers are removed, and so are
`javascript:` URLs and resources that point outside the document (they would be fetched
while building). A `style` attribute keeps only plain presentational declarations. Used only
when report.yaml sets `raw_html: true`; otherwise markdown-it escapes raw HTML.
"""

from __future__ import annotations

import re

import tinycss2
from lxml import etree, html

DROPPED_ELEMENTS = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "button",
    "select",
    "textarea",
    "link",
    "meta",
    "base",
    "svg",
    "math",
    "template",
    "noscript",
    "audio",
    "video",
    "source",
    "track",
    "img",
    "picture",
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "background", "poster", "srcset", "data"}
_SAFE_HREF = re.compile(r"^(#|https?://|mailto:)", re.IGNORECASE)
#: what a `style` attribute may set: how text looks and where it sits, nothing that loads,
#: runs, places it over the page or draws text of its own
STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-style",
    "font-weight",
    "font-variant",
    "font-size",
    "line-height",
    "text-align",
    "text-decoration",
    "text-transform",
    "text-indent",
    "letter-spacing",
    "word-spacing",
    "white-space",
    "vertical-align",
    "width",
    "min-width",
    "max-width",
    "height",
    "min-height",
    "max-height",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
    "border",
    "border-top",
    "border-right",
    "border-bottom",
    "border-left",
    "border-color",
    "border-style",
    "border-width",
    "border-radius",
    "border-collapse",
}
#: functions a declaration's value may call: colours only (no url(), image(), expression(), attr() …)
STYLE_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla"}
_STYLE_TOKENS = {"whitespace", "ident", "number", "percentage", "dimension", "hash", "literal"}


def sanitize_style(text: str) -> str:
    """A `style` attribute's declarations that are plain presentation; '' when none is."""
    kept = []
    for declaration in tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True):
        if (
            declaration.type == "declaration"
            and declaration.lower_name in STYLE_PROPERTIES
            and _is_plain_value(declaration.value)
        ):
            value = tinycss2.serialize(declaration.value).strip()
            kept.append(f"{declaration.lower_name}: {value}{' !important' if declaration.important else ''}")
    return "; ".join(kept)


def _is_plain_value(tokens) -> bool:
    """Keywords, numbers, lengths, colours and rgb()/hsl(): no URL, string, escape trick or block."""
    for token in tokens:
        if token.type == "function" and token.lower_name in STYLE_FUNCTIONS and _is_plain_value(token.arguments):
            continue
        if token.type not in _STYLE_TOKENS or (token.type == "literal" and token.value not in ",/-+"):
            return False
    return True


#: an `<img …>` tag as written in raw HTML, its `src` when it has one
_IMAGE_TAG = re.compile(r"""<img\b(?:[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?[^>]*>""", re.IGNORECASE)


def raw_images(fragment: str) -> list[tuple[str, str]]:
    """The `<img>` tags of a raw-HTML fragment, which the sanitiser drops: (the tag's first four
    characters as written, to find it in the source; its `src`, "" without one)."""
    return [
        (match.group(0)[:4], next((group for group in match.groups() if group is not None), ""))
        for match in _IMAGE_TAG.finditer(fragment)
    ]


def sanitize_html(fragment: str) -> str:
    """Return `fragment` without active content; text and harmless markup survive."""
    if not fragment.strip():
        return fragment
    try:
        nodes = html.fragments_fromstring(fragment)
    except (etree.ParserError, ValueError):
        return _escape(fragment)
    parts = []
    for node in nodes:
        if isinstance(node, str):
            parts.append(_escape(node))
            continue
        _clean(node)
        if node.tag in DROPPED_ELEMENTS:
            continue
        parts.append(etree.tostring(node, method="xml", encoding="unicode", with_tail=True))
    return "".join(parts)


def _clean(root):
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments and processing instructions
            element.drop_tree() if element.getparent() is not None else None
            continue
        if element.tag in DROPPED_ELEMENTS and element is not root:
            element.drop_tree()
            continue
        for name in list(element.attrib):
            lowered = name.lower()
            style = sanitize_style(element.attrib[name]) if lowered == "style" else ""
            if style:
                element.attrib[name] = style
            elif (
                lowered.startswith("on")
                or lowered == "style"
                or lowered in URL_ATTRIBUTES
                and not (lowered == "href" and _SAFE_HREF.match(element.attrib[name].strip()))
            ):
                del element.attrib[name]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: elements without content or closing tag: dropping one drops nothing after it
VOID_ELEMENTS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "param",
    "source",
    "track",
    "wbr",
}


def without_dropped_content(children: list) -> list:
    """Inline tokens minus everything between a dropped element's opening and closing tags.

    markdown-it splits `<script>x</script>` inside a paragraph into three tokens; dropping the
    tags alone would leave the script's text in the output. As in `sanitize_html`, a dropped
    element goes with everything inside it.
    """
    kept, open_elements = [], []
    for child in children:
        if child.type == "html_inline":
            match = _TAG.match(child.content.strip())
            if match:
                closing, name, _attributes, self_closing = match.groups()
                name = name.lower()
                if name in DROPPED_ELEMENTS and name not in VOID_ELEMENTS and not self_closing:
                    if not closing:
                        open_elements.append(name)
                        continue
                    if name in open_elements:
                        del open_elements[len(open_elements) - 1 - open_elements[::-1].index(name) :]
                        continue
        if not open_elements:
            kept.append(child)
    return kept


_TAG = re.compile(r"^<\s*(/?)\s*([a-zA-Z][\w-]*)(.*?)(/?)\s*>$", re.DOTALL)
_ATTRIBUTE = re.compile(r"""([^\s=/>]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


def sanitize_inline_tag(tag: str) -> str:
    """One inline tag as markdown-it sees it (`<b>`, `</b>`, `<span x=y>`): keep it or drop it."""
    match = _TAG.match(tag.strip())
    if not match:
        return "" if tag.lstrip().startswith("<!--") else _escape(tag)
    closing, name, attributes, self_closing = match.groups()
    name = name.lower()
    if name in DROPPED_ELEMENTS:
        return ""
    if closing:
        return f"</{name}>"
    kept = []
    for attribute, value in _ATTRIBUTE.findall(attributes):
        lowered = attribute.lower()
        value = value.strip("\"'") if value else ""
        if lowered == "style":
            value = sanitize_style(value)
        if lowered.startswith("on") or (lowered == "style" and not value):
            continue
        if lowered in URL_ATTRIBUTES and not (lowered == "href" and _SAFE_HREF.match(value.strip())):
            continue
        kept.append(f' {lowered}="{_escape(value).replace(chr(34), "&quot;")}"')
    # void elements closed XHTML-style, so the EPUB's XHTML stays well-formed (`<br>` → `<br />`)
    return f"<{name}{''.join(kept)}{' /' if self_closing or name in VOID_ELEMENTS else ''}>"
