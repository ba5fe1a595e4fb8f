"""Templates: Jinja2 in a sandbox, loaded only from the project's templates/ and the built-ins,
bounded in time, memory and output, and every mistake a located diagnostic.

A project template is untrusted input like an article (a briefing repository takes many
contributors' changes), so it renders in Jinja's ImmutableSandboxedEnvironment: no attribute
that starts with `_` (so no `__class__`, `__globals__` or `__subclasses__` to reach Python's
internals), no change to a list or dict it was given, no path or module object, and only the
names Jinja's sandbox provides (`range` capped at 100,000 items).

How rendering is bounded, and why this way (see `within_limits`):

- Time: a watchdog thread raises an exception in the rendering thread once TIME_LIMIT_SECONDS
  have passed (CPython delivers it at the next bytecode boundary). It stops every kind of loop
  (an empty `{% for %}` body calls no hook a budget could count, and a macro's output collects
  in a plain list), in any thread and in worker processes, without SIGALRM, which the PDF
  layout uses. The integer operations that could run for minutes inside one C call (`**`, `*`
  of huge numbers) are refused before they start.
- Memory: while a template renders, the process's address space may grow by MEMORY_HEADROOM
  bytes at most (RLIMIT_AS, Linux): whatever builds the memory up (a string doubled in a
  `namespace`, a filter's width) fails with a MemoryError that becomes a located error before
  the machine swaps or the OOM killer ends the build. Where the limit cannot be set the time
  and output limits still hold.
- Output: the document is streamed through `generate()` and stops at MAX_OUTPUT_CHARS.
- Recursion: a macro that calls itself ends in Python's RecursionError, reported as such.
"""

from __future__ import annotations

import ctypes
import heapq
import os
import re
import sys
import threading
import time
import types
from collections.abc import Generator
from io import IOBase
from pathlib import Path, PurePath
from typing import cast

import jinja2
import jinja2.sandbox
from markupsafe import Markup

from .errors import Diagnostic, ReportError
from .project import Project, builtin_dir

#: characters one rendered document may have: a 300-article book's print HTML has 4 million
MAX_OUTPUT_CHARS = 64 * 1024 * 1024
#: seconds one document (or template) may render: a 300-article book's print HTML takes half a second
TIME_LIMIT_SECONDS = 60
#: bytes of address space a render may add to the process (Linux): the 300-article book adds 30 MB
MEMORY_HEADROOM = 1024 * 1024 * 1024
#: bits an integer that `*` or `**` makes in a template may have (a 30,000-digit number)
MAX_INT_BITS = 100_000


class TemplateRefused(jinja2.TemplateError):
    """A template name or file outside templates/ and the built-ins; never read.

    `path` and `alone` are the offending file and what to say there, when the name was fine but
    the file is not (a link out of templates/): said at the file unless a project template asked.
    """

    def __init__(self, name, reason: str, path: str | None = None, alone: str | None = None):
        super().__init__(f"refused to load template '{_cut(str(name))}': {reason}")
        self.path = path
        self.alone = alone


# -- the environment -----------------------------------------------------------------------------


def make_environment(project: Project) -> jinja2.Environment:
    """The sandboxed Jinja2 of a project: autoescape, StrictUndefined, its templates before the built-ins.

    One environment per project and set of template files, so a build that renders many
    documents (the chunks of a parallel layout) compiles each template once. Jinja checks each
    cached template's file before reuse; a project template added or removed makes a new one.
    """
    key = (project.root, _template_listing(project))
    env = _ENVIRONMENTS.get(key)
    if env is None:
        _ENVIRONMENTS.clear()  # only the current set is worth keeping (`watch` builds for hours)
        env = _ENVIRONMENTS[key] = _Sandbox(project)
    return env


_ENVIRONMENTS: dict[tuple, jinja2.Environment] = {}


def _template_listing(project: Project) -> tuple[str, ...]:
    """The project's template files by name: which folder answers for each name depends on it."""
    root = project.templates_dir
    if not root.is_dir():
        return ()
    return tuple(sorted(p.relative_to(root).as_posix() for p in root.rglob("*")))


