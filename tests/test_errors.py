"""The error catalogue, as an editor meets it on the command line: each mistake is one
`path:line:col: error: message` line pointing into the file to fix, the build exits 1 without a
traceback, and the outputs of the last good build stay byte-identical.

Mistakes the loader tests already pin down (test_config, test_facts, test_content) appear here
only for the "previous outputs untouched" property, through the command line.
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
import zlib

import pytest

from conftest import copy_project

FORMATS = ["pdf", "html"] + (["epub"] if importlib.util.find_spec("report_builder.writers.epub") else [])

ARTICLE_TEMPLATE = """\
{# A project's own article template. #}
<article class="article" id="{{ item.article.id }}">
  <h1 class="article-title">{{ item.article.title }}</h1>
  {% if item.article.summary %}
  <p class="standfirst">{{ item.article.summary }}</p>
  {% endif %}
  <div class="article-body">
{{ item.body | safe }}
  </div>
</article>
"""


@pytest.fixture(scope="module")
def good_build(tmp_path_factory):
    """The minimal project built once in every available format, to be copied by each test."""
    from report_builder import build

    root = copy_project("minimal", tmp_path_factory.mktemp("errors") / "project")
    build(root, formats=FORMATS)
    return root


@pytest.fixture
def previous(good_build, tmp_path):
    """A copy of the good build, outputs and build state included, and the bytes of its outputs."""
    root = shutil.copytree(good_build, tmp_path / "project")
    before = outputs(root)
    assert sorted(before) == sorted(f"minimal.{fmt}" for fmt in FORMATS)
    return root, before


def outputs(root):
    return {path.name: path.read_bytes() for path in (root / "build").iterdir() if path.is_file()}


def build_all(run_cli, root, **kwargs):
    return run_cli("build", *FORMATS, "--quiet", "--project", root, **kwargs)


def append(path, text):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def png_header(width, height):
    """A PNG that is only a signature, an IHDR chunk and IEND: enough for a reader to know its size."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


# -- templates and stylesheets -----------------------------------------------------------------


def test_a_syntax_error_in_a_project_template_is_reported_at_the_template_line(previous, run_cli):
    root, before = previous
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(ARTICLE_TEMPLATE.replace("{% endif %}", "{% endfor %}"))
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "templates/article.html:6: error: template syntax error: Encountered unknown tag 'endfor'. "
        "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. "
        "The innermost block that needs to be closed is 'if'.\n",
        True,
    )


def test_an_undefined_variable_in_a_project_template_is_reported_at_the_template_line(previous, run_cli):
    root, before = previous
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(
        ARTICLE_TEMPLATE.replace("{{ item.article.summary }}", "{{ standfirst }}")
    )
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "templates/article.html:5: error: template error: 'standfirst' is undefined\n",
        True,
    )


def test_a_missing_attribute_in_a_project_template_names_the_object_by_its_type(previous, run_cli):
    root, _before = previous
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_text(
        ARTICLE_TEMPLATE.replace("{{ item.article.summary }}", "{{ item.article.standfirst }}")
    )
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr) == (
        1,
        "templates/article.html:5: error: template error: 'Article' has no attribute 'standfirst'\n",
    )


def test_css_a_project_stylesheet_gets_wrong_is_a_warning_at_its_file_and_line(previous, run_cli):
    root, _before = previous
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text(".cover {\n  colr: red;\n}\n.key-points { color: #zzz; }\n")
    result = run_cli("build", "pdf", "--quiet", "--project", root)  # the print stylesheets are checked
    assert (result.exit_code, result.stderr) == (
        0,
        (
            "styles/custom.css:2:3: warning: CSS: Ignored `colr: red`, unknown property\n"
            "styles/custom.css:4:15: warning: CSS: Ignored `color: #zzz`, invalid value\n"
        ),
    )


def test_a_css_parse_error_in_a_project_stylesheet_is_reported_once_at_its_file_and_line(previous, run_cli):
    root, _before = previous
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text("p { color: navy; }\nh2 color: navy;\n")
    result = run_cli("build", "pdf", "--quiet", "--project", root)
    assert (result.exit_code, result.stderr) == (
        0,
        "styles/custom.css:2:16: warning: CSS: Parse error: EOF reached before {} block for a qualified rule\n",
    )


