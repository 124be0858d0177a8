"""Mermaid, Graphviz and SVG diagrams of a workflow spec."""

from __future__ import annotations

import copy
import itertools
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from workflow.diagram import (
    ANY_LABEL,
    CURRENT_FILL,
    CURRENT_MARK,
    DrawnEdge,
    dot_node_id,
    dot_quote,
    drawn_edges,
    mermaid_escape,
    to_dot,
    to_mermaid,
    to_svg,
)
from workflow.spec import SpecVocabulary, StateSpec, TransitionSpec, WorkflowSpec, parse_spec

VOCAB = SpecVocabulary(roles={"handler"})

DEMO: dict[str, Any] = {
    "kind": "demo",
    "version": 1,
    "label": "Demo",
    "initial": "a",
    "states": {"a": {"label": "Start"}, "b": {"label": 'Eind "x"', "terminal": True}},
    "transitions": [{"trigger": "go", "from": "a", "to": "b", "label": "Ga: door", "roles": ["handler"]}],
}

# Several states, a self-loop, two triggers with the same edge and label (merged), a second edge
# between the same states with another label, and a `from: "*"` transition.
BIGGER: dict[str, Any] = {
    "kind": "claim",
    "version": 2,
    "label": 'Schade "BAV"',
    "initial": "registered",
    "states": {
        "registered": {"label": "Gemeld"},
        "assessment": {"label": "In behandeling; dekking?"},
        "settled": {"label": "Afgewikkeld", "terminal": True},
        "withdrawn": {"label": "Ingetrokken \\ vervallen", "terminal": True},
    },
    "transitions": [
        {"trigger": "start", "from": "registered", "to": "assessment", "label": "Start", "roles": "handler"},
        {"trigger": "note", "from": "assessment", "to": "assessment", "label": "Notitie", "roles": "handler"},
        {"trigger": "pay", "from": "assessment", "to": "settled", "label": "Uitkeren", "roles": "handler"},
        {"trigger": "pay2", "from": "assessment", "to": "settled", "label": "Uitkeren", "roles": "handler"},
        {"trigger": "deny", "from": "assessment", "to": "settled", "label": "Afwijzen", "roles": "handler"},
        {"trigger": "withdraw", "from": "*", "to": "withdrawn", "label": "Intrekken", "roles": "handler"},
    ],
}


def make_spec(raw: dict[str, Any]) -> WorkflowSpec:
    return parse_spec(copy.deepcopy(raw), VOCAB, source="test")


@pytest.fixture
def demo() -> WorkflowSpec:
    return make_spec(DEMO)


@pytest.fixture
def bigger() -> WorkflowSpec:
    return make_spec(BIGGER)


# ------------------------------------------------------------------------------------ Mermaid


def test_mermaid_demo_exact(demo: WorkflowSpec) -> None:
    assert to_mermaid(demo) == (
        "stateDiagram-v2\n"
        '    state "Start" as a\n'
        '    state "Eind #34;x#34;" as b\n'
        "    [*] --> a\n"
        "    a --> b : Ga#58; door\n"
        "    b --> [*]\n"
    )


def test_mermaid_every_state_and_edge(bigger: WorkflowSpec) -> None:
    text = to_mermaid(bigger)
    lines = text.splitlines()
    assert lines[0] == "stateDiagram-v2"
    for name, state in bigger.states.items():
        assert f'    state "{mermaid_escape(state.label)}" as {name}' in lines
    assert "    [*] --> registered" in lines
    assert "    settled --> [*]" in lines
    assert "    withdrawn --> [*]" in lines
    assert "    registered --> [*]" not in lines
    for t in bigger.transitions:
        assert f"    {t.source} --> {t.dest} : {mermaid_escape(t.label)}" in lines
    # `from: "*"` draws one edge per open state.
    assert "    registered --> withdrawn : Intrekken" in lines
    assert "    assessment --> withdrawn : Intrekken" in lines
    # Self-loop drawn.
    assert "    assessment --> assessment : Notitie" in lines
    # pay and pay_all share source, dest and label: one edge. deny is another label: its own edge.
    assert lines.count("    assessment --> settled : Uitkeren") == 1
    assert lines.count("    assessment --> settled : Afwijzen") == 1
    assert "classDef" not in text


