"""Mermaid and Graphviz diagrams of a workflow spec."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from typing import Any

import pytest

from workflow.diagram import dot_quote, mermaid_escape, to_dot, to_mermaid
from workflow.spec import SpecVocabulary, WorkflowSpec, parse_spec

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


def test_dot_demo(demo: WorkflowSpec) -> None:
    text = to_dot(demo)
    assert text.startswith('digraph "demo v1" {\n')
    assert text.endswith("}\n")
    assert "rankdir=LR" in text
    assert '    "a" [label="Start"];' in text
    assert '    "b" [label="Eind \\"x\\"", peripheries=2];' in text
    assert '    "__start__" -> "a";' in text
    assert '    "a" -> "b" [label="Ga: door"];' in text
    assert "filled" not in text


def test_dot_every_state_and_edge(bigger: WorkflowSpec) -> None:
    lines = to_dot(bigger).splitlines()
    for name, state in bigger.states.items():
        node = [line for line in lines if line.startswith(f"    {dot_quote(name)} [")]
        assert len(node) == 1
        assert f"label={dot_quote(state.label)}" in node[0]
        assert ("peripheries=2" in node[0]) == state.terminal
    for t in bigger.transitions:
        edge = f"    {dot_quote(t.source)} -> {dot_quote(t.dest)} [label={dot_quote(t.label)}];"
        assert lines.count(edge) == 1
    assert '    "assessment" -> "assessment" [label="Notitie"];' in lines
    assert '    "registered" -> "withdrawn" [label="Intrekken"];' in lines
    assert '    "assessment" -> "withdrawn" [label="Intrekken"];' in lines
    assert '    "withdrawn" [label="Ingetrokken \\\\ vervallen", peripheries=2];' in lines
    assert sum(1 for line in lines if " -> " in line) == 7  # 6 distinct edges + the start arrow


def test_dot_current_filled(bigger: WorkflowSpec) -> None:
    lines = to_dot(bigger, current="settled").splitlines()
    (node,) = [line for line in lines if line.startswith('    "settled" [')]
    assert "filled" in node
    assert 'fillcolor="#ffd54f"' in node
    assert "peripheries=2" in node
    assert sum(1 for line in lines if "filled" in line) == 1


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
    # Escaped labels come out as the original text.
    assert "Ingetrokken \\ vervallen" in result.stdout
    assert "Schade &quot;BAV&quot;" in result.stdout or 'Schade "BAV"' in result.stdout
