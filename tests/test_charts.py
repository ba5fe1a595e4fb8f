"""Charts: every type from the `charts` fixture (German locale), read back from the real outputs.

The SVG is read as a browser would place it: each element's position is its own coordinates
plus the translations of its ancestors, so bars can be compared with the zero line.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from lxml import etree, html

from report_builder import build, charts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def outputs(built):
    return built("charts")


@pytest.fixture(scope="module")
def page(outputs):
    return html.fromstring(outputs.html.read_bytes())


def figure(page, ident: str):
    return page.xpath(f"//figure[@id='{ident}']")[0]


def drawing(page, ident: str, variant: str = "chart-wide"):
    svg = figure(page, ident).xpath(f".//div[contains(@class, '{variant}')]/*[local-name()='svg']")[0]
    return etree.fromstring(etree.tostring(svg))


def svg_texts(svg) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.text]


def offset(element) -> tuple[float, float]:
    """The sum of the translations of `element` and its ancestors."""
    x = y = 0.0
    while element is not None:
        match = re.match(r"translate\(([-\d.e]+),\s*([-\d.e]+)\)", element.get("transform") or "")
        if match:
            x, y = x + float(match.group(1)), y + float(match.group(2))
        element = element.getparent()
    return x, y


def bars(svg) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of each bar, in drawing order (Vega writes them as M x,y h w v h h -w Z)."""
    found = []
    for path in svg.iter(f"{SVG}path"):
        if not re.search(r"\bchart-f\d\b", path.get("class") or ""):
            continue
        if any("role-legend" in (g.get("class") or "") for g in path.iterancestors()):
            continue
        match = re.fullmatch(r"M([-\d.e]+),([-\d.e]+)h([-\d.e]+)v([-\d.e]+)h[-\d.e]+Z", path.get("d") or "")
        if match:
            dx, dy = offset(path)
            x, y, w, h = (float(v) for v in match.groups())
            left, right = sorted((x + dx, x + w + dx))
            top, bottom = sorted((y + dy, y + h + dy))
            found.append((left, top, right, bottom))
    return found


def zero_line(svg) -> tuple[float, float, float, float]:
    """(x1, y1, x2, y2) of the zero rule, the one line drawn at 80 % of the text colour."""
    (line,) = [el for el in svg.iter(f"{SVG}line") if el.get("stroke-opacity") == "0.8"]
    dx, dy = offset(line)
    x1, y1 = float(line.get("x1", 0)) + dx, float(line.get("y1", 0)) + dy
    return x1, y1, float(line.get("x2", 0)) + dx, float(line.get("y2", 0)) + dy


# -- what is drawn ---------------------------------------------------------------------------------


def test_every_chart_of_the_fixture_is_a_figure_of_its_type(page):
    types = [f.get("class") for f in page.xpath("//figure[contains(@class, 'chart ')]")]
    assert types == [
        "chart chart-bar",
        "chart chart-column",
        "chart chart-column",
        "chart chart-bar",
        "chart chart-column",
        "chart chart-line",
        "chart chart-area",
        "chart chart-line",
    ]


def test_several_charts_of_one_table_get_distinct_ids(page):
    assert [f.get("id") for f in page.xpath("//figure[contains(@class, 'chart ')]")][:4] == [
        "chart-balance",
        "chart-balance-2",
        "chart-balance-3",
        "chart-balance-4",
    ]
    ids = page.xpath("//@id")
    assert len(ids) == len(set(ids))


def test_bar_labels_are_the_tables_figures_in_the_publications_locale(page):
    texts = svg_texts(drawing(page, "chart-balance"))
    assert texts == ["Nord", "Ost", "Süd", "West", "Mitte", "1.400", "-2.350,5", "320", "-90"]


def test_axis_labels_use_german_group_marks_and_month_names(page):
    columns = svg_texts(drawing(page, "chart-balance-3"))
    assert {"1.000", "2.000", "5.000", "Exports", "Imports"} <= set(columns)
    weekly = svg_texts(drawing(page, "chart-weekly"))
    assert {"Okt 2022", "Jan 2023", "Apr 2024", "1.000", "1.500"} <= set(weekly)


