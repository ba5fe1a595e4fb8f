"""Property: whatever an editor types, loading either succeeds (and the HTML renders) or fails
with located diagnostics: a ReportError, never any other exception.

Random Markdown bodies, front matter and fact-table YAML are written into a small project and
loaded with `load_publication`; what loads is rendered to the print and web HTML (no layout).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from report_builder.build import load_publication
from report_builder.errors import ReportError
from report_builder.project import load_project
from report_builder.render import render_document

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

REPORT = "title: Fuzz\nlanguage: en-GB\ndate: 2024-03-01\narticles:\n  - a.md\n"
NUMBERS = """\
title: Numbers
columns:
  - {key: label, title: Measure}
  - {key: value, title: Figure, type: number}
  - {key: span, title: Span, type: range, unit: km}
rows:
  - {id: people, label: People, value: 1200, qualifier: about, span: [6, 8]}
  - {id: shelters, label: Shelters, value: 14}
"""
SQUARE_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>\n'
FRONT = "---\ntitle: A\n---\n\n"

# -- Markdown ----------------------------------------------------------------------------------

words = st.sampled_from(
    [
        "town",
        "Пoкровськ",
        "Αθήνα",
        "x",
        "",
        " ",
        "*",
        "_",
        "`",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "<",
        ">",
        "&",
        "—",
        "\\",
        "|",
        ":",
        "#",
        "!",
        "^",
        "~",
        "\t",
        "numbers",
        "people",
        "value",
        "span",
        "label",
        "nope",
        "a.b",
        "..",
        "/",
        "%20",
        "é",
        "\u200b",
        "\ufeff",
    ]
)
text = st.lists(words, max_size=8).map(" ".join) | st.text(max_size=30)
names = st.sampled_from(["numbers", "number", "nope", "", "a b", "numbers.people", "{facts}", "../numbers"])
rows = st.sampled_from(["people", "shelters", "nope", "", "People"])
columns = st.sampled_from(["value", "span", "label", "id", "qualifier", "nope", ""])
addresses = st.sampled_from(
    [
        "images/square.svg",
        "images/none.png",
        "../../etc/passwd",
        "/etc/passwd",
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.png",
        "data:image/png;base64,AAAA",
        "javascript:alert(1)",
        "images/",
        "",
        "images/square.svg#frag",
        "images/square%20.svg",
        "<images/square.svg>",
        "images/square.svg?x=1",
    ]
)

fact_role = st.builds(
    lambda t, r, c, sep: "{fact}`" + sep.join(p for p in (t, r, c) if p is not None) + "`",
    names,
    rows,
    st.none() | columns,
    st.sampled_from([".", "..", " . "]),
)
image = st.builds(
    lambda alt, src, title: f"![{alt}]({src}{title})",
    text,
    addresses,
    st.sampled_from(["", ' "A caption"', " 'x'", ' "']),
) | st.builds(lambda alt, src: f"![{alt}][{src}]", text, addresses)
link = st.builds(
    lambda label, href: f"[{label}]({href})",
    text,
    addresses
    | st.sampled_from(["https://example.org", "mailto:a@b.c", "#only", "JaVaScRiPt:x", "vbscript:x", "tel:1"]),
)
option = (
    st.builds(
        lambda k, v: f":{k}: {v}",
        st.sampled_from(["type", "x", "y", "title", "colour", ""]),
        st.sampled_from(["bar", "pie", "label", "value", "span", "", "people"]),
    )
    | text
)
directive = st.builds(
    lambda kind, name, options, close: f"```{kind} {name}\n" + "\n".join(options) + close,
    st.sampled_from(["{facts}", "{chart}", "{fact}", "{}", "{facts", "python", ""]),
    names,
    st.lists(option, max_size=4),
    st.sampled_from(["\n```", "", "\n````"]),
)
footnote = st.sampled_from(
    [
        "[^1]",
        "[^note]",
        "[^]",
        "[^1]: A note.",
        "[^note]: Another with {fact}`numbers.people`",
        "[^x]:",
        "[^1]: ![a](images/square.svg)",
    ]
)
heading = st.builds(
    lambda level, body, attrs: "#" * level + " " + body + attrs,
    st.integers(1, 7),
    text,
    st.sampled_from(["", " {#id}", " {#}", " {.c}", " {#only}", " {"]),
)
html = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<div onclick='x()'>a</div>",
        "<b>bold</b>",
        "</div>",
        "<!-- c -->",
        "<iframe src=x>",
        "<a href='javascript:x'>j</a>",
        "<img src=x onerror=y>",
        "<svg><script>x</script>",
        "<details ontoggle=x>",
        "<",
        "<p",
        "<![CDATA[x]]>",
        "<?php x ?>",
        "<style>p{}</style>",
        "<form><input>",
    ]
)
block = st.sampled_from(
    [
        "> quote",
        ">",
        "> — Someone",
        "- item",
        "1. item",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "---",
        "***",
        "    code",
        "```",
        "~~~",
        "\n",
        "{#id}",
        "{.class}",
        "[ref]: images/square.svg",
    ]
)
inline = st.lists(text | fact_role | image | link | footnote | html, min_size=1, max_size=4).map(" ".join)
markdown_line = inline | directive | heading | block | html | footnote
markdown = st.lists(markdown_line, max_size=12).map("\n".join)

# -- YAML ----------------------------------------------------------------------------------------

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.dates()
    | st.sampled_from(["2024-13-01", "[6, 8]", "6-8", "1:2", "lots"])
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8) | st.integers(0, 3), children, max_size=3)
    ),
    max_leaves=8,
)
front_keys = st.sampled_from(
    ["title", "subtitle", "byline", "dateline", "date", "summary", "key_points", "lang", "sumary", "tags"]
)
front_matter = st.dictionaries(front_keys, values, max_size=6)
yaml_noise = st.lists(
    st.sampled_from(
        [
            "a: b",
            "a: [",
            "- x",
            "  - y",
            "? z",
            "&a x",
            "*a",
            "!!python/object:os.system x",
            "!!binary x",
            "key: !custom y",
            "\t",
            ":",
            "---",
            "...",
            "%YAML 1.1",
            "title: A: B",
            "'",
            '"',
            "a: |",
            "  text",
            "<<: *a",
            "{",
            "}",
            # bounded YAML: aliases, merges, depth, integers, tags of every kind
            "a: &a [1, 2]",
            "b: &b [*a, *a, *a]",
            "c: [*b, *b, *b, *b]",
            "d: &d {k: 1}",
            "e: {<<: *d, k: 2}",
            "f: {<<: [*d, *d]}",
            "g: &g [*g]",
            "h: " + "[" * 120,
            "i: " + "[" * 99 + "]" * 99,
            "j: " + "9" * 31,
            "k: 0x" + "f" * 40,
            "l: 1:2:3",
            "m: !!seq x",
            "n: !!map x",
            "o: !!float x",
            "p: !!bool x",
            "q: !!omap [a]",
            "r: !!set {a}",
            "s: !!timestamp x",
            "t: .nan",
            "u: -.inf",
            "v: ~",
        ]
    ),
    max_size=8,
).map("\n".join)

column_spec = st.fixed_dictionaries(
    {},
    optional={
        "key": st.sampled_from(["label", "value", "span", "id", "note", "", "x y"]) | values,
        "title": values,
        "type": st.sampled_from(["text", "number", "percent", "date", "range", "ratio", "nope"]) | values,
        "unit": values,
        "colour": values,
    },
)
row_spec = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["a", "b", "a", "A", "", "x y"]) | values,
        "label": values,
        "value": values,
        "span": values,
        "qualifier": values,
        "unit": values,
        "type": values,
        "source": values,
        "note": values,
        "extra": values,
    },
)
report_spec = st.fixed_dictionaries(
    {"title": values | text, "articles": st.just(["a.md"]) | values},
    optional={
        "subtitle": values,
        "slug": values | text,
        "authors": values,
        "publisher": values,
        "language": values | st.sampled_from(["en-GB", "uk", "xx", "en_GB", ""]),
        "date": values,
        "identifier": values,
        "marking": values,
        "keywords": values,
        "description": values,
        "formats": values | st.lists(st.sampled_from(["pdf", "epub", "html", "x"])),
        "pdf": values
        | st.fixed_dictionaries(
            {},
            optional={
                "page_size": values | st.sampled_from(["A4", "Letter"]),
                "duplex": values,
                "variant": values | st.sampled_from(["pdf/ua-1", "pdf/a-3b", "pdf/ua"]),
                "toc": values,
                "tok": values,
            },
        ),
        "epub": values
        | st.fixed_dictionaries(
            {},
            optional={
                "cover": values
                | st.sampled_from(
                    [
                        "content/images/square.svg",
                        "content/images/none.png",
                        "../x.png",
                        "/etc/passwd",
                        "content/a.md",
                        "",
                    ]
                ),
                "split_level": values,
                "conforms_to": values,
                "cover_image": values,
            },
        ),
        "html": values,
        "accessibility": values,
        "allow_remote_images": values,
        "raw_html": values,
        "colour": values,
    },
)
table_spec = st.fixed_dictionaries(
    {},
    optional={
        "title": values,
        "as_of": values,
        "source": values,
        "note": values,
        "colour": values,
        "columns": st.lists(column_spec, max_size=4) | values,
        "rows": st.lists(row_spec, max_size=5) | values,
    },
)


def dump(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


# -- the property ----------------------------------------------------------------------------------


def load_and_render(files: dict[str, str | bytes]) -> None:
    """Load a project made of `files`; it loads and renders, or fails with located diagnostics."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        files = {
            "report.yaml": REPORT,
            "content/facts/numbers.yaml": NUMBERS,
            "content/images/square.svg": SQUARE_SVG,
            **files,
        }
        for name, data in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        project = load_project(root)
        try:
            publication = load_publication(project)
        except ReportError as exc:
            assert_located(exc, files)
            return
        for target in ("pdf", "html"):
            render_document(publication, project, target)


