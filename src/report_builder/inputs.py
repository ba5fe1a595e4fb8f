"""Reading project files: UTF-8 text and YAML that remember where each value came from.

YAML is loaded safely and bounded: only plain data (text, numbers, dates, lists, mappings),
at most MAX_YAML_DEPTH levels deep, at most MAX_YAML_REPEATS values repeated through aliases
and merge keys (a "billion laughs" file stops at once), integers of at most
MAX_INTEGER_DIGITS digits. Each refusal is a located error at the node.
"""

from __future__ import annotations

import bisect
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from . import readlog
from .errors import Diagnostic, ReportError, shorten

MAX_INPUT_BYTES = 5 * 1024 * 1024
#: lists and mappings inside one another; libyaml stops at 1,000 and Python's stack soon after
MAX_YAML_DEPTH = 100
#: values an `*alias` or a `<<:` merge may repeat in one file, all uses together
MAX_YAML_REPEATS = 100_000
#: an integer's digits; Python refuses to print one of more than 4,300
MAX_INTEGER_DIGITS = 30

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
#: characters no edition can carry (XML 1.0 refuses them; in a PDF they are invisible): control
#: characters other than tab and newline, and, from YAML escapes, lone surrogates and non-characters
_UNPUBLISHABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SCALAR = (1, 0)  # a scalar's (values, levels)
_MERGE = "tag:yaml.org,2002:merge"
#: tags that build something other than text, numbers, dates, lists and mappings (or that
#: skip the bounds above): refused like every custom tag
_REFUSED_TAGS = (
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:omap",
    "tag:yaml.org,2002:pairs",
    "tag:yaml.org,2002:set",
)


class Located:
    """Mixin: `pos` is the (line, col) of the node, `key_pos`/`item_pos` of its children."""

    pos: tuple[int, int] | tuple[None, None] = (None, None)


class LocatedDict(dict, Located):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_pos: dict = {}
        self.value_pos: dict = {}


class LocatedList(list, Located):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_pos: list = []


class _Refused(yaml.constructor.ConstructorError):
    """Input the loader refuses (a tag, a bound); `exact` when its mark is where the problem is
    written (an alias's own position is lost in libyaml's node graph)."""

    def __init__(self, message, mark, exact=True):
        super().__init__(None, None, message, mark)
        self.exact = exact


def _position(mark, text: str, line_offset: int) -> tuple[int, int]:
    """(line, col) of a YAML mark, counting lines as the rest of the builder does: by "\n".

    YAML 1.1 also breaks lines at U+0085, U+2028 and U+2029, so its own line numbers can
    run ahead of the file's.
    """
    line_start = text.rfind("\n", 0, mark.index) + 1
    return text.count("\n", 0, mark.index) + 1 + line_offset, mark.index - line_start + 1


class _BoundedConstructor:
    """Construction shared by both loaders: located values, refused tags, the bounds."""

    #: the libyaml loader counts what aliases repeat while constructing; the Python one also
    #: knows where each alias is written (see _PythonLoader)
    alias_marks: dict = {}
    # the loader's own, from yaml.constructor.BaseConstructor, which this class is mixed into
    # (annotations only: at run time they are the loader's)
    yaml_constructors: dict
    constructed_objects: dict
    construct_object: Callable[..., Any]

    def start(self, text: str, line_offset: int) -> None:
        self.text, self.line_offset = text, line_offset
        # YAML's own line numbers are the file's unless it breaks lines where the file does not
        self.marks_are_lines = not ("\x85" in text or "\u2028" in text or "\u2029" in text)
        if not self.marks_are_lines:  # then count by "\n", with a table: counting per node was quadratic
            self.line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.depth = 0
        self.repeated = 0
        self.shapes: dict = {}  # list or mapping node → (values in it, levels in it), once built

    def where(self, node) -> tuple[int, int]:
        mark = node.start_mark
        if self.marks_are_lines:
            return mark.line + 1 + self.line_offset, mark.column + 1
        line = bisect.bisect_right(self.line_starts, mark.index)
        return line + self.line_offset, mark.index - self.line_starts[line - 1] + 1

    def child(self, parent, slot, node):
        """The value of `node` under `parent`, and its (values, levels); an alias is charged."""
        if node.__class__ is ScalarNode:
            tag = node.tag
            if tag == _STR:
                control = _UNPUBLISHABLE.search(node.value)
                if control is not None:
                    raise _Refused(_unpublishable(control.group()), node.start_mark)
                return node.value, _SCALAR
            construct = self.yaml_constructors.get(tag)  # a scalar needs none of construct_object's bookkeeping
            return (construct(self, node) if construct else self.construct_object(node)), _SCALAR
        shape = self.shapes.get(node)
        if shape is None:
            value = self.construct_object(node, deep=True)
            return value, self.shapes.get(node, _SCALAR)
        mark, exact = self.alias_marks.get((id(parent), slot), (parent.start_mark, False))
        self.repeated += shape[0]
        if self.repeated > MAX_YAML_REPEATS:
            raise _Refused(
                f"aliases and merge keys repeat more than {MAX_YAML_REPEATS:,} values; write the data without them",
                mark,
                exact,
            )
        if self.depth + shape[1] > MAX_YAML_DEPTH:
            raise _Refused(_too_deep(), mark, exact)
        return self.constructed_objects[node], shape

    def enter(self, node) -> None:
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise _Refused(_too_deep(), node.start_mark)

    def flatten_mapping(self, node, depth=0):
        """Merge keys (`<<: *base`) as PyYAML 6 merges them, each merged pair charged as repeated."""
        if self.depth + depth > MAX_YAML_DEPTH:
            raise _Refused(_too_deep(), node.start_mark)
        merge, seen, index = [], set(), 0
        while index < len(node.value):
            key_node, value_node = node.value[index]
            if key_node.tag != _MERGE:
                index += 1
                continue
            del node.value[index]
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise _Refused("'<<' merges a mapping or a list of mappings", source.start_mark)
                self.flatten_mapping(source, depth + 1)
                self.repeated += len(source.value)
                if self.repeated > MAX_YAML_REPEATS:
                    raise _Refused(
                        f"aliases and merge keys repeat more than {MAX_YAML_REPEATS:,} values; "
                        "write the data without them",
                        key_node.start_mark,
                    )
                for pair in source.value:
                    if id(pair[0].value) not in seen:
                        seen.add(id(pair[0].value))
                        merge.append(pair)
        if merge:
            node.value = merge + node.value