def test_percent_values_are_labelled_as_percentages(page):
    texts = svg_texts(drawing(page, "chart-shares"))
    assert {"0%", "10%", "30%", "2020", "2024", "Alpha", "Gamma"} <= set(texts)


def test_negative_bars_lie_left_of_the_zero_line_and_positive_ones_right_of_it(page):
    svg = drawing(page, "chart-balance")
    x1, _y1, x2, _y2 = zero_line(svg)
    assert x1 == x2
    drawn = bars(svg)
    assert len(drawn) == 4  # Mitte has no balance: a gap, not a zero bar
    values = [1400, -2350.5, 320, -90]
    for (left, _top, right, _bottom), value in zip(drawn, values):
        if value < 0:
            assert right == pytest.approx(x1, abs=0.6) and left < x1 - 1
        else:
            assert left == pytest.approx(x1, abs=0.6) and right > x1 + 1
    widths = [right - left for left, _t, right, _b in drawn]
    assert widths[1] / widths[0] == pytest.approx(2350.5 / 1400, rel=0.02)


def test_negative_columns_hang_below_the_zero_line_in_sorted_order(page):
    svg = drawing(page, "chart-balance-2")
    _x1, y1, _x2, y2 = zero_line(svg)
    assert y1 == y2
    drawn = bars(svg)
    assert [round(b[0]) for b in drawn] == sorted(round(b[0]) for b in drawn)  # Nord, Süd, West, Ost: desc
    tops_and_bottoms = [(top, bottom) for _l, top, _r, bottom in drawn]
    assert tops_and_bottoms[0][1] == pytest.approx(y1, abs=0.6) and tops_and_bottoms[0][0] < y1
    assert tops_and_bottoms[3][0] == pytest.approx(y1, abs=0.6) and tops_and_bottoms[3][1] > y1
    assert svg_texts(svg)[:5] == ["Nord", "Süd", "West", "Ost", "Mitte"]


def test_stacked_bars_start_where_the_previous_series_ends(page):
    drawn = bars(drawing(page, "chart-balance-4"))
    exports, imports = drawn[0], drawn[1]  # Nord's exports, then Nord's imports
    assert imports[0] == pytest.approx(exports[2], abs=0.6)


def test_side_by_side_columns_of_two_series_do_not_overlap(page):
    drawn = bars(drawing(page, "chart-balance-3"))
    assert len(drawn) == 9  # five exports, four imports (Mitte's is empty)
    nord_exports, nord_imports = drawn[0], drawn[1]
    assert nord_imports[0] >= nord_exports[2] - 0.1


def test_an_empty_cell_breaks_the_line_instead_of_dropping_to_zero(page):
    svg = drawing(page, "chart-weekly")
    (line,) = [p for p in svg.iter(f"{SVG}path") if "chart-l1" in (p.get("class") or "")]
    assert line.get("d").count("M") == 2  # weeks 41 and 42 have no figure
    assert line.get("d").count("L") == 120 - 2 - 2


def test_a_five_hundred_point_line_draws_every_point(page):
    svg = drawing(page, "chart-long")
    (line,) = [p for p in svg.iter(f"{SVG}path") if "chart-l1" in (p.get("class") or "")]
    assert line.get("d").count("L") == 499


def test_the_chart_is_an_image_named_by_its_title_and_described_by_its_figures(page):
    svg = drawing(page, "chart-balance")
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-balance-title chart-balance-desc"
    assert svg.find(f"{SVG}title").text == "Handelsbilanz nach Region"
    assert svg.find(f"{SVG}desc").text == "Nord: 1.400; Ost: -2.350,5; Süd: 320; West: -90; Mitte: –"


def test_the_charted_figures_are_also_a_table_screen_readers_reach(page):
    rows = figure(page, "chart-balance-3").xpath(".//details[@class='chart-data']//tr")
    cells = [[c.text_content() for c in row] for row in rows]
    assert cells[0] == ["Region", "Exports", "Imports"]
    assert cells[1:3] == [["Nord", "5.200", "3.800"], ["Ost", "1.200", "3.550,5"]]
    assert cells[5] == ["Mitte", "700", "–"]