class _Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the project's loader and bounded arithmetic."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, project: Project):
        super().__init__(
            loader=_Templates(project),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            extensions=["jinja2.ext.i18n"],
        )
        # Generated labels are written {{ _("Contents") }} (or {% trans %}) in the templates;
        # they are translated into the publication's language where a catalogue has them.
        self.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
        self.project = project
        self.filters["css_string"] = css_string
        self.filters["css_ident"] = css_ident

    def is_safe_attribute(self, obj, attr, value) -> bool:
        return (
            super().is_safe_attribute(obj, attr, value)
            and not isinstance(obj, _OPAQUE)
            and not isinstance(value, _OPAQUE)
        )

    def getattr(self, obj, attribute):
        # Jinja's checks depend only on the types and the name (and are slow: they test ABCs),
        # so an attribute found plain once is plain for every object of its type
        if attribute in ("format", "format_map"):  # str.format is wrapped: it reads attributes too
            return super().getattr(obj, attribute)
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            return super().getattr(obj, attribute)
        key = (type(obj), attribute, type(value))
        plain = _PLAIN_ATTRIBUTES.get(key)
        if plain is None:
            if len(_PLAIN_ATTRIBUTES) > 10_000:
                _PLAIN_ATTRIBUTES.clear()
            plain = _PLAIN_ATTRIBUTES[key] = self.wrap_str_format(value) is None and self.is_safe_attribute(
                obj, attribute, value
            )
        return value if plain else super().getattr(obj, attribute)

    def unsafe_undefined(self, obj, attribute):
        # at once, not when the value is used: a chain of them would name the last one
        raise jinja2.sandbox.SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe."
        )

    def call_binop(self, context, operator, left, right):
        _check_size(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def is_project_file(self, filename: str) -> bool:
        return _is_project_file(filename)

    def display(self, filename: str) -> str:
        """A template file as messages show it: templates/partials/x.html."""
        path = Path(filename)
        builtin = builtin_dir("templates")
        if builtin in path.parents:
            return "templates/" + path.relative_to(builtin).as_posix()
        return self.project.display(path)


def _opaque_types() -> tuple[type, ...]:
    """Objects a template may not look into: paths and files (they read the disk), modules, and the
    Markdown parser's tokens (other editions are rendered from them after this template)."""
    from markdown_it.token import Token

    return PurePath, IOBase, types.ModuleType, Token


_OPAQUE = _opaque_types()
_PLAIN_ATTRIBUTES: dict[tuple, bool] = {}


def _check_size(operator: str, left, right) -> None:
    """Refuse a `*` or `**` whose result would be huge before Python spends minutes making it."""
    if isinstance(left, int) and isinstance(right, int):
        if operator == "**":
            bits = right * abs(left).bit_length() if right > 0 and abs(left) > 1 else 0
        else:
            bits = left.bit_length() + right.bit_length()
        if bits > MAX_INT_BITS:
            raise jinja2.sandbox.SecurityError(
                f"the result of '{operator}' would have over {MAX_INT_BITS:,} bits; numbers that large are refused"
            )
    elif operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if (
                isinstance(sequence, (str, list, tuple))
                and isinstance(times, int)
                and len(sequence) * times > MAX_OUTPUT_CHARS
            ):
                raise jinja2.sandbox.SecurityError(
                    f"repeating a {type(sequence).__name__} of {len(sequence):,} items {_cut(str(times))} times "
                    f"would make over {MAX_OUTPUT_CHARS:,}"
                )


# -- the loader ----------------------------------------------------------------------------------


class _Templates(jinja2.BaseLoader):
    """Templates by name: the project's templates/ folder (subfolders included), then the built-ins.

    A project file is read like every project file (UTF-8, size-limited); a name that climbs out
    (`../x`, `/etc/x`) or a file that links out of templates/ is refused, never read.
    """

    def __init__(self, project: Project):
        self.project = project

    def get_source(self, environment, template):
        pieces = _name_pieces(template)
        own = self.project.templates_dir.joinpath(*pieces)
        if os.path.lexists(own):
            return self._project_source(template, own)
        builtin = builtin_dir("templates").joinpath(*pieces)
        if os.path.isfile(builtin):
            mtime = builtin.stat().st_mtime
            return (
                builtin.read_text(encoding="utf-8"),
                str(builtin),
                lambda: os.path.isfile(builtin) and builtin.stat().st_mtime == mtime,
            )
        raise jinja2.TemplateNotFound(template)

    def _project_source(self, template, path: Path):
        from .inputs import read_text

        shown = path.relative_to(self.project.root).as_posix()  # the link itself, not where it leads
        resolved = Path(os.path.realpath(path))  # a link that loops resolves to itself, not a file
        inside_project = resolved == self.project.root or self.project.root in resolved.parents
        if not inside_project:  # refused by read_text, in the words used for every project file
            try:
                read_text(path, shown, inside=self.project.root)
            except ReportError as exc:
                message = exc.diagnostics[0].message
                raise TemplateRefused(template, f"{shown}: {message}", shown, message) from None
        if os.path.realpath(self.project.templates_dir) not in map(str, resolved.parents):
            where = self.project.display(resolved)
            raise TemplateRefused(
                template,
                f"{shown} leads to {where}, outside templates/",
                shown,
                f"refused to load this template: it leads to {where}, outside templates/",
            )
        if not os.path.isfile(path):
            from .inputs import not_regular

            kind = not_regular(path) or "not a regular file"
            refusal = (
                f"it is {kind}, not a regular file" if kind != "not a regular file" else "it is not a regular file"
            )
            raise TemplateRefused(template, f"{shown}: {refusal}", shown, f"refused to read the file: {refusal}")
        text = read_text(path, shown, inside=self.project.root)
        mtime = path.stat().st_mtime
        return text, str(path), lambda: os.path.isfile(path) and path.stat().st_mtime == mtime

    def list_templates(self):
        root = self.project.templates_dir
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\]")


