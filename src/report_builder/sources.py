"""Reading project files: UTF-8 text and YAML that remember where each value came from."""

from __future__ import annotations

from pathlib import Path

import yaml

from . import readlog
from .errors import Diagnostic, ReportError

MAX_INPUT_BYTES = 5 * 1024 * 1024
#: libyaml's parser when PyYAML was built with it (its wheels are): several times the pure-Python
#: speed, with the same marks; its error messages are terser, so errors are parsed again in Python
_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Located:
    """Mixin: `pos` is the (line, col) of the node, `key_pos`/`item_pos` of its children."""

    pos: tuple[int, int] = (None, None)


class LocatedDict(dict, Located):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_pos: dict = {}
        self.value_pos: dict = {}


class LocatedList(list, Located):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.item_pos: list = []


def _position(mark, text: str, line_offset: int) -> tuple[int, int]:
    """(line, col) of a YAML mark, counting lines as the rest of the builder does: by "\n".

    YAML 1.1 also breaks lines at U+0085, U+2028 and U+2029, so its own line numbers can
    run ahead of the file's.
    """
    line_start = text.rfind("\n", 0, mark.index) + 1
    return text.count("\n", 0, mark.index) + 1 + line_offset, mark.index - line_start + 1


def _make_loader(line_offset: int, text: str, base=yaml.SafeLoader):
    def _mark(node):
        return _position(node.start_mark, text, line_offset)

    class _Loader(base):
        pass

    def construct_mapping(loader, node):
        loader.flatten_mapping(node)
        result = LocatedDict()
        result.pos = _mark(node)
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a plain value", key_node.start_mark)
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_pos[key] = _mark(key_node)
            result.value_pos[key] = _mark(value_node)
        return result

    def construct_sequence(loader, node):
        result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
        result.pos = _mark(node)
        result.item_pos = [_mark(child) for child in node.value]
        return result

    def construct_timestamp(loader, node):
        try:
            return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
        except ValueError:  # 2025-13-01: keep the text, so the key's own check reports it where it is
            return loader.construct_scalar(node)

    _Loader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)

    def construct_unknown_tag(loader, node):
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _RefusedTag(None, None, f"YAML tag '{tag}' is not allowed: write plain text, numbers, dates, "
                                      "lists and mappings", node.start_mark)

    _Loader.add_constructor(None, construct_unknown_tag)  # !!python/object and every other custom tag
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    return _Loader


class _RefusedTag(yaml.constructor.ConstructorError):
    """A tag that would build something other than plain data; never constructed."""


def parse_yaml(text: str, path: str, line_offset: int = 0):
    """Parse YAML safely; a syntax error becomes a located ReportError."""
    try:
        return yaml.load(text, Loader=_make_loader(line_offset, text, _FastLoader))  # noqa: S506 - safe loader
    except yaml.YAMLError:
        pass
    try:
        return yaml.load(text, Loader=_make_loader(line_offset, text))  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _position(mark, text, line_offset) if mark else (None, None)
        problem = exc.problem or exc.context or "invalid YAML"
        message = problem if isinstance(exc, _RefusedTag) else f"YAML syntax error: {problem}"
        raise ReportError([Diagnostic(path, line, col, message)]) from None
    except yaml.YAMLError as exc:
        raise ReportError([Diagnostic(path, None, None, f"YAML error: {exc}")]) from None


def read_text(file: Path, display: str, inside: Path | None = None) -> str:
    """Read a UTF-8 text file, refusing oversized files and reporting bad bytes with their line.

    With `inside` (a project root), a file that is, or links to, a file outside it is refused.
    """
    if inside is not None:
        resolved = file.resolve()
        if resolved != inside and inside not in resolved.parents:
            raise ReportError([Diagnostic(display, None, None, f"refused to read '{resolved}': it is outside the "
                                                               "project; copy the file into the project")])
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise ReportError([Diagnostic(display, None, None, f"cannot read file: {exc.strerror}")]) from None
    if size > MAX_INPUT_BYTES:
        raise ReportError([Diagnostic(
            display, None, None,
            f"file is {size} bytes; the limit is {MAX_INPUT_BYTES} bytes")])
    data = readlog.read_bytes(file)  # the same bytes for every reader in a build
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ReportError([Diagnostic(
            display, line, col,
            f"invalid UTF-8 byte 0x{data[exc.start]:02x}; save the file as UTF-8")]) from None
    # a lone CR ends a line for Markdown and YAML too: count lines the way they do
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