def test_mermaid_current_marked(bigger: WorkflowSpec) -> None:
    lines = to_mermaid(bigger, current="assessment").splitlines()
    assert any(line.strip().startswith("classDef current fill:#ffd54f") for line in lines)
    assert "    class assessment current" in lines
    assert sum(1 for line in lines if line.strip().startswith("class ")) == 1


def test_mermaid_escaping() -> None:
    assert mermaid_escape('Eind "x"') == "Eind #34;x#34;"
    assert mermaid_escape("a: b; c") == "a#58; b#59; c"
    assert mermaid_escape("100% #1 <b> & {x}") == "100#37; #35;1 #60;b#62; #38; #123;x#125;"
    assert mermaid_escape("twee\nregels\t ") == "twee regels"
    # The label text after the entity codes can hold none of the breaking characters.
    text = mermaid_escape('x"y:z;%%#&<>{}\n')
    assert not re.search(r'[":%<>{}\n&]', text)
    assert not re.search(r";", re.sub(r"#\d+;", "", text))


def test_mermaid_odd_state_names_get_safe_ids() -> None:
    raw = copy.deepcopy(DEMO)
    raw["states"] = {"state": {"label": "S"}, "b-1": {"label": "B"}, "b_1": {"label": "C", "terminal": True}}
    raw["initial"] = "state"
    raw["transitions"] = [
        {"trigger": "x", "from": "state", "to": "b-1", "label": "X", "roles": "handler"},
        {"trigger": "y", "from": "b-1", "to": "b_1", "label": "Y", "roles": "handler"},
    ]
    lines = to_mermaid(make_spec(raw), current="b-1").splitlines()
    assert '    state "S" as s_state' in lines
    assert '    state "B" as s_b_1' in lines
    assert '    state "C" as b_1' in lines
    assert "    s_state --> s_b_1 : X" in lines
    assert "    s_b_1 --> b_1 : Y" in lines
    assert "    class s_b_1 current" in lines


def test_mermaid_deterministic(bigger: WorkflowSpec) -> None:
    assert to_mermaid(bigger) == to_mermaid(make_spec(BIGGER))
    assert to_mermaid(bigger, "settled") == to_mermaid(make_spec(BIGGER), "settled")


def test_unknown_current_refused(demo: WorkflowSpec) -> None:
    with pytest.raises(ValueError, match="unknown state 'nope'"):
        to_mermaid(demo, current="nope")
    with pytest.raises(ValueError, match="unknown state 'nope'"):
        to_dot(demo, current="nope")


# ---------------------------------------------------------------------------------------- DOT


def test_dot_quote() -> None:
    assert dot_quote("plain") == '"plain"'
    assert dot_quote('Eind "x"') == '"Eind \\"x\\""'
    assert dot_quote("a\\b") == '"a\\\\b"'
    assert dot_quote("trailing\\") == '"trailing\\\\"'
    assert dot_quote("twee\r\nregels") == '"twee\\nregels"'


_DOT_ID = r'"(?:[^"\\]|\\.)*"'
_DOT_STATEMENT = re.compile(rf"^    ({_DOT_ID})(?: -> ({_DOT_ID}))?(?: \[(.*)\])?;$")
_DOT_ATTR = re.compile(rf"(\w+)=({_DOT_ID}|<.*>(?=, \w+=|$)|[^,]+)(?:, |$)")


def unquote(text: str) -> str:
    if text.startswith('"'):
        return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text[1:-1])
    return text


def parse_dot(text: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]]]:
    """Nodes (name: attributes) and edges (source, dest, attributes) of to_dot's output."""
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    for line in text.splitlines()[1:-1]:
        if line.startswith(("    graph [", "    node [", "    edge [")):
            continue
        found = _DOT_STATEMENT.match(line)
        assert found, line
        attrs = {m.group(1): unquote(m.group(2)) for m in _DOT_ATTR.finditer(found.group(3) or "")}
        if found.group(2):
            edges.append((unquote(found.group(1)), unquote(found.group(2)), attrs))
        else:
            assert unquote(found.group(1)) not in nodes
            nodes[unquote(found.group(1))] = attrs
    return nodes, edges