def _name_pieces(name) -> list[str]:
    """The folders and file of a template name, which may not climb out of templates/."""
    if not isinstance(name, str) or _BAD_NAME.search(name):
        raise TemplateRefused(name, "a template name is a path under templates/ with '/' between folders")
    pieces = [piece for piece in name.split("/") if piece not in ("", ".")]
    if name.startswith("/") or ".." in pieces:
        raise TemplateRefused(name, "only files under templates/ and the built-in templates can be loaded")
    if not pieces:
        raise jinja2.TemplateNotFound(name)
    return pieces


def template_files(project: Project) -> list[Path]:
    """Every template that may be used: the project's own and the built-in ones."""
    files = []
    for directory in (project.templates_dir, builtin_dir("templates")):
        if directory.is_dir():
            files.extend(sorted(p for p in directory.iterdir() if p.is_file()))
    return files


# -- rendering -----------------------------------------------------------------------------------


def _time_message() -> str:
    return f"rendering took longer than {TIME_LIMIT_SECONDS:g} s and was stopped (an endless loop?)"


def _memory_message() -> str:
    return f"rendering needed more than {MEMORY_HEADROOM // 2**20:,} MiB of memory and was stopped"


def render_template(env: jinja2.Environment, name: str, **values) -> str:
    """Render one template within the limits; template mistakes become located diagnostics."""
    try:
        return within_limits(name, lambda: _streamed(env.get_template(name), values))
    except jinja2.TemplateSyntaxError as exc:
        raise _located(
            env, name, exc, f"template syntax error: {_cut(exc.message or '', 300)}", (exc.filename, exc.lineno)
        ) from None
    except jinja2.UndefinedError as exc:
        # "'report_builder.model.Article object' has no attribute 'x'" → "'Article' has no attribute 'x'"
        message = re.sub(r"'(?:[\w]+\.)*(\w+) object'", r"'\1'", exc.message or "undefined value")
        raise _located(env, name, exc, f"template error: {_cut(message)}") from None
    except TemplateRefused as exc:
        where = _raised_at(exc.__traceback__)
        if exc.alone and not (where and _is_project_file(where[0])):
            raise ReportError([Diagnostic(exc.path or name, None, None, exc.alone)]) from None
        raise _located(env, name, exc, exc.message, where) from None
    except jinja2.TemplateNotFound as exc:
        raise _located(env, name, exc, f"template not found: {_cut(str(exc.name))}") from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
        # SecurityError, `1/0`, `range(10**6)`, `[].pop()`, `"a" + 1`, `"{:d}".format("x")` …
        raise _located(env, name, exc, f"template error: {_cut(str(exc) or type(exc).__name__)}") from None
    except RecursionError as exc:
        raise _located(
            env, name, exc, "template error: calls nested too deeply (a macro that calls itself without end?)"
        ) from None
    except MemoryError as exc:
        raise _located(env, name, exc, f"template error: {_memory_message()}") from None
    except _OutputTooLarge as exc:
        path, line = exc.where or (f"templates/{name}", None)
        raise ReportError(
            [
                Diagnostic(
                    path,
                    line,
                    None,
                    f"template error: the output passed {MAX_OUTPUT_CHARS:,} characters and was stopped",
                )
            ]
        ) from None