def _unpublishable(char: str) -> str:
    return f"character U+{ord(char):04X} cannot be published (no edition can carry a control character); remove it"


def _too_deep() -> str:
    return f"lists and mappings are nested more than {MAX_YAML_DEPTH} levels deep"


def _construct_mapping(loader, node):
    if not isinstance(node, MappingNode):
        raise _Refused(f"expected a mapping, found a {node.id}", node.start_mark)
    loader.enter(node)
    #: the keys written in this mapping (not merged in with `<<`, which they may override)
    written = {id(key_node) for key_node, _ in node.value if key_node.tag != _MERGE}
    loader.flatten_mapping(node)
    first_line: dict[Any, int] = {}
    result = LocatedDict()
    result.pos = loader.where(node)
    key_pos, value_pos = result.key_pos, result.value_pos
    size, height = 1, 0
    for key_node, value_node in node.value:
        if key_node.__class__ is not ScalarNode:
            raise _Refused("a mapping key must be a plain value", key_node.start_mark)
        key = key_node.value if key_node.tag == _STR else loader.construct_object(key_node)
        try:
            hash(key)
        except TypeError:
            raise _Refused("a mapping key must be a plain value", key_node.start_mark) from None
        if id(key_node) in written:
            if key in first_line:  # YAML would keep the last value and lose the first, silently
                raise _Refused(f"duplicate key {shorten(key)} (first on line {first_line[key]})", key_node.start_mark)
            first_line[key] = loader.where(key_node)[0]
        value, (values, levels) = loader.child(node, id(key_node), value_node)
        result[key] = value
        key_pos[key] = loader.where(key_node)
        value_pos[key] = loader.where(value_node)
        size += 1 + values
        height = max(height, levels)
    loader.depth -= 1
    loader.shapes[node] = (size, height + 1)
    return result


def _construct_sequence(loader, node):
    if not isinstance(node, SequenceNode):
        raise _Refused(f"expected a list, found a {node.id}", node.start_mark)
    loader.enter(node)
    result = LocatedList()
    result.pos = loader.where(node)
    size, height = 1, 0
    for index, child in enumerate(node.value):
        value, (values, levels) = loader.child(node, index, child)
        result.append(value)
        size += values
        height = max(height, levels)
    result.item_pos = [loader.where(child) for child in node.value]
    loader.depth -= 1
    loader.shapes[node] = (size, height + 1)
    return result