def test_dot_demo(demo: WorkflowSpec) -> None:
    text = to_dot(demo)
    assert text.startswith('digraph "demo v1" {\n')
    assert text.endswith("}\n")
    assert "rankdir=TB" in text  # the specs' graphs are deep rather than wide: top to bottom reads best
    assert 'label="Demo (versie 1)"' in text
    nodes, edges = parse_dot(text)
    assert nodes["a"] == {"label": "Start", "id": "wf-state-0"}
    assert nodes["b"]["label"] == 'Eind "x"'
    assert nodes["b"]["peripheries"] == "2"
    assert ("__start__", "a", {}) in edges
    assert ("a", "b", {"label": "Ga: door", "id": "wf-edge-0"}) in edges
    assert "bold" not in text and CURRENT_FILL not in text


def test_drawn_edges_merge_labels_join_sources_and_leave_out_internal(bigger: WorkflowSpec) -> None:
    assert drawn_edges(bigger) == [
        DrawnEdge(("registered",), "assessment", ("Start",)),
        DrawnEdge(("assessment",), "settled", ("Uitkeren", "Afwijzen")),
        DrawnEdge(("registered", "assessment"), "withdrawn", ("Intrekken",)),
    ]


def test_drawn_edges_from_every_open_state_are_one_arrow() -> None:
    raw = copy.deepcopy(LOOPY)
    raw["transitions"] += [
        {"trigger": "close", "from": "*", "to": "e", "label": "Intrekken", "roles": "handler"},
        {"trigger": "deny", "from": ["a", "c", "d"], "to": "f", "label": "Weigeren", "roles": "handler"},
    ]
    edges = drawn_edges(make_spec(raw))
    (anywhere,) = [e for e in edges if e.from_any]
    assert anywhere == DrawnEdge(("a", "b", "c", "d", "f"), "e", ("Intrekken",), True)
    # Weigeren from three of the five open states: a junction, not the 'any' box.
    (deny,) = [e for e in edges if e.dest == "f" and len(e.sources) > 1]
    assert deny == DrawnEdge(("a", "c", "d"), "f", ("Weigeren",))
    text = to_dot(make_spec(raw))
    nodes, dot_edges = parse_dot(text)
    assert nodes["__any__"]["label"] == ANY_LABEL
    assert [(s, a.get("label")) for s, d, a in dot_edges if d == "e" and a.get("style") == "dashed"] == [
        ("__any__", "Intrekken")
    ]


def test_dot_every_state_and_edge(bigger: WorkflowSpec) -> None:
    nodes, edges = parse_dot(to_dot(bigger))
    for index, (name, state) in enumerate(bigger.states.items()):
        assert nodes[name]["label"].replace("\n", " ") == state.label  # wrapped at 22 characters
        assert nodes[name]["id"] == dot_node_id(index)
        assert ("peripheries" in nodes[name]) == state.terminal
    assert nodes["withdrawn"]["label"] == "Ingetrokken \\\nvervallen"
    labelled = {(s, d): a["label"] for s, d, a in edges if "label" in a}
    assert labelled == {
        ("registered", "assessment"): "Start",
        ("assessment", "settled"): "Uitkeren\nAfwijzen",
        ("__any__2", "withdrawn"): "Intrekken",
    }
    assert nodes["__any__2"]["shape"] == "point"
    parts = [(s, a["id"]) for s, d, a in edges if d == "__any__2"]
    assert parts == [("registered", "wf-edge-2-0"), ("assessment", "wf-edge-2-1")]
    assert "Notitie" not in to_dot(bigger)  # internal: left out


def test_dot_current_marked_without_colour_too(bigger: WorkflowSpec) -> None:
    text = to_dot(bigger, current="assessment")
    nodes, edges = parse_dot(text)
    node = nodes["assessment"]
    assert node["label"] == (
        f'<<B>In behandeling;</B><BR/><B>dekking?</B><BR/><FONT POINT-SIZE="12">{CURRENT_MARK}</FONT>>'
    )
    assert node["fillcolor"] == CURRENT_FILL
    assert node["penwidth"] == "3"
    assert "bold" in node["style"]
    assert [name for name, attrs in nodes.items() if "penwidth" in attrs] == ["assessment"]
    blue = {(s, d) for s, d, a in edges if "color" in a}
    assert blue == {("assessment", "settled"), ("assessment", "__any__2"), ("__any__2", "withdrawn")}
    terminal = parse_dot(to_dot(bigger, current="settled"))[0]["settled"]
    assert terminal["peripheries"] == "2" and terminal["fillcolor"] == CURRENT_FILL