def test_the_heading_unit_and_source_line_are_text_around_the_drawing(page):
    chart = figure(page, "chart-balance")
    assert chart.xpath("string(figcaption)") == "Handelsbilanz nach RegionMillionen Euro"
    source = " ".join(chart.xpath("string(p[@class='chart-source'])").split())
    assert source == "Ost hat das größte Defizit. Quelle: Test statistics office. Stand: 30. April 2024."  # de labels


def test_a_phone_drawing_has_labels_large_enough_at_a_phone_width(page):
    narrow = drawing(page, "chart-balance", "chart-narrow")
    width = float(narrow.get("width"))
    sizes = {float(t.get("font-size").removesuffix("px")) for t in narrow.iter(f"{SVG}text")}
    # shown 330 px wide in a 360 px phone's column: 0.8 × 16 px body text at least
    assert min(sizes) * min(1.0, 330 / width) >= 0.8 * 16


def test_chart_text_follows_the_page_colour(page):
    svg = drawing(page, "chart-weekly")
    assert {t.get("fill") for t in svg.iter(f"{SVG}text")} == {"currentColor"}
    assert not svg.xpath("//*[@fill='white' or @fill='#ffffff']")


# -- errors ----------------------------------------------------------------------------------------

TABLE = """title: Numbers
columns:
  - {key: label, title: Label}
  - {key: value, title: Value, type: number}
rows:
  - {id: a, label: A, value: 1}
  - {id: b, label: B, value: -2}
"""


def chart_errors(write_project, options: str, table: str = TABLE) -> list[str]:
    from report_builder.errors import ReportError

    root = write_project(
        {
            "content/a.md": f"---\ntitle: A\n---\n\n```{{chart}} nums\n{options}```\n",
            "content/facts/nums.yaml": table,
        }
    )
    with pytest.raises(ReportError) as caught:
        build(root, formats=["html"], jobs=1)
    return [str(d) for d in caught.value.diagnostics]


def test_an_unknown_chart_type_lists_the_valid_ones(write_project):
    assert chart_errors(write_project, ":type: pie\n") == [
        "content/a.md:6: error: unknown chart type 'pie' (expected one of: bar, column, line, area)"
    ]


def test_an_unknown_chart_option_suggests_the_closest(write_project):
    assert chart_errors(write_project, ":stacke: true\n") == [
        "content/a.md:6: error: unknown chart option ':stacke:'; did you mean 'stacked'?"
    ]


def test_an_unknown_highlight_row_is_located(write_project):
    assert chart_errors(write_project, ":highlight: c\n") == ["content/a.md:6: error: table 'nums' has no row 'c'"]


def test_too_many_bars_for_a_page_are_refused_with_the_way_out(write_project):
    rows = "".join(f"  - {{id: r{i}, label: R{i}, value: {i}}}\n" for i in range(41))
    table = TABLE.split("rows:")[0] + "rows:\n" + rows
    assert chart_errors(write_project, ":type: bar\n", table) == [
        "content/a.md:6: error: a bar chart of 41 bars cannot be read on a page (at most 40); "
        "draw it with ':type: line', or choose rows with ':rows:'"
    ]


def test_several_y_columns_and_a_series_column_are_refused_together(write_project):
    assert chart_errors(write_project, ":y: value, value\n:series: label\n") == [
        "content/a.md:7: error: use ':series:' with one ':y:' column, or several ':y:' columns"
    ]


# -- the same bytes, cached ------------------------------------------------------------------------


def test_a_chart_drawn_twice_without_any_cache_is_byte_identical(page, monkeypatch, tmp_path):
    from report_builder.model import Column, FactTable, Row

    table = FactTable(
        name="t",
        title="T",
        columns=[Column("label", "Label"), Column("value", "Value", "number")],
        rows=[
            Row("a", {"label": "A", "value": 1}, {"label": "A"}),
            Row("b", {"label": "B", "value": -2}, {"label": "B"}),
        ],
        path="t.yaml",
    )
    drawn = []
    for _ in range(2):
        charts._MEMORY.clear()
        monkeypatch.setattr(charts, "_cache_folder", lambda: None)
        drawn.append(charts.render_chart(table, {"type": "column"}, "de_DE", "chart-t", "html"))
    assert drawn[0] == drawn[1]