def _construct_timestamp(loader, node):
    text = loader.construct_scalar(node)
    if yaml.SafeLoader.timestamp_regexp.match(text) is None:  # `!!timestamp soon`
        return text
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:  # 2025-13-01: keep the text, so the key's own check reports it where it is
        return text


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    if len(text) <= MAX_INTEGER_DIGITS and text.isdigit() and text.isascii() and (text[0] != "0" or len(text) == 1):
        return int(text)  # the common case; 012 is octal in YAML 1.1
    digits = sum(
        c.isalnum() for c in text.lower().lstrip("+-").removeprefix("0x").removeprefix("0b").removeprefix("0o")
    )
    if digits > MAX_INTEGER_DIGITS:  # never computed: Python cannot print it, and 1:1:1:… is 60 ** n
        raise _Refused(f"integer has {digits:,} digits; the limit is {MAX_INTEGER_DIGITS}", node.start_mark)
    value = _scalar(yaml.SafeLoader.construct_yaml_int, loader, node, "a whole number")
    if abs(value) >= 10**MAX_INTEGER_DIGITS:  # 0x and 30 hexadecimal digits, or 1:2:3:…
        raise _Refused(
            f"integer has more than {MAX_INTEGER_DIGITS} digits; the limit is {MAX_INTEGER_DIGITS}", node.start_mark
        )
    return value


class WrittenFloat(float):
    """A YAML float that remembers how it was written (`1.10`), so a figure keeps its decimals."""

    written: str = ""


_DECIMAL_LITERAL = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+")


def _construct_float(loader, node):
    value = _scalar(yaml.SafeLoader.construct_yaml_float, loader, node, "a number")
    text = node.value
    if isinstance(value, float) and _DECIMAL_LITERAL.fullmatch(text):
        value = WrittenFloat(value)
        value.written = text.replace("_", "")
    return value


def _scalar(construct, loader, node, kind):
    """A scalar an explicit tag claims to be of a kind (`!!float x`): refused when it is not."""
    try:
        return construct(loader, node)
    except (ValueError, KeyError):
        raise _Refused(f"{shorten(node.value)} is not {kind}", node.start_mark) from None


def _construct_refused(loader, node):
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise _Refused(
        f"YAML tag {shorten(tag)} is not allowed: write plain text, numbers, dates, lists and mappings", node.start_mark
    )


