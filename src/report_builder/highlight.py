"""Fenced code → HTML: highlighted with Pygments from the fence's info string, one span per line.

The markup is the same in every edition (Pygments' short token classes: `k` keyword, `s2` string,
`c1` comment …); the stylesheets colour it: grayscale-safe weights and styles in print.css, a
screen theme with a dark-mode variant in base.css. An info string no lexer knows is set as plain
text, without a message: a language name is not checked by any other tool either.
"""

from __future__ import annotations

import functools
import re

from markdown_it.common.utils import escapeHtml

#: a fence longer than this many characters is set as plain text (highlighting costs time per character)
MAX_HIGHLIGHTED = 200_000


#: inline code may break after these (print): the places a reader expects an identifier or path to break
_BREAK_AFTER = re.compile(r"([._/\\:,;=&?#)\]}]+)(?=[^\s._/\\:,;=&?#)\]}])")


def render_inline_code(code: str, target: str, attrs: str = "") -> str:
    """`<code>` with, in print, a break opportunity (`<wbr />`) after each run of punctuation;
    `attrs` are its rendered attributes."""
    if target != "pdf":
        return f"<code{attrs}>{escapeHtml(code)}</code>"
    marked = _BREAK_AFTER.sub("\\1\0", code)  # markdown-it has replaced every NUL of the source
    return f"<code{attrs}>{escapeHtml(marked).replace(chr(0), '<wbr />')}</code>"


def code_language(info: str) -> str:
    """The language an info string names: its first word (```` ```python title="x" ```` → python)."""
    words = info.strip().split(maxsplit=1)
    return words[0] if words else ""


def render_code(code: str, info: str, target: str) -> str:
    """`<pre class="code"><code>` with each source line a `<span class="line">` (print draws the
    continuation mark of a wrapped line on it; see print.css)."""
    language = code_language(info)
    lexer = _lexer(language) if len(code) <= MAX_HIGHLIGHTED else None
    lines = _highlighted_lines(code, lexer) if lexer is not None else [escapeHtml(line) for line in _lines(code)]
    # print lays each line out as a block: a newline between them would be an empty line more
    separator = "" if target == "pdf" else "\n"
    indents = [_indent(line) for line in _lines(code)] if target == "pdf" else [0] * len(lines)
    body = separator.join(f'<span class="line"{_hang(indent)}>{line}</span>' for line, indent in zip(lines, indents))
    name = lexer.name if lexer is not None and lexer.name != "Text only" else ""
    known = bool(name)
    classes = f' class="language-{escapeHtml(language)}"' if language else ""
    label = f' data-language="{escapeHtml(name)}"' if known else ""
    return f'<pre class="code{" highlight" if known else ""}"{label}><code{classes}>{body}</code></pre>\n'


#: a wrapped line hangs in at most this many characters (its indentation), so there is room left
MAX_HANG = 40


def _indent(line: str) -> int:
    """The line's indentation in characters (a tab to the next multiple of 4)."""
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 4 - width % 4
        else:
            break
    return min(width, MAX_HANG)


def _hang(indent: int) -> str:
    """Print: the wrapped lines of an indented source line hang in under its text, the mark before them."""
    if not indent:
        return ""
    return f' style="padding-left: {indent + 2}ch; text-indent: -{indent + 2}ch; background-position: {indent}ch 0"'


def _lines(code: str) -> list[str]:
    return code.removesuffix("\n").split("\n")


def _highlighted_lines(code: str, lexer) -> list[str]:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter

    # nowrap: the bare spans, which Pygments closes and reopens at each newline
    html = highlight(code, lexer, HtmlFormatter(nowrap=True))
    return _lines(html)


@functools.lru_cache(maxsize=128)
def _lexer(language: str):
    """The Pygments lexer for a language name or alias; None when none has it."""
    if not language:
        return None
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language.lower(), stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None