def test_an_unchanged_chart_is_read_from_the_cache_not_drawn_again(outputs, monkeypatch):
    from report_builder import chart_engine

    def refuse(*_args, **_kwargs):
        raise AssertionError("drawn again")

    charts._MEMORY.clear()
    monkeypatch.setattr(chart_engine, "draw", refuse)
    from report_builder.model import Column, FactTable, Row

    table = FactTable(
        name="t",
        title="T",
        columns=[Column("label", "Label"), Column("value", "Value", "number")],
        rows=[Row("a", {"label": "A", "value": 3}, {"label": "A"})],
        path="t.yaml",
    )
    with pytest.raises(AssertionError):
        charts.render_chart(table, {}, "en_GB", "chart-t", "pdf")  # a new chart is drawn
    monkeypatch.undo()
    first = charts.render_chart(table, {}, "en_GB", "chart-t", "pdf")
    charts._MEMORY.clear()
    monkeypatch.setattr(chart_engine, "draw", refuse)
    assert charts.render_chart(table, {}, "en_GB", "chart-t", "pdf") == first  # from the cache folder


# -- print -----------------------------------------------------------------------------------------


def figures_in_pdf(path: Path) -> list[tuple[int, str, list[float]]]:
    """(page index, Alt, BBox) of every Figure in the structure tree whose Alt names a chart."""
    pdf = pikepdf.open(path)
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    found = []

    def walk(node, page=None):
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid, page)
            return
        if not isinstance(node, pikepdf.Dictionary):
            return
        page = node.get("/Pg", page)
        if node.get("/S") == "/Figure" and "/A" in node:
            found.append((pages[page.objgen], str(node.get("/Alt", "")), [float(v) for v in node.A.BBox]))
        if "/K" in node:
            walk(node.K, page)

    walk(pdf.Root.StructTreeRoot)
    return found


