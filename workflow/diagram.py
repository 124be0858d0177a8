"""Diagrams of a workflow spec: Mermaid `stateDiagram-v2` text and Graphviz DOT.

Both are drawn from the spec alone (states with their labels, transitions with theirs), so a domain
expert can check a spec file against the picture. The output is deterministic: states appear in
spec order, edges in the order of their first transition, and the same spec always gives the same
text. Transitions that share source, destination and label are drawn as one edge; a transition
declared `from: "*"` is one edge per source state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from workflow.spec import WorkflowSpec

__all__ = ["CURRENT_FILL", "to_dot", "to_mermaid"]

CURRENT_FILL = "#ffd54f"

# Words with a meaning of their own in Mermaid's state-diagram grammar; never used as a bare id.
_MERMAID_RESERVED = frozenset(
    {"as", "class", "classdef", "click", "default", "direction", "end", "hide", "note", "state", "style"}
)
_MERMAID_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Mermaid decodes `#<number>;` entity codes in any text; these characters would otherwise end a
# label (`"`, `:`, `;`), start a comment (`%%`), be read as an entity (`#`, `&`) or as markup.
_MERMAID_ESCAPES = {
    "#": "#35;",
    '"': "#34;",
    ":": "#58;",
    ";": "#59;",
    "%": "#37;",
    "&": "#38;",
    "<": "#60;",
    ">": "#62;",
    "{": "#123;",
    "}": "#125;",
}
_WHITESPACE_RUN = re.compile(r"\s+")


def _check_current(spec: WorkflowSpec, current: str | None) -> None:
    if current is not None and current not in spec.states:
        raise ValueError(f"unknown state '{current}' in workflow '{spec.kind}' v{spec.version}")


def _edges(spec: WorkflowSpec) -> list[tuple[str, str, str]]:
    """(source, dest, label) per distinct edge, in the order of the first transition drawing it."""
    seen: dict[tuple[str, str, str], None] = {}
    for t in spec.transitions:
        seen.setdefault((t.source, t.dest, t.label), None)
    return list(seen)


def _one_line(text: str) -> str:
    return _WHITESPACE_RUN.sub(" ", text).strip()


# --------------------------------------------------------------------------------------- Mermaid


def mermaid_escape(text: str) -> str:
    """Text safe inside a Mermaid label: one line, with breaking characters as entity codes."""
    return "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in _one_line(text))


def _mermaid_ids(names: Iterable[str]) -> dict[str, str]:
    """A unique Mermaid-safe id per state name; plain identifiers are kept as they are."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    pending: list[str] = []
    for name in names:
        if _MERMAID_ID.fullmatch(name) and name.lower() not in _MERMAID_RESERVED:
            ids[name] = name
            used.add(name)
        else:
            pending.append(name)
    for name in pending:
        base = "s_" + (re.sub(r"[^A-Za-z0-9_]", "_", name) or "state")
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}_{n}"
        ids[name] = candidate
        used.add(candidate)
    return ids


def to_mermaid(spec: WorkflowSpec, current: str | None = None) -> str:
    """The spec as Mermaid `stateDiagram-v2` text; `current` (a state name) is highlighted."""
    _check_current(spec, current)
    ids = _mermaid_ids(spec.states)
    lines = ["stateDiagram-v2"]
    for name, state in spec.states.items():
        lines.append(f'    state "{mermaid_escape(state.label)}" as {ids[name]}')
    lines.append(f"    [*] --> {ids[spec.initial]}")
    for source, dest, label in _edges(spec):
        lines.append(f"    {ids[source]} --> {ids[dest]} : {mermaid_escape(label)}")
    for name, state in spec.states.items():
        if state.terminal:
            lines.append(f"    {ids[name]} --> [*]")
    if current is not None:
        lines.append(f"    classDef current fill:{CURRENT_FILL},stroke:#f57f17,stroke-width:2px")
        lines.append(f"    class {ids[current]} current")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- DOT


def dot_quote(text: str) -> str:
    """A DOT double-quoted string; backslashes and quotes escaped, line breaks as centred `\\n`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in attrs.items())


def to_dot(spec: WorkflowSpec, current: str | None = None) -> str:
    """The spec as a Graphviz `digraph` (left to right); `current` (a state name) is filled."""
    _check_current(spec, current)
    start = "__start__"
    while start in spec.states:
        start = f"_{start}_"
    lines = [
        f"digraph {dot_quote(f'{spec.kind} v{spec.version}')} {{",
        f"    graph [rankdir=LR, label={dot_quote(spec.label)}, labelloc=t, fontname=Helvetica];",
        "    node [shape=box, style=rounded, fontname=Helvetica];",
        "    edge [fontname=Helvetica, fontsize=10];",
        f'    {dot_quote(start)} [shape=point, label="", width=0.15];',
    ]
    for name, state in spec.states.items():
        attrs = {"label": dot_quote(state.label)}
        if state.terminal:
            attrs["peripheries"] = "2"
        if name == current:
            attrs["style"] = '"rounded,filled,bold"'
            attrs["fillcolor"] = dot_quote(CURRENT_FILL)
        lines.append(f"    {dot_quote(name)} [{_dot_attrs(attrs)}];")
    lines.append(f"    {dot_quote(start)} -> {dot_quote(spec.initial)};")
    for source, dest, label in _edges(spec):
        lines.append(f"    {dot_quote(source)} -> {dot_quote(dest)} [label={dot_quote(label)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
