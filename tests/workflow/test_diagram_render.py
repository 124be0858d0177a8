"""The diagram as pages show it: Graphviz's layout made safe and named, cached, and drawn without it."""

from __future__ import annotations

import copy
import logging
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

from tests.workflow.test_diagram import BIGGER, DEMO, LOOPY, make_spec
from workflow.diagram import CURRENT_MARK, drawn_edges, to_dot, to_svg
from workflow.diagram_render import DiagramRenderer
from workflow.dot_svg import clean_dot_svg
from workflow.graphviz import Graphviz, GraphvizError, find_graphviz
from workflow.spec import WorkflowSpec

SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' is not installed")
DRAWING = {"svg", "title", "g", "path", "polygon", "polyline", "ellipse", "text"}

# What dot answers for any graph, as far as clean_dot_svg cares: a picture with a size and a view box.
TINY = (
    b'<?xml version="1.0"?><svg width="10pt" height="20pt" viewBox="0.00 0.00 10.00 20.00"'
    b' xmlns="http://www.w3.org/2000/svg"><g id="graph0" class="graph"><title>x</title></g></svg>'
)


@dataclass(frozen=True)
class FakeGraphviz(Graphviz):
    """Answers TINY (or fails) without running anything, counting the runs."""

    runs: list[str] = field(default_factory=list)
    fails: bool = False

    def render(self, dot_text: str, fmt: str) -> bytes:
        self.runs.append(dot_text)
        if self.fails:
            raise GraphvizError("dot: syntax error")
        return TINY


def fake(fails: bool = False) -> FakeGraphviz:
    return FakeGraphviz("/nonexistent/dot", fails=fails)


def real() -> DiagramRenderer:
    graphviz = find_graphviz()
    assert graphviz is not None
    return DiagramRenderer(graphviz)


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if cls in g.get("class", "").split()]


def title(el: ET.Element) -> str:
    found = el.find(f"{SVG}title")
    assert found is not None and found.text is not None
    return found.text


def texts(el: ET.Element) -> list[str]:
    return [t.text or "" for t in el.iter(f"{SVG}text")]


def assert_page_safe(text: str) -> None:
    root = parse(text)
    assert {el.tag.removeprefix(SVG) for el in root.iter()} <= DRAWING
    for el in root.iter():
        bad = [name for name in el.attrib if name.startswith("on") or "href" in name or name == "id"]
        assert not bad, el.attrib
        assert not [v for v in el.attrib.values() if "url(" in v or "javascript" in v.lower()]
    assert "<!" not in text and "<?" not in text


# ------------------------------------------------------------------------------- Graphviz layout


@needs_dot
def test_graphviz_picture_names_every_state_and_marks_the_current_one() -> None:
    spec = make_spec(BIGGER)
    text = real().svg(spec, "assessment")
    assert_page_safe(text)
    root = parse(text)
    assert root.get("data-layout") == "graphviz"
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'Workflow Schade "BAV", huidige status: In behandeling; dekking?'
    states = {g.get("data-state"): g for g in groups(root, "state")}
    assert list(states) == list(spec.states)
    for name, group in states.items():
        assert title(group) == spec.states[name].label
        assert ("terminal" in group.get("class", "").split()) == spec.states[name].terminal
    (current,) = [el for el in root.iter() if el.get("aria-current") is not None]
    assert current.get("aria-current") == "step" and current.get("data-state") == "assessment"
    assert current.get("class", "").split() == ["state", "current"]
    # Marked without colour too: its label is bold and says so, and its border is the heaviest.
    assert texts(current) == ["In behandeling;", "dekking?", CURRENT_MARK]
    assert {t.get("font-weight") for t in current.iter(f"{SVG}text")} == {"bold", None}
    widths = {
        g.get("data-state"): max(float(p.get("stroke-width", "1")) for p in g) for g in groups(root, "state")
    }
    assert max(widths, key=lambda k: widths[k]) == "assessment"
    # The arrows: labelled ones named by source and destination; the current state's ways out are 'next'.
    edges = groups(root, "edge")
    labelled = {
        (g.get("data-source"), g.get("data-dest")): title(g)
        for g in edges
        if "part" not in g.get("class", "")
    }
    assert labelled == {
        ("registered", "assessment"): "Start",
        ("assessment", "settled"): "Uitkeren / Afwijzen",
        (None, "withdrawn"): "Intrekken",  # from a junction: its sources are the parts
    }
    parts = {(g.get("data-source"), g.get("data-dest")) for g in edges if "part" in g.get("class", "")}
    assert parts == {("registered", "withdrawn"), ("assessment", "withdrawn")}
    nexts = {(g.get("data-source"), g.get("data-dest")) for g in groups(root, "next")}
    assert nexts == {("assessment", "settled"), ("assessment", "withdrawn"), (None, "withdrawn")}
    assert "Notitie" not in text
    # States read at the page's size, transition labels a little smaller: one pixel a point.
    sizes = {float(t.get("font-size", "0")) for g in groups(root, "state") for t in g.iter(f"{SVG}text")}
    assert min(sizes) >= 12 and max(sizes) == 16
    assert {float(t.get("font-size", "0")) for g in edges for t in g.iter(f"{SVG}text")} == {13}
    _left, _top, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert (float(root.get("width", "")), float(root.get("height", ""))) == (width, height)