def assert_located(exc: ReportError, files: dict[str, str | bytes]) -> None:
    assert exc.diagnostics, "a ReportError without diagnostics"
    for diagnostic in exc.diagnostics:
        assert diagnostic.path in files, f"{diagnostic} names a file that is not in the project"
        data = files[diagnostic.path]
        data = data if isinstance(data, bytes) else data.encode("utf-8")
        lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1  # CR ends a line too
        if diagnostic.line is None:
            assert diagnostic.path == "report.yaml", f"{diagnostic} has no line"
        else:
            assert 1 <= diagnostic.line <= lines, f"{diagnostic} points past the end of the file"
        assert diagnostic.col is None or diagnostic.col >= 1, f"{diagnostic} has column {diagnostic.col}"


@SETTINGS
@given(body=markdown)
def test_any_markdown_body_loads_or_fails_with_located_errors(body):
    load_and_render({"content/a.md": FRONT + body})


@SETTINGS
@given(
    front=front_matter | yaml_noise.map(lambda noise: noise),
    body=markdown,
    fence=st.sampled_from(["---\n{front}---\n\n{body}", "---\n{front}\n...\n{body}", "---\n{front}", "{front}"]),
)
def test_any_front_matter_loads_or_fails_with_located_errors(front, body, fence):
    front_text = dump(front) if isinstance(front, dict) else front + "\n"
    load_and_render({"content/a.md": fence.format(front=front_text, body=body)})


@SETTINGS
@given(table=table_spec.map(dump) | yaml_noise | values.map(dump), uses=st.lists(fact_role | directive, max_size=4))
def test_any_fact_table_yaml_loads_or_fails_with_located_errors(table, uses):
    body = "\n\n".join(use.replace("numbers", "fuzz") for use in uses)
    load_and_render({"content/facts/fuzz.yaml": table, "content/a.md": FRONT + body + "\n"})


@SETTINGS
@given(report=report_spec.map(dump) | yaml_noise.map(lambda noise: REPORT + noise))
def test_any_report_yaml_loads_or_fails_with_located_errors(report):
    load_and_render({"report.yaml": report, "content/a.md": FRONT + "Text.\n"})