def test_a_project_template_that_is_not_utf8_is_reported_at_its_line(previous, run_cli):
    root, before = previous
    (root / "templates").mkdir()
    (root / "templates" / "article.html").write_bytes(ARTICLE_TEMPLATE.encode().replace(b"<article", b"<article\xe9"))
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "templates/article.html:2:9: error: invalid UTF-8 byte 0xe9; save the file as UTF-8\n",
        True,
    )


def test_a_project_stylesheet_that_is_not_utf8_is_reported_at_its_line(previous, run_cli):
    root, before = previous
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_bytes(b"p { color: navy; }\n/* caf\xe9 */\n")
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "styles/custom.css:2:7: error: invalid UTF-8 byte 0xe9; save the file as UTF-8\n",
        True,
    )


def test_css_that_crashes_weasyprint_is_reported_at_its_stylesheet(previous, run_cli):
    root, before = previous
    (root / "styles").mkdir()
    (root / "styles" / "custom.css").write_text(".cover {\n  width: calc(1px + );\n}\n")
    result = run_cli("build", "pdf", "--quiet", "--project", root)
    assert (result.exit_code, result.stderr.startswith("styles/custom.css"), outputs(root) == before) == (1, True, True)


# -- content -----------------------------------------------------------------------------------


def test_an_unknown_fact_table_in_a_chart_suggests_the_closest_name(previous, run_cli):
    root, before = previous
    replace(root / "content" / "only.md", "```{facts} basic", "```{chart} basics")
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "content/only.md:37:12: error: unknown fact table 'basics'; did you mean 'basic'?\n",
        True,
    )


def test_a_content_file_over_the_size_limit_is_refused_with_its_size(previous, run_cli):
    root, before = previous
    article = root / "content" / "only.md"
    article.write_bytes(article.read_bytes() + b"filler line\n" * 500_000)  # 6 MB of Markdown
    size = article.stat().st_size
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        f"content/only.md: error: file is {size} bytes; the limit is 5242880 bytes\n",
        True,
    )


def test_an_image_over_the_pixel_limit_is_refused_from_its_header(previous, run_cli):
    root, before = previous
    (root / "content" / "images").mkdir()
    (root / "content" / "images" / "map.png").write_bytes(png_header(20_000, 20_000))
    append(root / "content" / "only.md", "\n![A map of the town](images/map.png)\n")
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "content/only.md:42:1: error: image 'images/map.png' has 400,000,000 pixels; the limit is 50,000,000\n",
        True,
    )


def test_an_image_that_is_not_an_image_is_refused_as_unreadable(previous, run_cli):
    root, _before = previous
    (root / "content" / "images").mkdir()
    (root / "content" / "images" / "map.png").write_bytes(b"not a picture\n")
    append(root / "content" / "only.md", "\n![A map of the town](images/map.png)\n")
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/only.md:42:1: error: image 'images/map.png' cannot be read as a PNG image\n",
    )


def test_a_layout_over_the_time_limit_stops_with_a_clean_error(previous, run_cli):
    root, before = previous
    append(root / "content" / "only.md", "\n```{facts} basic\n```\n" * 100)  # several seconds of layout
    result = run_cli("build", "pdf", "--quiet", "--project", root, env={"REPORT_BUILDER_TIME_LIMIT": "1"})
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "build: error: the build took longer than 1 s and was stopped; set REPORT_BUILDER_TIME_LIMIT to the "
        "seconds a build may take (0 for no limit)\n",
        True,
    )


def test_a_footnote_citing_a_footnote_is_refused_at_the_citation(project, run_cli):
    root = project("minimal")
    replace(root / "content" / "only.md", "using paper forms.", "using paper forms, as the first count did.[^1]")
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/only.md:40:106: error: footnote [^1] is cited inside a footnote; footnotes cannot nest\n",
    )