def test_dot_html_label_escaped() -> None:
    raw = copy.deepcopy(DEMO)
    raw["states"]["a"]["label"] = 'A <b> & "c"'
    nodes, _ = parse_dot(to_dot(make_spec(raw), current="a"))
    assert nodes["a"]["label"].startswith("<<B>A &lt;b&gt; &amp; &quot;c&quot;</B><BR/>")


def test_dot_long_labels_wrapped(loopy: WorkflowSpec) -> None:
    nodes, edges = parse_dot(to_dot(loopy))
    lines = nodes["b"]["label"].split("\n")
    assert len(lines) > 1 and all(len(line) <= 22 for line in lines)
    assert " ".join(lines) == LOOPY["states"]["b"]["label"]
    (label,) = [a["label"] for s, d, a in edges if (s, d) == ("d", "b")]
    assert label == "Opnieuw onderzoeken"


def test_dot_start_node_does_not_clash() -> None:
    raw = copy.deepcopy(DEMO)
    raw["states"] = {"__start__": {"label": "S"}, "b": {"label": "B", "terminal": True}}
    raw["initial"] = "__start__"
    raw["transitions"][0]["from"] = "__start__"
    text = to_dot(make_spec(raw))
    assert '    "___start___" -> "__start__";' in text


def test_dot_deterministic(bigger: WorkflowSpec) -> None:
    assert to_dot(bigger) == to_dot(make_spec(BIGGER))
    assert to_dot(bigger, "assessment") == to_dot(make_spec(BIGGER), "assessment")


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' is not installed")
@pytest.mark.parametrize("current", [None, "assessment", "withdrawn"])
def test_dot_accepted_by_graphviz(bigger: WorkflowSpec, current: str | None) -> None:
    dot = shutil.which("dot")
    assert dot is not None
    result = subprocess.run(
        [dot, "-Tsvg"], input=to_dot(bigger, current), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout
    assert not result.stderr.strip(), result.stderr
    # Escaped labels come out as the original text (wrapped: one <text> a line).
    assert ">Ingetrokken \\</text>" in result.stdout
    assert "Schade &quot;BAV&quot;" in result.stdout or 'Schade "BAV"' in result.stdout


# ---------------------------------------------------------------------------------------- SVG

SVG = "{http://www.w3.org/2000/svg}"

# Back edges (to an earlier column), edges within a column, a self-loop and labels long enough to wrap.
LOOPY: dict[str, Any] = {
    "kind": "loopy",
    "version": 1,
    "label": "Lussen & <terugwegen>",
    "initial": "a",
    "states": {
        "a": {"label": "Melding ontvangen"},
        "b": {"label": "Dekkingsonderzoek door de behandelaar en de expert samen, met een heel lang label"},
        "c": {"label": "Expertise"},
        "d": {"label": "Regeling"},
        "e": {"label": "Gesloten", "terminal": True},
        "f": {"label": "Afgewezen"},
    },
    "transitions": [
        {"trigger": "t1", "from": "a", "to": "b", "label": "Onderzoeken", "roles": "handler"},
        {"trigger": "t2", "from": "a", "to": "c", "label": "Expert", "roles": "handler"},
        {"trigger": "t3", "from": "b", "to": "c", "label": "Door naar expert", "roles": "handler"},
        {"trigger": "t4", "from": "c", "to": "b", "label": "Terug", "roles": "handler"},
        {"trigger": "t5", "from": "c", "to": "d", "label": "Regelen", "roles": "handler"},
        {"trigger": "t6", "from": "d", "to": "a", "label": "Heropenen", "roles": "handler"},
        {"trigger": "t7", "from": "d", "to": "b", "label": "Opnieuw onderzoeken", "roles": "handler"},
        {"trigger": "t8", "from": "d", "to": "c", "label": "Opnieuw naar expert", "roles": "handler"},
        {"trigger": "t9", "from": "d", "to": "e", "label": "Sluiten", "roles": "handler"},
        {"trigger": "t10", "from": "d", "to": "d", "label": "Notitie", "roles": "handler"},
        {"trigger": "t11", "from": "b", "to": "f", "label": "Afwijzen", "roles": "handler"},
        {"trigger": "t12", "from": "f", "to": "b", "label": "Bezwaar", "roles": "handler"},
        {"trigger": "t13", "from": "f", "to": "e", "label": "Archiveren", "roles": "handler"},
    ],
}


def svg_root(text: str) -> ET.Element:
    root = ET.fromstring(text)
    assert root.tag == f"{SVG}svg"
    return root


def state_groups(root: ET.Element) -> dict[str, ET.Element]:
    groups = [g for g in root.iter(f"{SVG}g") if "data-state" in g.attrib]
    names = [g.attrib["data-state"] for g in groups]
    assert len(names) == len(set(names))
    return dict(zip(names, groups, strict=True))


def box_of(group: ET.Element) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of a state's outer rectangle."""
    (rect,) = [r for r in group.iter(f"{SVG}rect") if r.get("class") == "box"]
    x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
    return x, y, x + float(rect.attrib["width"]), y + float(rect.attrib["height"])


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in root.attrib["viewBox"].split())
    return x, y, x + w, y + h


