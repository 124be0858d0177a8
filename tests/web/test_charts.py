"""The SVG charts of the web pages: well-formed, escaped, proportional, Dutch numbers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from claims.web.charts import bar_chart, format_number, grouped_bar_chart, range_chart

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<b>"Zaak" & co</b>'


def svg_root(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("font-family") == "system-ui, sans-serif"
    assert root[0].tag == f"{SVG}title"
    assert root[0].text == root.get("aria-label")
    return root


def data_rects(root: ET.Element, cls: str | None = None) -> list[ET.Element]:
    return [
        r
        for r in root.iter(f"{SVG}rect")
        if "data-value" in r.attrib and (cls is None or r.get("class") == cls)
    ]


def title_of(el: ET.Element) -> str:
    title = el.find(f"{SVG}title")
    assert title is not None
    return title.text or ""


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}text")]


def assert_self_contained_and_inside(text: str) -> None:
    root = svg_root(text)
    assert "<script" not in text
    assert "<style" not in text
    assert "href" not in text
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    for rect in root.iter(f"{SVG}rect"):
        x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
        assert x >= 0 and x + float(rect.attrib["width"]) <= width
        assert y >= 0 and y + float(rect.attrib["height"]) <= height
    for el in root.iter():
        if el.tag in (f"{SVG}text", f"{SVG}line"):
            for name in ("x", "x1", "x2"):
                if name in el.attrib:
                    assert 0 <= float(el.attrib[name]) <= width
            for name in ("y", "y1", "y2"):
                if name in el.attrib:
                    assert 0 <= float(el.attrib[name]) <= height


# ------------------------------------------------------------------------------------ numbers


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (3, "3"),
        (1234, "1234"),
        (12345, "12.345"),
        (1234567, "1.234.567"),
        (-12345, "-12.345"),
        (3.5, "3,5"),
        (3.0, "3,0"),
        (0.0, "0,0"),
        (0.04, "0,0"),
        (-0.04, "0,0"),
        (2.25, "2,3"),
        (2.35, "2,4"),
        (9999.96, "10.000,0"),
        (-12345.54, "-12.345,5"),
        (Decimal("3.50"), "3,5"),
        (Decimal("12345.67"), "12.345,7"),
        (Decimal("7"), "7,0"),
    ],
)
def test_format_number_dutch(value: int | float | Decimal, text: str) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("-Infinity")])
def test_format_number_refuses_non_finite(value: float | Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        format_number(value)


# ---------------------------------------------------------------------------------- bar chart

ROWS: list[tuple[str, int | float | Decimal]] = [
    ("Melding ontvangen", 12),
    ("Dekkingsonderzoek", 3.5),
    ("Regeling", 0),
    ("Geschil (SGOA)", Decimal("24.25")),
]


def test_bar_chart_proportional() -> None:
    text = bar_chart(ROWS, title="Open dossiers per status")
    assert_self_contained_and_inside(text)
    root = svg_root(text)
    assert root.get("aria-label") == "Open dossiers per status"
    bars = data_rects(root)
    assert [b.get("data-value") for b in bars] == ["12", "3.5", "0", "24.25"]
    widths = [float(b.attrib["width"]) for b in bars]
    longest = max(widths)
    assert widths[3] == longest > 100
    for (_, value), width in zip(ROWS, widths, strict=True):
        assert width == pytest.approx(longest * float(value) / 24.25, abs=0.1)
    # All bars start at the same x.
    assert len({b.get("x") for b in bars}) == 1
    assert [title_of(b) for b in bars] == [
        "Melding ontvangen: 12",
        "Dekkingsonderzoek: 3,5",
        "Regeling: 0",
        "Geschil (SGOA): 24,3",
    ]
    assert {"12", "3,5", "0", "24,3", "Melding ontvangen", "Open dossiers per status"} <= set(texts(root))


def test_bar_chart_value_text_after_bar_with_unit() -> None:
    root = svg_root(bar_chart([("A", 2.0), ("B", 1)], title="T", unit="uur"))
    values = [t for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert [t.text for t in values] == ["2,0 uur", "1 uur"]
    for bar, value in zip(data_rects(root), values, strict=True):
        assert float(value.attrib["x"]) > float(bar.attrib["x"]) + float(bar.attrib["width"])


def test_bar_chart_all_zero() -> None:
    text = bar_chart([("A", 0), ("B", 0.0)], title="Nul")
    assert_self_contained_and_inside(text)
    bars = data_rects(svg_root(text))
    assert [float(b.attrib["width"]) for b in bars] == [0.0, 0.0]


def test_bar_chart_empty() -> None:
    text = bar_chart([], title="Leeg & niks")
    assert_self_contained_and_inside(text)
    root = svg_root(text)
    assert "Geen gegevens" in texts(root)
    assert not data_rects(root)
    assert root.get("aria-label") == "Leeg & niks"


def test_bar_chart_escapes_text() -> None:
    text = bar_chart([(NASTY, 1)], title=NASTY, unit="<u>")
    assert "<b>" not in text
    assert "<u>" not in text
    root = svg_root(text)
    assert root.get("aria-label") == NASTY
    (bar,) = data_rects(root)
    assert title_of(bar) == f"{NASTY}: 1 <u>"
    assert NASTY in texts(root)


def test_bar_chart_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="negative"):
        bar_chart([("A", -1)], title="T")
    with pytest.raises(ValueError, match="finite"):
        bar_chart([("A", float("nan"))], title="T")
    with pytest.raises(ValueError, match="width"):
        bar_chart([("A", 1)], title="T", width=100)


def test_bar_chart_long_label_shortened() -> None:
    label = "Wacht op goedkeuring van de manager en daarna nog van de directie " * 2
    root = svg_root(bar_chart([(label, 1)], title="T"))
    (bar,) = data_rects(root)
    assert title_of(bar) == f"{label}: 1"  # in full on hover
    shown = [t for t in texts(root) if t.startswith("Wacht")]
    assert len(shown) == 1
    assert shown[0].endswith("…")
    assert len(shown[0]) < len(label)


def test_bar_chart_deterministic() -> None:
    assert bar_chart(ROWS, title="T", unit="d") == bar_chart(list(ROWS), title="T", unit="d")


# -------------------------------------------------------------------------- grouped bar chart

WEEKS = ["wk 45", "wk 46", "wk 47"]
SERIES: list[tuple[str, list[int | float]]] = [("Geopend", [3, 7, 0]), ("Gesloten", [2, 5.5, 1])]


def test_grouped_bar_chart_bars() -> None:
    text = grouped_bar_chart(WEEKS, SERIES, title="Geopend en gesloten")
    assert_self_contained_and_inside(text)
    root = svg_root(text)
    bars = data_rects(root)
    assert len(bars) == 6
    assert [title_of(b) for b in bars] == [
        "Geopend, wk 45: 3",
        "Gesloten, wk 45: 2",
        "Geopend, wk 46: 7",
        "Gesloten, wk 46: 5,5",
        "Geopend, wk 47: 0",
        "Gesloten, wk 47: 1",
    ]
    assert [(b.get("data-series"), b.get("data-category"), b.get("data-value")) for b in bars][:2] == [
        ("Geopend", "wk 45", "3"),
        ("Gesloten", "wk 45", "2"),
    ]
    # One baseline; heights proportional to the values; series keep their colour.
    assert len({float(b.attrib["y"]) + float(b.attrib["height"]) for b in bars}) == 1
    per_unit = float(bars[2].attrib["height"]) / 7
    for bar in bars:
        assert float(bar.attrib["height"]) == pytest.approx(
            per_unit * float(bar.attrib["data-value"]), abs=0.1
        )
    assert len({b.get("fill") for b in bars if b.get("data-series") == "Geopend"}) == 1
    assert {b.get("fill") for b in bars if b.get("data-series") == "Geopend"} != {
        b.get("fill") for b in bars if b.get("data-series") == "Gesloten"
    }
    # Bars left to right in category order.
    xs = [float(b.attrib["x"]) for b in bars]
    assert xs == sorted(xs)
    shown = texts(root)
    assert {"Geopend", "Gesloten", *WEEKS} <= set(shown)


def test_grouped_bar_chart_axis_ticks() -> None:
    root = svg_root(grouped_bar_chart(WEEKS, SERIES, title="T"))
    (axis,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "axis"]
    ticks = [t.text for t in axis.iter(f"{SVG}text")]
    assert ticks == ["0", "2", "4", "6", "8"]
    lines = list(axis.iter(f"{SVG}line"))
    assert len(lines) == 5
    # The top gridline is at 8: the bar of 7 reaches 7/8 of the way.
    base, top = float(lines[0].attrib["y1"]), float(lines[-1].attrib["y1"])
    bar7 = next(b for b in data_rects(root) if b.get("data-value") == "7")
    assert float(bar7.attrib["height"]) == pytest.approx((base - top) * 7 / 8, abs=0.1)

    big = svg_root(grouped_bar_chart(["a"], [("s", [12345])], title="T"))
    (axis,) = [g for g in big.iter(f"{SVG}g") if g.get("class") == "axis"]
    assert [t.text for t in axis.iter(f"{SVG}text")] == ["0", "5000", "10.000", "15.000"]


def test_grouped_bar_chart_zero_and_empty() -> None:
    text = grouped_bar_chart(WEEKS, [("Geopend", [0, 0, 0])], title="Nul")
    assert_self_contained_and_inside(text)
    root = svg_root(text)
    assert [float(b.attrib["height"]) for b in data_rects(root)] == [0.0, 0.0, 0.0]
    (axis,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "axis"]
    assert [t.text for t in axis.iter(f"{SVG}text")] == ["0", "1"]
    cases: list[tuple[list[str], list[tuple[str, list[int | float]]]]] = [
        ([], []),
        ([], [("Geopend", [])]),
        (WEEKS, []),
    ]
    for categories, series in cases:
        text = grouped_bar_chart(categories, series, title="Leeg")
        assert_self_contained_and_inside(text)
        assert "Geen gegevens" in texts(svg_root(text))


def test_grouped_bar_chart_length_mismatch() -> None:
    with pytest.raises(ValueError, match="'Gesloten' has 2 values for 3 categories"):
        grouped_bar_chart(WEEKS, [("Geopend", [1, 2, 3]), ("Gesloten", [1, 2])], title="T")
    with pytest.raises(ValueError, match="has 1 values for 0 categories"):
        grouped_bar_chart([], [("Geopend", [1])], title="T")
    with pytest.raises(ValueError, match="negative"):
        grouped_bar_chart(["a"], [("s", [-1])], title="T")


def test_grouped_bar_chart_escapes_text() -> None:
    text = grouped_bar_chart([NASTY], [(NASTY, [1]), ("B & C", [2])], title=NASTY)
    assert "<b>" not in text
    root = svg_root(text)
    bars = data_rects(root)
    assert bars[0].get("data-series") == NASTY
    assert bars[0].get("data-category") == NASTY
    assert title_of(bars[0]) == f"{NASTY}, {NASTY}: 1"
    assert title_of(bars[1]) == f"B & C, {NASTY}: 2"


def test_grouped_bar_chart_many_series_legend_wraps() -> None:
    series = [(f"Reeks nummer {i} met een lange naam", [i]) for i in range(8)]
    text = grouped_bar_chart(["a"], series, title="T")
    assert_self_contained_and_inside(text)
    root = svg_root(text)
    (legend,) = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend"]
    assert len({r.get("y") for r in legend.iter(f"{SVG}rect")}) > 1


def test_grouped_bar_chart_deterministic() -> None:
    assert grouped_bar_chart(WEEKS, SERIES, title="T") == grouped_bar_chart(
        list(WEEKS), list(SERIES), title="T"
    )


# ---------------------------------------------------------------------------------- range chart

RANGES = [("Melding ontvangen", 1.0, 2.5), ("Dekkingsonderzoek", 3.0, 7.5), ("Regeling", 12.25, 30.0)]


def test_range_chart_bars_and_text() -> None:
    text = range_chart(RANGES, title="Tijd per status")
    assert_self_contained_and_inside(text)
    root = svg_root(text)
    medians, p90s = data_rects(root, "median"), data_rects(root, "p90")
    assert [m.get("data-value") for m in medians] == ["1.0", "3.0", "12.25"]
    assert [p.get("data-value") for p in p90s] == ["2.5", "7.5", "30.0"]
    # One scale for both: the longest p90 fills the width.
    per_unit = float(p90s[2].attrib["width"]) / 30.0
    for rect in medians + p90s:
        assert float(rect.attrib["width"]) == pytest.approx(
            per_unit * float(rect.attrib["data-value"]), abs=0.1
        )
    # The p90 bar is thinner than the median bar.
    assert float(p90s[0].attrib["height"]) < float(medians[0].attrib["height"])
    assert title_of(medians[1]) == "Dekkingsonderzoek: mediaan 3,0 dagen"
    assert title_of(p90s[1]) == "Dekkingsonderzoek: p90 7,5 dagen"
    shown = texts(root)
    assert "mediaan 3,0 · p90 7,5 dagen" in shown
    assert "mediaan 12,3 · p90 30,0 dagen" in shown
    assert any(t.startswith("Mediaan") for t in shown)
    assert any(t.startswith("p90") for t in shown)


def test_range_chart_unit() -> None:
    root = svg_root(range_chart([("A", 1, 2)], title="T", unit=""))
    assert "mediaan 1 · p90 2" in texts(root)
    root = svg_root(range_chart([("A", 1.5, 2)], title="T", unit="uur"))
    assert "mediaan 1,5 · p90 2 uur" in texts(root)


def test_range_chart_zero_and_empty() -> None:
    text = range_chart([("A", 0.0, 0.0), ("B", 0, 0)], title="Nul")
    assert_self_contained_and_inside(text)
    assert all(float(r.attrib["width"]) == 0 for r in data_rects(svg_root(text)))
    text = range_chart([], title="Leeg")
    assert_self_contained_and_inside(text)
    assert "Geen gegevens" in texts(svg_root(text))


def test_range_chart_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="below the median"):
        range_chart([("A", 3.0, 2.0)], title="T")
    with pytest.raises(ValueError, match="negative"):
        range_chart([("A", -1.0, 2.0)], title="T")


def test_range_chart_escapes_text() -> None:
    text = range_chart([(NASTY, 1.0, 2.0)], title=NASTY, unit="<d>")
    assert "<b>" not in text
    assert "<d>" not in text
    root = svg_root(text)
    assert root.get("aria-label") == NASTY
    assert NASTY in texts(root)
    assert "mediaan 1,0 · p90 2,0 <d>" in texts(root)


def test_range_chart_deterministic() -> None:
    assert range_chart(RANGES, title="T") == range_chart(list(RANGES), title="T")