@pytest.mark.parametrize("separator", [" ", "\u2028"])
def test_lines_after_a_yaml_line_separator_are_counted_as_in_the_file(project, run_cli, separator):
    root = project("minimal")
    replace(root / "content" / "only.md", "title: A Town Takes Stock", f'title: "A Town{separator}Takes Stock"')
    replace(root / "content" / "only.md", "key_points:", "key_points: [")
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/only.md:5:3: error: YAML syntax error: expected the node content, but found '-'\n",
    )


def test_a_lone_carriage_return_ends_a_line_in_reported_positions(project, run_cli):
    root = project("minimal")
    article = root / "content" / "only.md"
    article.write_bytes(article.read_bytes().replace(b"\n", b"\r").replace(b"basic.shelters", b"basic.shelter"))
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr) == (
        1,
        "content/only.md:29:16: error: fact table 'basic' has no row 'shelter'; did you mean 'shelters'?\n",
    )


# -- every problem of a run at once ------------------------------------------------------------

SECOND_ARTICLE = "---\nsummary: A second article that forgot its title.\n---\n\nSome text.\n"
BROKEN_TABLE = "columns:\n  - {key: label}\n  - {key: value, type: number}\nrows:\n  - {id: a, label: A, value: many}\n"
THREE_PROBLEMS = (
    "content/facts/extra.yaml:5:30: error: column 'value' (number): expected a number, not 'many'\n"
    "content/only.md:42:1: error: image 'images/none.png' not found\n"
    "content/second.md:1:1: error: the article has no title; add 'title: …' to its front matter or start it with '# Title'\n"
)


def break_three_files(root):
    replace(root / "report.yaml", "  - only.md\n", "  - only.md\n  - second.md\n")
    append(root / "content" / "only.md", "\n![A photograph of the square](images/none.png)\n")
    (root / "content" / "second.md").write_text(SECOND_ARTICLE)
    (root / "content" / "facts" / "extra.yaml").write_text(BROKEN_TABLE)


def test_independent_problems_in_three_files_are_reported_together_in_file_order(previous, run_cli):
    root, before = previous
    break_three_files(root)
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (1, THREE_PROBLEMS, True)


def test_check_lists_the_same_problems_and_writes_nothing(project, run_cli):
    root = project("minimal")
    break_three_files(root)
    result = run_cli("check", "--project", root)
    assert (result.exit_code, result.stderr, (root / "build").exists()) == (1, THREE_PROBLEMS, False)


# -- loader mistakes leave the previous outputs alone ------------------------------------------

LOADER_MISTAKES = {
    "yaml-syntax-in-front-matter": (
        "content/only.md",
        "title: A Town Takes Stock",
        "title: A Town: Takes Stock",
        "content/only.md:2:14: error: YAML syntax error: mapping values are not allowed here; a value that "
        "contains ': ' must be quoted: title: \"A Town: Takes Stock\"\n",
    ),
    "misspelt-key-in-report-yaml": (
        "report.yaml",
        "marking:",
        "markings:",
        "report.yaml:5:1: error: unknown key 'markings'; did you mean 'marking'?\n",
    ),
    "article-listed-but-missing": (
        "report.yaml",
        "  - only.md",
        "  - onyl.md",
        "report.yaml:10:5: error: article 'content/onyl.md' not found\n",
    ),
    "duplicate-row-id": (
        "content/facts/basic.yaml",
        "{id: volunteers,",
        "{id: shelters,",
        "content/facts/basic.yaml:12:10: error: duplicate row id 'shelters' (first used on line 11)\n",
    ),
}


@pytest.mark.parametrize("mistake", LOADER_MISTAKES)
def test_a_loader_mistake_leaves_the_previous_outputs_byte_identical(previous, run_cli, mistake):
    root, before = previous
    name, old, new, message = LOADER_MISTAKES[mistake]
    replace(root / name, old, new)
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (1, message, True)


def test_bytes_that_are_not_utf8_leave_the_previous_outputs_byte_identical(previous, run_cli):
    root, before = previous
    article = root / "content" / "only.md"
    article.write_bytes(article.read_bytes().replace("“We expected".encode(), b"\x93We expected"))
    result = build_all(run_cli, root)
    assert (result.exit_code, result.stderr, outputs(root) == before) == (
        1,
        "content/only.md:20:3: error: invalid UTF-8 byte 0x93; save the file as UTF-8\n",
        True,
    )