def edge_paths(root: ET.Element) -> list[ET.Element]:
    return [p for p in root.iter(f"{SVG}path") if "edge" in p.get("class", "").split()]


def path_points(d: str) -> list[tuple[float, float]]:
    """End and control points of absolute M/L/C/Q/H/V path data; a Bezier curve lies within them."""
    points: list[tuple[float, float]] = []
    x = y = 0.0
    tokens = re.findall(r"[A-Za-z]|-?\d+(?:\.\d+)?", d)
    i, command = 0, ""
    while i < len(tokens):
        if tokens[i].isalpha():
            command = tokens[i]
            i += 1
        assert command in "MLCQHV", command
        if command == "H":
            x = float(tokens[i])
            i += 1
        elif command == "V":
            y = float(tokens[i])
            i += 1
        else:
            x, y = float(tokens[i]), float(tokens[i + 1])
            i += 2
        points.append((x, y))
    return points


def title_of(el: ET.Element) -> str | None:
    title = el.find(f"{SVG}title")
    assert title is not None
    return title.text


def label_text(group: ET.Element) -> str:
    (text,) = group.iter(f"{SVG}text")
    return " ".join(span.text or "" for span in text.iter(f"{SVG}tspan"))


@pytest.fixture
def loopy() -> WorkflowSpec:
    return make_spec(LOOPY)


def test_svg_root_is_self_contained(bigger: WorkflowSpec) -> None:
    text = to_svg(bigger)
    root = svg_root(text)
    assert text.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ')
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'Workflow Schade "BAV"'
    assert root[0].tag == f"{SVG}title"
    assert root[0].text == 'Workflow Schade "BAV"'
    assert root.get("font-family") == "system-ui, sans-serif"
    assert {el.get("font-family") for el in root.iter()} == {"system-ui, sans-serif", None}
    # No scripts, styles, links or external resources.
    tags = {el.tag.removeprefix(SVG) for el in root.iter()}
    assert tags <= {"svg", "title", "defs", "marker", "path", "g", "circle", "rect", "text", "tspan"}
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "href" not in text
    for el in root.iter():
        assert not any(name.startswith("on") for name in el.attrib)


def test_svg_every_state_once_with_its_label(bigger: WorkflowSpec) -> None:
    root = svg_root(to_svg(bigger))
    groups = state_groups(root)
    assert list(groups) == list(bigger.states)
    for name, state in bigger.states.items():
        group = groups[name]
        assert title_of(group) == state.label
        assert label_text(group) == state.label
        rects = list(group.iter(f"{SVG}rect"))
        assert len(rects) == (2 if state.terminal else 1)  # terminal: double border
        assert group.get("aria-current") is None
        assert group.get("class") == "state"


def test_svg_current_state_marked(bigger: WorkflowSpec) -> None:
    root = svg_root(to_svg(bigger, current="assessment"))
    marked = [el for el in root.iter() if el.get("aria-current") is not None]
    assert len(marked) == 1
    (group,) = marked
    assert group.get("aria-current") == "step"
    assert group.get("data-state") == "assessment"
    assert group.get("class", "").split() == ["state", "current"]
    filled = [
        g.get("data-state") for g in state_groups(root).values() if CURRENT_FILL in ET.tostring(g, "unicode")
    ]
    assert filled == ["assessment"]
    (box,) = [r for r in group.iter(f"{SVG}rect") if r.get("class") == "box"]
    assert box.get("fill") == CURRENT_FILL
    (text,) = group.iter(f"{SVG}text")
    assert text.get("font-weight") == "bold"
    assert "huidige status: In behandeling; dekking?" in (root.get("aria-label") or "")
    # The current state's ways out are the highlighted arrows.
    nexts = [p for p in edge_paths(root) if "next" in p.get("class", "").split()]
    assert {(p.get("data-source"), p.get("data-dest")) for p in nexts} == {
        ("assessment", "settled"),
        ("assessment", "withdrawn"),
    }