def test_each_chart_lies_inside_the_text_area_on_the_page_of_its_heading(outputs):
    figures = figures_in_pdf(outputs.pdf)
    titles = [
        "Handelsbilanz nach Region",
        "Handelsbilanz, sortiert",
        "Exporte und Importe",
        "Exporte und Importe, gestapelt",
        "Stimmenanteile 2020 und 2024",
        "Ankünfte pro Woche",
        "Ankünfte und Rückkehrer",
        "Fünfhundert Punkte",
    ]
    assert [alt.split(":")[0] for _page, alt, _box in figures] == titles
    pdf = pikepdf.open(outputs.pdf)
    for (index, _alt, (x1, y1, x2, y2)), title in zip(figures, titles):
        width, height = (float(v) for v in pdf.pages[index].MediaBox[2:])
        # @page margins 24mm 20mm 24mm 22mm; WeasyPrint's layout boxes are in CSS px from the top left
        mm = 96 / 25.4
        assert 22 * mm - 1 <= x1 < x2 <= width / 0.75 - 20 * mm + 1, (title, x1, x2)
        assert 24 * mm - 1 <= y1 < y2 <= height / 0.75 - 24 * mm + 1, (title, y1, y2)
        text = subprocess.run(
            ["pdftotext", "-f", str(index + 1), "-l", str(index + 1), str(outputs.pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert title in text


def test_the_pdf_alternative_text_of_a_chart_gives_its_figures(outputs):
    alts = [alt for _page, alt, _box in figures_in_pdf(outputs.pdf)]
    assert alts[0] == "Handelsbilanz nach Region: Nord: 1.400; Ost: -2.350,5; Süd: 320; West: -90; Mitte: –"


def test_chart_labels_are_searchable_text_in_the_pdf(outputs):
    text = subprocess.run(["pdftotext", str(outputs.pdf), "-"], capture_output=True, text=True, check=True).stdout
    for label in ("Nord", "-2.350,5", "Okt 2022", "Alpha", "30%"):
        assert label in text


def test_the_sample_draws_the_migration_figures_where_the_article_discusses_them(built):
    tree = html.fromstring(built("sample").html.read_bytes())
    poland, germany = tree.xpath("//figure[@id='chart-migration']"), tree.xpath("//figure[@id='chart-migration-2']")
    assert svg_texts(etree.fromstring(etree.tostring(poland[0].xpath(".//*[local-name()='svg']")[0]))) == [
        "January–August",
        "Since late August",
        "45,000",
        "100,000",
    ]
    germany_svg = etree.fromstring(etree.tostring(germany[0].xpath(".//*[local-name()='svg']")[0]))
    assert svg_texts(germany_svg) == ["Late August", "October", "100", "1,400"]
    assert " ".join(germany[0].xpath("string(p[@class='chart-source'])").split()).endswith(
        "Source: German authorities. As of 5 November 2025."
    )
    previous = germany[0].getprevious().getprevious()
    assert "Germany, too, reported a jump" in previous.text_content()


# -- drawn once, before the writers ----------------------------------------------------------------


def test_every_chart_is_drawn_before_the_writers_so_that_rendering_draws_none(monkeypatch, tmp_path):
    from report_builder import chart_engine
    from report_builder.project import load_project
    from report_builder.render import render_document
    from report_builder.writers.epub import draft_epub

    project = load_project(Path(__file__).parent / "projects" / "charts")
    from report_builder.build import load_publication

    publication = load_publication(project)
    charts._MEMORY.clear()
    monkeypatch.setattr(charts, "_cache_folder", lambda: tmp_path)
    asked: list[int] = []
    draw_many = chart_engine.draw_many
    monkeypatch.setattr(
        chart_engine, "draw_many", lambda requests, engines: asked.append(len(requests)) or draw_many(requests, engines)
    )
    # eight charts: the wide drawing (print, desktops) and the phone one (ebooks, phones) of each
    assert charts.draw_charts(publication, {"pdf", "epub", "html"}, engines=2) == 16
    assert asked == [16]

    def refuse(*_args, **_kwargs):
        raise AssertionError("drawn while rendering")

    monkeypatch.setattr(chart_engine, "draw", refuse)
    for target in ("pdf", "html"):
        assert "chart-svg" in render_document(publication, project, target)
    draft_epub(publication, project)  # the ebook's pages
    charts._MEMORY.clear()  # a forked writer's memory, or the next build: the cache folder has them all
    assert charts.draw_charts(publication, {"pdf", "epub", "html"}) == 0


TWO_ARTICLES = {
    "report.yaml": "title: T\narticles:\n  - a.md\n  - b.md\n",
    "content/facts/nums.yaml": TABLE,
    "content/a.md": "---\ntitle: A\n---\n\nText.\n\n```{chart} nums\n:title: First\n```\n",
    "content/b.md": "---\ntitle: B\n---\n\nMore text.\n\n```{chart} nums\n:type: column\n:title: Second\n```\n",
}


def test_each_chunks_charts_are_drawn_just_before_it_is_rendered_while_the_workers_lay_out(
    write_project, monkeypatch, tmp_path
):
    """The front matter goes to the workers first; then each chunk's print drawings are drawn
    just before that chunk is rendered (so a chunk is laid out while the next one's charts are
    drawn), and the rest of the drawings once, after the last chunk."""
    import importlib

    from report_builder import render
    from report_builder.writers.pdf import chunked

    building = importlib.import_module("report_builder.build")
    monkeypatch.setenv("REPORT_BUILDER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(charts, "_cache_folder", lambda: tmp_path / "charts")
    (tmp_path / "charts").mkdir()
    charts._MEMORY.clear()
    events: list[tuple] = []
    draw_charts = building.draw_charts

    def drawn(publication, formats, engines=1, articles=None):
        events.append(("drawn", tuple(formats), articles))
        return draw_charts(publication, formats, engines, articles)

    def front(self, *args, **kwargs):
        events.append(("front",))
        return front_of(self, *args, **kwargs)

    front_of = chunked._Jobs.front
    monkeypatch.setattr(building, "draw_charts", drawn)
    monkeypatch.setattr(chunked._Jobs, "front", front)
    render_document = render.render_document

    def rendered(publication, project, target, extra=(), part=None, **kwargs):
        if target == "pdf" and part is not None and part.articles:
            events.append(("rendered", part.articles))
        return render_document(publication, project, target, extra, part, **kwargs)

    monkeypatch.setattr(chunked, "render_document", rendered)
    result = build(write_project(TWO_ARTICLES), formats=["pdf", "html"], jobs=2)
    assert result.chunks > 1 and set(result.outputs) == {"pdf", "html"} and result.forked == ("html",)
    chunks = [event[1] for event in events if event[0] == "rendered"]
    expected = [("front",)]
    for articles in chunks:
        expected += [("drawn", ("pdf",), articles), ("rendered", articles)]
    assert events == [*expected, ("drawn", ("pdf", "html"), None)]
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 4  # two charts, wide and phone (the web edition)


def test_a_chart_the_engine_cannot_draw_is_reported_at_its_directive_and_the_others_are_kept(
    write_project, monkeypatch, tmp_path
):
    from report_builder.errors import ReportError

    monkeypatch.setenv("REPORT_BUILDER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(charts, "_cache_folder", lambda: tmp_path / "charts")
    (tmp_path / "charts").mkdir()
    root = write_project(TWO_ARTICLES)
    build(root, formats=["pdf", "html"], jobs=2)
    before = {path.name: path.read_bytes() for path in (root / "build").glob("t.*")}
    charts._MEMORY.clear()
    for path in (tmp_path / "charts").glob("*.svg"):
        path.unlink()
    spec = charts._spec

    def broken(records, options, *args):
        drawn = spec(records, options, *args)
        if options.title == "Second":  # an expression Vega cannot parse: the engine refuses it
            drawn["transform"] = [{"calculate": "datum.(", "as": "w"}]
        return drawn

    monkeypatch.setattr(charts, "_spec", broken)
    (root / "content" / "b.md").write_text(TWO_ARTICLES["content/b.md"].replace("More text", "Other text"))
    with pytest.raises(ReportError) as caught:
        build(root, formats=["pdf", "html"], jobs=2)
    messages = [str(d) for d in caught.value.diagnostics]
    assert len(messages) == 1 and messages[0].startswith("content/b.md:7: error: the chart could not be drawn: ")
    assert {path.name: path.read_bytes() for path in (root / "build").glob("t.*")} == before
    # the first article's print drawing, drawn before the second article's chunk failed, is kept
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 1


def test_charts_are_drawn_in_static_instances_to_the_widths_of_the_variable_font(monkeypatch, tmp_path):
    import json
    import os
    import sys

    from report_builder import chart_engine
    from report_builder.model import Column, FactTable, Row

    monkeypatch.setenv("REPORT_BUILDER_CACHE", str(tmp_path))
    table = FactTable(
        name="t",
        title="T",
        columns=[Column("label", "Label"), Column("value", "Value", "number", decimals=1)],
        rows=[Row(f"r{i}", {"label": f"Süd-Ost {i}", "value": (i * 7919) % 40000 - 15000}, {}) for i in range(12)],
        path="t.yaml",
    )
    requests = []
    for options in ({"highlight": "r3"}, {"type": "column"}, {"type": "line"}):
        plot = charts._plot(table, options, "de_DE")
        for size in (charts.WIDE, charts.NARROW):
            requests.append(charts._request(plot.spec(size), "de_DE")[1])
    assert all(set(request) == {"spec"} for request in requests)  # the locale is in the spec's config
    drawn = chart_engine.draw_many(requests, engines=1)
    folders = list((tmp_path / "fonts" / "chart-engine").iterdir())
    assert len(folders) == 1
    assert sorted(re.sub(r"-[0-9a-f]{16}\.ttf$", "", p.name) for p in folders[0].iterdir()) == [
        "NotoSans-400",
        "NotoSans-700",
    ]
    # the same specifications drawn by vl-convert with the variable font the instances come from
    script = (
        "import json, sys\n"
        "import vl_convert as vlc\n"
        "from report_builder.fonts import FONT_FILES, font_paths\n"
        "[vlc.register_font_directory(str(p.parent)) for (f, *_), p in zip(FONT_FILES, font_paths()) if f == 'Noto Sans']\n"
        "print(json.dumps([vlc.vegalite_to_svg(r['spec']) for r in json.load(sys.stdin)]))\n"
    )
    variable = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(charts.__file__).parents[1])},
    )
    assert drawn == json.loads(variable.stdout)
    assert "−15.000" in drawn[0] or "-15.000" in drawn[0] or "15.000" in "".join(drawn)  # German group marks


def test_without_a_cache_folder_the_engine_makes_its_fonts_for_itself_and_leaves_nothing(monkeypatch, tmp_path):
    from report_builder import chart_engine
    from report_builder.model import Column, FactTable, Row

    table = FactTable(
        name="t",
        title="T",
        columns=[Column("label", "Label"), Column("value", "Value", "number")],
        rows=[Row("a", {"label": "Ärger", "value": 3}, {}), Row("b", {"label": "B", "value": -1200}, {})],
        path="t.yaml",
    )
    request = charts._request(charts._plot(table, {}, "de_DE").spec(charts.WIDE), "de_DE")[1]
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setenv("REPORT_BUILDER_CACHE", str(tmp_path / "cache"))
    engine = chart_engine._Engine()
    kept = engine.draw(request)
    engine.kill()  # as a failed build kills it: with a cache folder, nothing of it is left behind
    assert list((tmp_path / "tmp").iterdir()) == []
    (tmp_path / "a file").write_text("not a folder")
    monkeypatch.setenv("REPORT_BUILDER_CACHE", str(tmp_path / "a file"))  # no cache folder can be made
    assert chart_engine.draw_many([request]) == [kept]
    assert list((tmp_path / "tmp").iterdir()) == []  # its fonts were removed when it stopped


def test_the_cache_key_names_the_fonts_charts_are_drawn_in(monkeypatch):
    from report_builder import chart_engine

    spec = {"config": {}, "mark": "bar"}
    key = charts._request(spec, "en_GB")[0]
    assert charts._request(spec, "en_GB")[0] == key
    assert charts._request(spec, "de_DE")[0] != key  # the locale is in the specification
    monkeypatch.setattr(chart_engine, "fonts_version", lambda: "other fonts")
    assert charts._request(spec, "en_GB")[0] != key


def test_a_chart_engine_exits_when_the_process_that_started_it_is_killed(tmp_path):
    import os
    import signal
    import sys
    import time

    # the parent starts an engine, then forks a child that holds the engine's pipe open
    script = (
        "import os, sys, time\n"
        "from report_builder import chart_engine\n"
        "engine = chart_engine._Engine()\n"
        "process = engine._running()\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "print(process.pid, child, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(charts.__file__).parents[1])},
    )
    engine, child = (int(v) for v in parent.stdout.readline().split())
    try:
        time.sleep(1)  # the engine is serving
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and Path(f"/proc/{engine}").exists():
            if Path(f"/proc/{engine}/stat").read_text().split()[2] == "Z":
                break  # exited, not yet reaped by init
            time.sleep(0.1)
        alive = Path(f"/proc/{engine}").exists() and Path(f"/proc/{engine}/stat").read_text().split()[2] != "Z"
        assert not alive
    finally:
        for pid in (engine, child):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# -- colours ---------------------------------------------------------------------------------------


def _luminance(colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def _contrast(a: str, b: str) -> float:
    low, high = sorted((_luminance(a), _luminance(b)))
    return (high + 0.05) / (low + 0.05)


def _lightness(colour: str) -> float:
    """CIE L*: what is left of a colour in grayscale, and for every kind of colour blindness."""
    y = _luminance(colour)
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else 24389 / 27 * y


LIGHT = [colour for colour, _dash in charts.SERIES]


@pytest.mark.parametrize(
    ("colours", "page"),
    [(LIGHT + [charts.HIGHLIGHT], "#ffffff"), ([*charts.DARK_SERIES, charts.DARK_HIGHLIGHT], charts.DARK_PAGE)],
    ids=["light", "dark"],
)
def test_every_series_colour_has_three_to_one_contrast_with_its_page(colours, page):
    assert min(_contrast(colour, page) for colour in colours) >= 3.0


@pytest.mark.parametrize(
    ("series", "highlight"),
    [(LIGHT, charts.HIGHLIGHT), (list(charts.DARK_SERIES), charts.DARK_HIGHLIGHT)],
    ids=["light", "dark"],
)
def test_series_stay_apart_in_grayscale(series, highlight):
    lightness = [_lightness(colour) for colour in series]
    gaps = [abs(a - b) for i, a in enumerate(lightness) for b in lightness[i + 1 :]]
    assert min(gaps) >= 10.5  # about 27 grey levels of 255 between any two
    assert abs(_lightness(highlight) - lightness[0]) >= 20  # the highlight beside the one series it is in


def test_the_dark_scheme_lightens_each_series_to_its_dark_colour():
    css = (Path(__file__).parents[1] / "styles" / "base.css").read_text(encoding="utf-8")
    dark = css[css.index("@media (prefers-color-scheme: dark)") :]
    fills = dict(re.findall(r"\.chart-f(\d) \{ fill: (#[0-9a-f]{6}); \}", dark))
    strokes = dict(re.findall(r"\.chart-l(\d) \{ stroke: (#[0-9a-f]{6}); \}", dark))
    assert fills == {**{str(i): c for i, c in enumerate(charts.DARK_SERIES, 1)}, "5": charts.DARK_HIGHLIGHT}
    assert strokes == {str(i): c for i, c in enumerate(charts.DARK_SERIES, 1)}
    screen = (Path(__file__).parents[1] / "styles" / "screen.css").read_text(encoding="utf-8")
    assert f"--paper: {charts.DARK_PAGE};" in screen


# -- labels at the reader's text size ----------------------------------------------------------------

#: the smallest label of each chart shown, over the body text's size; and how far the page scrolls sideways
LABELS = """() => {
  const body = parseFloat(getComputedStyle(document.querySelector('.article-body > p, section > p')).fontSize);
  const smallest = [];
  for (const figure of document.querySelectorAll('figure.chart')) {
    const shown = [...figure.querySelectorAll('.chart-drawing')].filter(d => getComputedStyle(d).display !== 'none');
    if (shown.length !== 1) return {shown: shown.length};
    let least = Infinity;
    for (const text of shown[0].querySelectorAll('svg text')) {
      const m = text.getScreenCTM();
      least = Math.min(least, parseFloat(getComputedStyle(text).fontSize) * Math.hypot(m.a, m.b));
    }
    smallest.push(least / body);
  }
  return {smallest, overflow: document.documentElement.scrollWidth - window.innerWidth};
}"""


@pytest.fixture(scope="module")
def chapter(outputs, tmp_path_factory) -> Path:
    """The EPUB's chapter of charts, unpacked with its stylesheet."""
    import zipfile

    folder = tmp_path_factory.mktemp("epub")
    with zipfile.ZipFile(outputs.epub) as book:
        book.extractall(folder)
    (found,) = [path for path in folder.rglob("*.xhtml") if "chart-balance" in path.read_text(encoding="utf-8")]
    return found


@pytest.mark.parametrize("edition", ["html", "epub"])
@pytest.mark.parametrize("text_size", ["100%", "200%"])
def test_labels_are_at_least_four_fifths_of_the_body_text_on_a_phone_at_any_text_size(
    browser, outputs, chapter, edition, text_size
):
    page = browser.new_page(viewport={"width": 360, "height": 800})
    try:
        page.goto((outputs.html if edition == "html" else chapter).as_uri())
        if text_size != "100%":  # the reader's text size, as a reading system or a browser's setting sets it
            page.add_style_tag(content=f"html {{ font-size: {text_size} !important; }}")
        found = page.evaluate(LABELS)
    finally:
        page.close()
    assert found["overflow"] == 0
    assert len(found["smallest"]) == 8
    assert min(found["smallest"]) >= 0.8, found["smallest"]