class _OutputTooLarge(Exception):
    def __init__(self, where):
        super().__init__()
        self.where = where


def _streamed(template: jinja2.Template, values: dict) -> str:
    """The template's output, stopped once it passes MAX_OUTPUT_CHARS.

    The pieces are joined every few thousand, so that the output's memory is its text's, not
    that of millions of one-character strings.
    """
    generator = cast(Generator[str, None, None], template.generate(**values))
    chunks, pieces, size = [], [], 0
    try:
        for piece in generator:
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                raise _OutputTooLarge(_suspended_at(generator))
            pieces.append(piece)
            if len(pieces) == 4096:
                chunks.append("".join(pieces))
                pieces.clear()
    except _TimeUp as exc:  # between two pieces: the template is where its generator waits
        exc.where = _suspended_at(generator)
        raise
    finally:
        generator.close()
    chunks.append("".join(pieces))
    return "".join(chunks)


def _located(env, name, exc, message, where=None) -> ReportError:
    """The diagnostic of a template mistake, at the template line that made it when one did."""
    where = where if where and where[0] else _raised_at(exc.__traceback__)
    path, line = (env.display(where[0]), where[1]) if where else (f"templates/{name}", None)
    return ReportError([Diagnostic(path, line, None, message)])


def _raised_at(tb) -> tuple[str, int] | None:
    """(template file, line) of the innermost template frame in a traceback.

    A traceback Jinja rewrote has frames compiled at the template's line; one it did not (an
    exception that is not an `Exception`) has the generated code's frames, mapped back here.
    """
    found = None
    while tb is not None:
        frame = tb.tb_frame
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            found = (template.filename, template.get_corresponding_lineno(tb.tb_lineno))
        elif "__jinja_exception__" in frame.f_globals:
            found = (frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _limit_error(name: str, exc: BaseException, message: str, where=None) -> ReportError:
    """A time or memory limit's diagnostic, at the template line that was running when one was:
    `where` the watchdog saw, else where the template's generator waits, else the traceback's."""
    innermost, tb = None, exc.__traceback__
    while tb is not None:
        innermost = _frame_line(tb.tb_frame, tb.tb_lineno, tb.tb_lasti) or innermost
        tb = tb.tb_next
    path, line = where or getattr(exc, "where", None) or innermost or (f"templates/{name}", None)
    return ReportError([Diagnostic(path, line, None, f"template error: {message}")])


def _suspended_at(generator) -> tuple[str, int] | None:
    """(template file, line) where a template's generator is paused: the innermost include or block."""
    found = None
    while isinstance(generator, types.GeneratorType) and generator.gi_frame is not None:
        frame = generator.gi_frame
        found = _frame_line(frame, frame.f_lineno, frame.f_lasti) or found
        # `yield from` for blocks and `extends`; an include loops over the template's `gen`
        generator = generator.gi_yieldfrom or frame.f_locals.get("gen")
    return found


def _cut(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- the time and memory limits ------------------------------------------------------------------


def within_limits(name: str, render, *args):
    """`render(*args)` stopped once it passes the time or memory limit; a located ReportError then.

    Used for a document with the tables and charts rendered into it, and for every template:
    a render within a render keeps the outer limits rather than starting its own. Stopped
    outside a template (in the Markdown of an article, say, after a table used up the time),
    the error names `templates/NAME`.
    """
    if getattr(_LIMITED, "on", False):
        return render(*args)
    scope = _Scope()
    try:  # the alarm is armed and disarmed inside this `try`: wherever it goes off, it is caught
        scope.start()
        try:
            result = render(*args)
        finally:
            scope.stop()
        if scope.alarm is not None and scope.alarm.fired:  # went off as the render ended: its exception was cleared
            raise _TimeUp
        return result
    except _TimeUp as exc:
        scope.stop()
        raise _limit_error(name, exc, _time_message(), scope.alarm and scope.alarm.where) from None
    except MemoryError as exc:
        scope.stop()
        raise _limit_error(name, exc, _memory_message()) from None


_LIMITED = threading.local()


class _Scope:
    """The limits of one outermost render; `stop` may run twice (once cut short by the alarm)."""

    def __init__(self):
        self.alarm = None
        self.memory = False

    def start(self):
        _LIMITED.on = True
        _memory_limit.enter(MEMORY_HEADROOM)
        self.memory = True
        self.alarm = _Alarm(TIME_LIMIT_SECONDS)
        _watchdog().arm(self.alarm)  # last: nothing above can be cut short

    def stop(self):
        if self.alarm is not None:
            _watchdog().disarm(self.alarm)  # first: nothing below can be cut short
        if self.alarm is not None and self.alarm.fired:
            _ENVIRONMENTS.clear()  # stopped anywhere, perhaps inside Jinja's cache: start afresh
        if self.memory:
            _memory_limit.exit()
            self.memory = False
        _LIMITED.on = False


def _is_project_file(filename: str) -> bool:
    """Whether a template file is the project's (not one of the built-ins)."""
    return builtin_dir("templates") not in Path(filename).parents


class _TimeUp(BaseException):
    """Raised in a rendering thread that overran; a BaseException, so that no handler swallows it."""

    where: tuple[str, int] | None = None


class _Alarm:
    """When a thread's render must end; once fired, the template line the thread was at."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.thread = threading.get_ident()
        self.fired = False
        self.where: tuple[str, int] | None = None

    def __lt__(self, other: _Alarm) -> bool:
        return self.deadline < other.deadline


class _Watchdog:
    """One daemon thread per process that raises _TimeUp in each thread whose deadline passed.

    Arming costs a lock and a heap push: the thread is woken only when an alarm is due earlier
    than it would wake anyway, so renders one after another do not wake it.
    """

    def __init__(self):
        self.condition = threading.Condition()
        self.alarms: list[_Alarm] = []  # a heap
        self.wakes_at = float("inf")
        self.thread = threading.Thread(target=self._run, name="template-time-limit", daemon=True)
        self.thread.start()

    def arm(self, alarm: _Alarm) -> None:
        with self.condition:
            heapq.heappush(self.alarms, alarm)
            if alarm.deadline < self.wakes_at:
                self.condition.notify()

    def disarm(self, alarm: _Alarm) -> None:
        """Forget the alarm; if it went off, its exception, if not raised yet, will not be."""
        with self.condition:
            if alarm.fired:
                _raise_in(alarm.thread, None)
            elif alarm in self.alarms:
                self.alarms.remove(alarm)
                heapq.heapify(self.alarms)

    def _run(self):
        with self.condition:
            while True:
                now = time.monotonic()
                while self.alarms and self.alarms[0].deadline <= now:
                    alarm = heapq.heappop(self.alarms)
                    # where first: the exception is raised at the thread's next bytecode, and the
                    # frames it unwinds (an include's, a partial's) would be gone
                    alarm.where = _running_template(alarm.thread)
                    alarm.fired = True
                    _raise_in(alarm.thread, _TimeUp)
                self.wakes_at = self.alarms[0].deadline if self.alarms else float("inf")
                self.condition.wait(self.wakes_at - now if self.alarms else None)


def _running_template(thread_id: int) -> tuple[str, int] | None:
    """(template, line) that thread is running: its innermost template frame, or the include that
    frame is passing the output of. Never raises: the watchdog thread must not end."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        here = _frame_line(frame, frame.f_lineno, frame.f_lasti)
        if here is not None:
            try:
                return _suspended_at(frame.f_locals.get("gen")) or here
            except (AttributeError, TypeError, ValueError, RuntimeError):  # a frame changing as it is read
                return here
        frame = frame.f_back
    return None


def _frame_line(frame, lineno, lasti) -> tuple[str, int] | None:
    """(template as shown, template line) of a frame of one of our templates' code, else None."""
    template = frame.f_globals.get("__jinja_template__")
    if template is None or not template.filename or not isinstance(template.environment, _Sandbox):
        return None
    if lineno is None:  # a frame running between two lines (a loop's jump back): the line before
        lineno = next(
            (
                line
                for start, _end, line in reversed(list(frame.f_code.co_lines()))
                if start <= lasti and line is not None
            ),
            None,
        )
    if lineno is None:
        return None
    return template.environment.display(template.filename), template.get_corresponding_lineno(lineno)


def _raise_in(thread_id: int, exception) -> None:
    """Have `thread_id` raise `exception` at its next bytecode (None: forget a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), None if exception is None else ctypes.py_object(exception)
    )


_WATCHDOG: list[_Watchdog] = []


def _watchdog() -> _Watchdog:
    if not _WATCHDOG or not _WATCHDOG[0].thread.is_alive():
        _WATCHDOG[:] = [_Watchdog()]
    return _WATCHDOG[0]


class _memory_limit:
    """The address space may grow by `headroom` bytes at most while rendering (Linux's RLIMIT_AS).

    The limit is the process's: the first render to start sets it, the last to end restores it.
    """

    lock = threading.Lock()
    users = 0
    previous = None

    @classmethod
    def enter(cls, headroom: int) -> None:
        with cls.lock:
            cls.users += 1
            if cls.users == 1:
                cls.previous = _lower_address_space_limit(headroom)

    @classmethod
    def exit(cls) -> None:
        with cls.lock:
            cls.users -= 1
            if cls.users == 0 and cls.previous is not None:
                import resource

                resource.setrlimit(resource.RLIMIT_AS, cls.previous)
                cls.previous = None


def _lower_address_space_limit(headroom: int):
    """Set RLIMIT_AS to the address space in use plus `headroom`; the limits before, or None."""
    used = _address_space()
    if used is None:
        return None
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = used + headroom if hard == resource.RLIM_INFINITY else min(used + headroom, hard)
    if soft != resource.RLIM_INFINITY and soft <= wanted:
        return None
    resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    return soft, hard


def _address_space() -> int | None:
    """This process's address space in bytes, where the system tells (Linux: /proc/self/statm)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _after_fork():
    """A forked process has no watchdog thread and perhaps a copy of a lock taken: start afresh."""
    _WATCHDOG.clear()
    global _LIMITED
    _LIMITED = threading.local()
    if _memory_limit.previous is not None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, _memory_limit.previous)
    _memory_limit.lock = threading.Lock()
    _memory_limit.users = 0
    _memory_limit.previous = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


# -- CSS -----------------------------------------------------------------------------------------

_CSS_STRING_SPECIAL = re.compile(r"[\x00-\x1f\x7f\"'\\<>&\ud800-\udfff]")


def css_string(value) -> Markup:
    """Quote text as a CSS string that reads back as the same text, safe inside a <style> element.

    Escaped as CSSOM serialises strings (https://drafts.csswg.org/cssom/#serialize-a-string):
    `"` and `\\` with a backslash, control characters (newline, CR and form feed included) as
    code points; NUL and lone surrogates become U+FFFD, as CSS reads them. `'`, `<`, `>` and `&`
    are escaped too, so that `</style>` cannot end the element, in HTML or XHTML.
    """
    return Markup(f'"{_CSS_STRING_SPECIAL.sub(_css_escape, str(value))}"')


def _css_escape(match) -> str:
    char = match.group()
    if char == "\0" or "\ud800" <= char <= "\udfff":
        return "\ufffd"
    if char in '"\\':
        return "\\" + char
    return f"\\{ord(char):X} "


def css_ident(value) -> Markup:
    """Write text as a CSS identifier (a custom name such as a string-set's), escaped as CSSOM does."""
    text = str(value).replace("\0", "\ufffd")
    out = []
    for index, char in enumerate(text):
        if (
            "\x01" <= char <= "\x1f"
            or char == "\x7f"
            or (char.isdigit() and char.isascii() and (index == 0 or (index == 1 and text[0] == "-")))
        ):
            out.append(f"\\{ord(char):X} ")
        elif char.isascii() and not (char.isalnum() or char in "-_") or (index == 0 and text == "-"):
            out.append("\\" + char)
        else:
            out.append(char)
    return Markup("".join(out))


def style_text(css: str) -> Markup:
    """CSS to put inside a <style> element: `</` becomes `<\\/`, which CSS reads the same (in a
    string, a comment or a url() alike) and which cannot end the element."""
    return Markup(css.replace("</", "<\\/"))