def test_svg_without_current_marks_nothing(bigger: WorkflowSpec) -> None:
    text = to_svg(bigger)
    root = svg_root(text)
    assert CURRENT_FILL not in text
    assert not [el for el in root.iter() if el.get("aria-current") is not None]
    assert not [p for p in edge_paths(root) if "next" in p.get("class", "")]


def test_svg_terminal_current_state(bigger: WorkflowSpec) -> None:
    group = state_groups(svg_root(to_svg(bigger, "settled")))["settled"]
    assert group.get("aria-current") == "step"
    assert len(list(group.iter(f"{SVG}rect"))) == 2


def test_svg_unknown_current_refused(demo: WorkflowSpec) -> None:
    with pytest.raises(ValueError, match="unknown state 'nope'"):
        to_svg(demo, current="nope")


def test_svg_escaping(demo: WorkflowSpec) -> None:
    text = to_svg(demo, current="b")
    root = svg_root(text)
    group = state_groups(root)["b"]
    assert title_of(group) == 'Eind "x"'
    assert label_text(group) == 'Eind "x"'
    (edge,) = edge_paths(root)
    assert title_of(edge) == "Ga: door"

    raw = copy.deepcopy(DEMO)
    raw["label"] = 'Proces <script>alert("x")</script> & co'
    raw["states"]["a"]["label"] = "<b>Start</b> & 'c'"
    raw["transitions"][0]["label"] = 'a < b & "c" > d'
    text = to_svg(make_spec(raw), current="a")
    assert "<b>" not in text
    assert "<script" not in text
    root = svg_root(text)
    assert (
        root.get("aria-label")
        == "Workflow Proces <script>alert(\"x\")</script> & co, huidige status: <b>Start</b> & 'c'"
    )
    group = state_groups(root)["a"]
    assert title_of(group) == "<b>Start</b> & 'c'"
    assert label_text(group) == "<b>Start</b> & 'c'"
    (edge,) = edge_paths(root)
    assert title_of(edge) == 'a < b & "c" > d'


def test_svg_deterministic(bigger: WorkflowSpec, loopy: WorkflowSpec) -> None:
    assert to_svg(bigger) == to_svg(make_spec(BIGGER))
    assert to_svg(bigger, "assessment") == to_svg(make_spec(BIGGER), "assessment")
    assert to_svg(loopy, "d") == to_svg(make_spec(LOOPY), "d")


@pytest.mark.parametrize("raw", [DEMO, BIGGER, LOOPY], ids=["demo", "bigger", "loopy"])
def test_svg_boxes_apart_and_everything_inside_the_view_box(raw: dict[str, Any]) -> None:
    spec = make_spec(raw)
    for current in [None, *spec.states]:
        root = svg_root(to_svg(spec, current))
        left, top, right, bottom = view_box(root)
        assert float(root.attrib["width"]) == right - left
        assert float(root.attrib["height"]) == bottom - top
        boxes = {name: box_of(group) for name, group in state_groups(root).items()}
        for (a, (ax0, ay0, ax1, ay1)), (b, (bx0, by0, bx1, by1)) in itertools.combinations(boxes.items(), 2):
            apart = ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0
            assert apart, f"boxes of {a} and {b} overlap"
        for rect in root.iter(f"{SVG}rect"):
            x, y = float(rect.attrib["x"]), float(rect.attrib["y"])
            assert left <= x and x + float(rect.attrib["width"]) <= right
            assert top <= y and y + float(rect.attrib["height"]) <= bottom
        for path in root.iter(f"{SVG}path"):
            if path.get("d", "").startswith("M 0 0 L 10 5"):  # the arrowhead, in marker units
                continue
            for x, y in path_points(path.attrib["d"]):
                assert left <= x <= right and top <= y <= bottom, (path.get("data-source"), x, y)
        for circle in root.iter(f"{SVG}circle"):
            cx, cy, r = (float(circle.attrib[k]) for k in ("cx", "cy", "r"))
            assert left <= cx - r and cx + r <= right and top <= cy - r and cy + r <= bottom


