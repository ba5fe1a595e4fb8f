"""A targeted fix to WeasyPrint 70's pagination of footnotes, applied before layout.

When a line does not fit at the foot of a page, WeasyPrint 70 moves footnotes already
placed on that page to the next one to make room for the line, so a footnote can land a
page after its call (Kozea/WeasyPrint#2502, #1564). Turning that path off makes WeasyPrint
break the page normally (honouring orphans and widows) and keep every footnote with its
call. The fix rewrites one statement; if WeasyPrint changes, the fix is skipped and the
footnote placement test says so.
"""

from __future__ import annotations

import inspect

_OLD = "report = not context.in_column and can_break_now and not could_break_before"
_applied = False


def apply_footnote_fix() -> bool:
    global _applied
    if _applied:
        return True
    import weasyprint.layout.block as block

    source = inspect.getsource(block._linebox_layout)
    if _OLD not in source:
        return False
    code = compile(source.replace(_OLD, "report = False"), block.__file__, "exec")
    exec(code, block.__dict__)  # noqa: S102 - redefines the one function, in its own module
    _applied = True
    return True