@needs_dot
def test_graphviz_picture_without_current_marks_nothing() -> None:
    root = parse(real().svg(make_spec(LOOPY)))
    assert not [el for el in root.iter() if el.get("aria-current") is not None]
    assert not groups(root, "next") and not groups(root, "current")
    assert len(groups(root, "state")) == len(LOOPY["states"])


@needs_dot
def test_graphviz_picture_keeps_hostile_labels_as_text() -> None:
    raw = copy.deepcopy(DEMO)
    raw["label"] = 'Proces <script>alert("x")</script>'
    raw["states"]["a"]["label"] = '<img src=x onerror="alert(1)"> & co'
    raw["transitions"][0]["label"] = "<a href='javascript:alert(1)'>klik</a>"
    spec = make_spec(raw)
    for current in (None, "a"):
        text = real().svg(spec, current)
        assert_page_safe(text)
        assert "<script" not in text and "<img" not in text and "<a " not in text
        root = parse(text)
        (a,) = [g for g in groups(root, "state") if g.get("data-state") == "a"]
        assert title(a) == '<img src=x onerror="alert(1)"> & co'
        assert " ".join(texts(a)).startswith("<img src=x")


def test_clean_drops_everything_but_drawing() -> None:
    spec = make_spec(DEMO)
    hostile = (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<!-- c -->\n'
        b'<svg width="100pt" height="50pt" viewBox="0 0 100 50" xmlns="http://www.w3.org/2000/svg"'
        b' xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
        b"<script>alert(1)</script><style>*{}</style>"
        b'<g id="graph0" class="graph" transform="translate(4 46)" style="x" onclick="alert(1)">'
        b'<a xlink:href="javascript:alert(1)"><text>link</text></a>'
        b'<foreignObject><div>html</div></foreignObject><image href="http://example.org/x.png"/>'
        b'<g id="wf-state-0" class="node"><title>a</title>'
        b'<path fill="url(#evil)" stroke="red" d="M0,0L1,1" onmouseover="alert(1)"/>'
        b'<text font-family="Evil" x="1" y="2">Start</text></g>'
        b'<g id="wf-edge-0" class="edge"><polygon points="1,2 3,4" transform="matrix(1 0 0 1 0 0)"/></g>'
        b"</g></svg>"
    )
    text = clean_dot_svg(hostile, spec, "a", drawn_edges(spec))
    assert_page_safe(text)
    gone_words = (
        "script",
        "style",
        "link",
        "html",
        "foreignObject",
        "image",
        "example.org",
        "evil",
        "matrix",
    )
    for gone in gone_words:
        assert gone not in text.replace('class="graph"', ""), gone
    root = parse(text)
    assert root.get("width") == "100" and root.get("height") == "50"
    (state,) = groups(root, "state")
    assert state.get("data-state") == "a" and state.get("aria-current") == "step"
    assert title(state) == "Start" and texts(state) == ["Start"]
    (path,) = state.iter(f"{SVG}path")
    assert path.attrib == {"stroke": "red", "d": "M0,0L1,1"}
    (edge,) = groups(root, "edge")
    assert (edge.get("data-source"), edge.get("data-dest"), title(edge)) == ("a", "b", "Ga: door")
    assert {t.get("font-family") for t in root.iter(f"{SVG}text")} == {"DejaVu Sans, Verdana, sans-serif"}