@pytest.mark.parametrize("raw", [DEMO, BIGGER, LOOPY], ids=["demo", "bigger", "loopy"])
def test_svg_one_arrow_per_pair_of_states(raw: dict[str, Any]) -> None:
    spec = make_spec(raw)
    root = svg_root(to_svg(spec))
    pairs = {(t.source, t.dest) for t in spec.transitions if t.source != t.dest}
    drawn = [(p.get("data-source"), p.get("data-dest")) for p in edge_paths(root)]
    assert len(drawn) == len(pairs)
    assert set(drawn) == pairs
    for path in edge_paths(root):
        pair = (path.get("data-source"), path.get("data-dest"))
        labels = dict.fromkeys(t.label for t in spec.transitions if (t.source, t.dest) == pair)
        assert title_of(path) == " / ".join(labels)
        assert path.get("marker-end") == "url(#wf-arrow)"


def test_svg_arrow_titles_join_labels(bigger: WorkflowSpec) -> None:
    root = svg_root(to_svg(bigger))
    titles = {(p.get("data-source"), p.get("data-dest")): title_of(p) for p in edge_paths(root)}
    assert titles == {
        ("registered", "assessment"): "Start",
        ("assessment", "settled"): "Uitkeren / Afwijzen",
        ("registered", "withdrawn"): "Intrekken",
        ("assessment", "withdrawn"): "Intrekken",
    }
    # The internal transition (Notitie) is not drawn.
    assert "Notitie" not in to_svg(bigger)


def test_svg_columns_by_distance_from_initial(loopy: WorkflowSpec) -> None:
    boxes = {name: box_of(group) for name, group in state_groups(svg_root(to_svg(loopy))).items()}
    column = {name: box[0] for name, box in boxes.items()}
    # a: 0; b, c: 1; d, f: 2; e: 3.
    assert column["a"] < column["b"] == column["c"] < column["d"] == column["f"] < column["e"]
    # Spec order within a column.
    assert boxes["b"][1] < boxes["c"][1]
    assert boxes["d"][1] < boxes["f"][1]


def test_svg_unreachable_state_in_last_column() -> None:
    states = {
        "a": StateSpec("a", "A"),
        "z": StateSpec("z", "Los"),
        "b": StateSpec("b", "B", terminal=True),
    }
    transitions = (
        TransitionSpec("go", "a", "b", "Ga", ("handler",)),
        TransitionSpec("back", "z", "a", "Terug", ("handler",)),
    )
    spec = WorkflowSpec("x", 1, "X", "a", states, transitions)
    root = svg_root(to_svg(spec))
    boxes = {name: box_of(group) for name, group in state_groups(root).items()}
    assert boxes["a"][0] < boxes["b"][0] < boxes["z"][0]
    assert len(edge_paths(root)) == 2


def test_svg_long_labels_wrapped(loopy: WorkflowSpec) -> None:
    group = state_groups(svg_root(to_svg(loopy)))["b"]
    (text,) = group.iter(f"{SVG}text")
    lines = [span.text or "" for span in text.iter(f"{SVG}tspan")]
    assert 2 <= len(lines) <= 3
    assert all(len(line) <= 18 for line in lines)
    assert lines[-1].endswith("…")
    assert lines[0] == "Dekkingsonderzoek"
    # The full label stays available on hover.
    assert title_of(group) == LOOPY["states"]["b"]["label"]


def test_svg_id_prefix(demo: WorkflowSpec) -> None:
    first, second = to_svg(demo), to_svg(demo, "a", id_prefix="wf2")
    ids = [el.get("id") for el in svg_root(first).iter() if el.get("id")]
    assert ids == ["wf-arrow", "wf-arrow-next"]
    ids2 = [el.get("id") for el in svg_root(second).iter() if el.get("id")]
    assert ids2 == ["wf2-arrow", "wf2-arrow-next"]
    assert "url(#wf2-arrow-next)" in second
    assert "#wf-" not in second
    for bad in ["", "1x", "a b", 'x"y', "x>"]:
        with pytest.raises(ValueError, match="id_prefix"):
            to_svg(demo, id_prefix=bad)