def _register(loader_class) -> None:
    add = loader_class.add_constructor
    add(None, _construct_refused)  # !!python/object and every other custom tag
    for tag in _REFUSED_TAGS:
        add(tag, _construct_refused)
    add("tag:yaml.org,2002:timestamp", _construct_timestamp)
    add("tag:yaml.org,2002:int", _construct_int)
    add("tag:yaml.org,2002:float", _construct_float)
    add(
        "tag:yaml.org,2002:bool",
        lambda loader, node: _scalar(yaml.SafeLoader.construct_yaml_bool, loader, node, "true or false"),
    )
    add(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    add(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _PythonLoader(_BoundedConstructor, yaml.SafeLoader):
    """PyYAML's own parser: full error messages, and the marks of aliases and deep nodes.

    Its composer recurses, so the depth is bounded while composing, before Python's stack is.
    """

    def start(self, text, line_offset):
        super().start(text, line_offset)
        self.alias_marks = {}  # (id(parent node), slot) → (mark of the alias written there, exact)
        self.compose_depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent) and parent is not None:
            slot = index if isinstance(parent, SequenceNode) else id(index)
            self.alias_marks.setdefault((id(parent), slot), (self.peek_event().start_mark, True))
        return super().compose_node(parent, index)

    def compose_sequence_node(self, anchor):
        return self._compose_nested(super().compose_sequence_node, anchor)

    def compose_mapping_node(self, anchor):
        return self._compose_nested(super().compose_mapping_node, anchor)

    def _compose_nested(self, compose, anchor):
        self.compose_depth += 1
        if self.compose_depth > MAX_YAML_DEPTH:
            raise _Refused(_too_deep(), self.peek_event().start_mark)
        try:
            return compose(anchor)
        finally:
            self.compose_depth -= 1


_register(_PythonLoader)
if hasattr(yaml, "CSafeLoader"):

    class _LibyamlLoader(_BoundedConstructor, yaml.CSafeLoader):
        """libyaml's parser and composer (PyYAML's wheels have it): several times the speed of
        Python's, with the same marks; its errors are terser, so errors are parsed again."""

    _register(_LibyamlLoader)
    _FastLoader: Any = _LibyamlLoader
else:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = _PythonLoader


def _load(loader_class, text: str, line_offset: int):
    loader = loader_class(text)
    loader.start(text, line_offset)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def parse_yaml(text: str, path: str, line_offset: int = 0):
    """Parse YAML safely and bounded; a syntax error or a refusal becomes a located ReportError."""
    try:
        return _load(_FastLoader, text, line_offset)
    except _Refused as exc:
        if exc.exact:
            raise _located(exc, text, path, line_offset) from None
        first = exc  # where an alias repeats too much: the Python parser knows where it is written
    except yaml.MarkedYAMLError as exc:
        first = None
        if exc.problem == "exceeded maximum nesting depth" and exc.problem_mark is not None:
            raise _located(_too_deep_at(exc.problem_mark, text), text, path, line_offset) from None
    except yaml.YAMLError:
        first = None
    try:
        data = _load(_PythonLoader, text, line_offset)
    except yaml.MarkedYAMLError as exc:
        raise _located(exc, text, path, line_offset) from None
    except yaml.YAMLError as exc:
        raise ReportError([Diagnostic(path, None, None, f"YAML error: {shorten(str(exc), 200)}")]) from None
    if first is not None:  # not refused again: report what libyaml's loader found, where it could
        raise _located(first, text, path, line_offset) from None
    return data


def _too_deep_at(mark, text: str) -> _Refused:
    """The refusal of the first level too deep in a text libyaml stopped reading at 1,000 levels.

    libyaml's events of what came before `mark` find it in a millisecond (Python's parser would
    take quadratic time over a file of brackets).
    """
    depth = 0
    try:
        for event in yaml.parse(text[: mark.index], Loader=_FastLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return _Refused(_too_deep(), event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # the text ends inside the nesting: the level too deep came before, or is `mark`
    return _Refused(_too_deep(), mark)


def _located(exc, text, path, line_offset) -> ReportError:
    mark = exc.problem_mark or exc.context_mark
    line, col = _position(mark, text, line_offset) if mark else (None, None)
    problem = exc.problem or exc.context or "invalid YAML"
    message = problem if isinstance(exc, _Refused) else f"YAML syntax error: {problem}"
    return ReportError([Diagnostic(path, line, col, message)])


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path names a directory, FIFO, device or socket: reading it could block or never end."""

    def __init__(self, kind: str):
        super().__init__(f"it is {kind}, not a regular file")
        self.kind = kind


def not_regular(file: Path) -> str | None:
    """What `file` is when it exists but is not a regular file ("a FIFO (named pipe)", …), else None."""
    try:
        mode = file.stat().st_mode
    except OSError:
        return None
    return _kind(mode)


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def open_regular(file: Path):
    """A binary file object on a regular file, refusing anything else before a read could block.

    The file is opened non-blocking and checked again on the open descriptor, so a FIFO or device
    swapped in after the first check is refused too. Raises NotRegularFile or OSError.
    """
    kind = not_regular(file)
    if kind is not None:
        raise NotRegularFile(kind)
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        kind = _kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(kind)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(file: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file (see open_regular), at most `limit` of them or FileTooLarge."""
    with open_regular(file) as handle:
        if limit is None:
            return handle.read()
        size = os.fstat(handle.fileno()).st_size
        if size > limit:
            raise FileTooLarge(size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:  # it grew since
        raise FileTooLarge(len(data), limit)
    return data


class FileTooLarge(OSError):
    def __init__(self, size: int, limit: int):
        super().__init__(f"file is {size} bytes; the limit is {limit} bytes")
        self.size, self.limit = size, limit


def read_input(file: Path, display: str, inside: Path | None = None) -> bytes:
    """The bytes of a project input, refusing oversized and non-regular files; the same bytes for
    every reader in a build (readlog.py).

    With `inside` (a project root), a file that is, or links to, a file outside it is refused.
    """
    if inside is not None:
        resolved = file.resolve()
        if resolved != inside and inside not in resolved.parents:
            raise ReportError(
                [
                    Diagnostic(
                        display,
                        None,
                        None,
                        f"refused to read '{resolved}': it is outside the project; copy the file into the project",
                    )
                ]
            )
    try:
        return readlog.read_bytes(file, MAX_INPUT_BYTES)
    except NotRegularFile as exc:
        raise ReportError([Diagnostic(display, None, None, f"refused to read the file: {exc}")]) from None
    except FileTooLarge as exc:
        raise ReportError([Diagnostic(display, None, None, str(exc))]) from None
    except OSError as exc:
        raise ReportError([Diagnostic(display, None, None, f"cannot read file: {exc.strerror}")]) from None


def read_text(file: Path, display: str, inside: Path | None = None) -> str:
    """Read a UTF-8 text file (see read_input), reporting bad bytes with their line."""
    data = read_input(file, display, inside)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ReportError(
            [Diagnostic(display, line, col, f"invalid UTF-8 byte 0x{data[exc.start]:02x}; save the file as UTF-8")]
        ) from None
    # a lone CR ends a line for Markdown and YAML too: count lines the way they do
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    control = _UNPUBLISHABLE.search(text)
    if control is not None:
        start = control.start()
        raise ReportError(
            [
                Diagnostic(
                    display,
                    text.count("\n", 0, start) + 1,
                    start - (text.rfind("\n", 0, start) + 1) + 1,
                    _unpublishable(control.group()),
                )
            ]
        )
    return text