def test_clean_refuses_what_is_not_a_picture() -> None:
    spec = make_spec(DEMO)
    with pytest.raises(ValueError, match="not an SVG"):
        clean_dot_svg(b"<html/>", spec, None, drawn_edges(spec))
    with pytest.raises(ValueError, match="viewBox"):
        clean_dot_svg(b'<svg xmlns="http://www.w3.org/2000/svg"/>', spec, None, drawn_edges(spec))


# ---------------------------------------------------------------------------------------- cache


def test_dot_runs_once_per_kind_version_and_current_state() -> None:
    graphviz = fake()
    renderer = DiagramRenderer(graphviz)
    spec = make_spec(BIGGER)
    first = renderer.svg(spec, "assessment")
    assert renderer.svg(spec, "assessment") == first
    assert renderer.svg(make_spec(BIGGER), "assessment") == first  # an equal spec, loaded again
    assert len(graphviz.runs) == 1
    renderer.svg(spec, "settled")
    renderer.svg(spec)
    newer = copy.deepcopy(BIGGER) | {"version": 3}
    renderer.svg(make_spec(newer), "assessment")
    assert len(graphviz.runs) == 4
    # The same version with a label changed (an edit that should have raised the version): drawn anew.
    edited = copy.deepcopy(BIGGER)
    edited["states"]["assessment"]["label"] = "Beoordeling"
    renderer.svg(make_spec(edited), "assessment")
    assert len(graphviz.runs) == 5
    assert graphviz.runs[0] == to_dot(spec, "assessment")


def test_cache_keeps_the_most_recently_used() -> None:
    graphviz = fake()
    renderer = DiagramRenderer(graphviz, size=2)
    spec = make_spec(BIGGER)
    renderer.svg(spec, "registered")
    renderer.svg(spec, "assessment")
    renderer.svg(spec, "registered")  # used again: now the newest
    renderer.svg(spec, "settled")  # evicts 'assessment'
    assert len(graphviz.runs) == 3
    renderer.svg(spec, "registered")
    assert len(graphviz.runs) == 3
    renderer.svg(spec, "assessment")
    assert len(graphviz.runs) == 4


def test_unknown_current_refused_before_dot_runs() -> None:
    graphviz = fake()
    with pytest.raises(ValueError, match="unknown state 'nope'"):
        DiagramRenderer(graphviz).svg(make_spec(DEMO), "nope")
    assert graphviz.runs == []


# ------------------------------------------------------------------------------------- fallback


def test_without_graphviz_the_diagram_is_drawn_here_and_the_log_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    renderer = DiagramRenderer(None)
    assert renderer.layout == "builtin"
    spec: WorkflowSpec = make_spec(LOOPY)
    with caplog.at_level(logging.WARNING, logger="claimflow.diagram"):
        text = renderer.svg(spec, "d")
        renderer.svg(spec, "a")
    assert text == to_svg(spec, "d")
    assert parse(text).get("data-layout") == "builtin"
    warnings = [r for r in caplog.records if r.name == "claimflow.diagram"]
    assert len(warnings) == 1
    assert "Graphviz ('dot') not found" in warnings[0].getMessage()
    with pytest.raises(GraphvizError, match="not installed"):
        renderer.png(spec)


def test_a_failing_graphviz_falls_back_once_per_picture(caplog: pytest.LogCaptureFixture) -> None:
    graphviz = fake(fails=True)
    renderer = DiagramRenderer(graphviz)
    spec = make_spec(BIGGER)
    with caplog.at_level(logging.WARNING, logger="claimflow.diagram"):
        assert renderer.svg(spec, "assessment") == to_svg(spec, "assessment")
        assert renderer.svg(spec, "assessment") == to_svg(spec, "assessment")
    assert len(graphviz.runs) == 1
    (record,) = [r for r in caplog.records if r.name == "claimflow.diagram"]
    assert "claim v2: dot: syntax error" in record.getMessage()


def test_graphviz_errors_are_one_exception(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(GraphvizError, match="No such file"):
        Graphviz("/nonexistent/dot").render("digraph {}", "svg")
    if shutil.which("dot"):
        with pytest.raises(GraphvizError, match="syntax error"):
            real_dot = find_graphviz()
            assert real_dot is not None
            real_dot.render("digraph { -> }", "svg")


@needs_dot
def test_png_from_graphviz() -> None:
    assert real().png(make_spec(BIGGER), "assessment").startswith(b"\x89PNG\r\n\x1a\n")
