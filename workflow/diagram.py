"""Diagrams of a workflow spec: Mermaid `stateDiagram-v2` text, Graphviz DOT and a self-drawn SVG.

All three are drawn from the spec alone (states with their labels, transitions with theirs), so a domain
expert can check a spec file against the picture. The output is deterministic: states appear in
spec order, edges in the order of their first transition, and the same spec always gives the same
text. The DOT is what pages show once Graphviz has laid it out (workflow.diagram_render): one arrow
per pair of states, transitions that several states share joined, internal ones left out. The SVG
needs no external tool: it is laid out here, in columns by distance from the initial state, and is
what pages show where Graphviz is not installed.
"""

from __future__ import annotations

import re
import textwrap
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from workflow.spec import WorkflowSpec
from workflow.svgtext import svg_number as _num
from workflow.svgtext import xml_attr as _xml_attr
from workflow.svgtext import xml_text as _xml_text

__all__ = ["CURRENT_FILL", "DrawnEdge", "diagram_title", "drawn_edges", "to_dot", "to_mermaid", "to_svg"]

CURRENT_FILL = "#ffd54f"
# One palette for both drawings.
_INK = "#1f2933"
_BOX_FILL = "#f5f7fa"
_BOX_STROKE = "#7b8794"
_EDGE_STROKE = "#9aa5b1"
_ACCENT = "#2f6eb5"
_CURRENT_STROKE = "#b7791f"
_TERMINAL_FILL = "#e4e7eb"

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


def diagram_title(spec: WorkflowSpec, current: str | None) -> str:
    """What a picture of the spec is called for a screen reader: the workflow and its current state."""
    title = f"Workflow {_one_line(spec.label)}"
    if current is not None:
        title += f", huidige status: {_one_line(spec.states[current].label)}"
    return title


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

# What Graphviz draws with: a font it finds through fontconfig on Debian (fonts-dejavu-core comes with
# graphviz) and that is wide enough that a browser falling back to another sans-serif never overflows.
DOT_FONT = "DejaVu Sans"
CURRENT_MARK = "▶ huidige fase"  # the current state's second line: the mark that needs no colour
ANY_LABEL = "Vanuit elke open fase"
_NODE_WRAP = 22  # characters per line of a state's label ...
_EDGE_WRAP = 20  # ... and of a transition's
_ANY_MIN_SOURCES = 3  # a (destination, label) reached from this many open states or more: drawn once


@dataclass(frozen=True)
class DrawnEdge:
    """One labelled arrow of the Graphviz diagram into `dest`, its labels in spec order.

    With one source it is a plain arrow. Transitions with one label into one destination from several
    states meet in a junction dot first, so the label is written once; when every open state other
    than `dest` has them (withdrawing the claim, say), `from_any` is set and they are one arrow from
    the 'any' box instead of one line per state.
    """

    sources: tuple[str, ...]
    dest: str
    labels: tuple[str, ...]
    from_any: bool = False


def drawn_edges(spec: WorkflowSpec) -> list[DrawnEdge]:
    """The arrows of the Graphviz diagram, in the order of their first transition.

    Internal transitions (back to the same state) are left out: they change nothing in the picture,
    and the specs give most states several.
    """
    open_states = {name for name, state in spec.states.items() if not state.terminal}
    moves = [(source, dest, label) for source, dest, label in _edges(spec) if source != dest]
    sources: dict[tuple[str, str], list[str]] = {}
    for source, dest, label in moves:
        sources.setdefault((dest, label), []).append(source)
    pairs: dict[tuple[str, str], list[str]] = {}  # single-source labels, merged per pair of states
    drawn: dict[object, DrawnEdge] = {}
    for source, dest, label in moves:
        found = sources[(dest, label)]
        if len(found) == 1:
            if (source, dest) not in pairs:
                pairs[(source, dest)] = []
                drawn[(source, dest)] = DrawnEdge((source,), dest, ())
            pairs[(source, dest)].append(label)
        elif (dest, label) not in drawn:
            from_any = len(found) >= _ANY_MIN_SOURCES and set(found) >= open_states - {dest}
            drawn[(dest, label)] = DrawnEdge(tuple(found), dest, (label,), from_any)
    return [
        DrawnEdge(e.sources, e.dest, tuple(pairs[key]), e.from_any) if key in pairs else e
        for key, e in drawn.items()
    ]


def dot_quote(text: str) -> str:
    """A DOT double-quoted string; backslashes and quotes escaped, line breaks as centred `\\n`."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _dot_html(text: str) -> str:
    """Text inside a Graphviz HTML-like label."""
    return _xml_text(text).replace('"', "&quot;")


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in attrs.items())


def _dot_lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(_one_line(text), width, break_on_hyphens=False) or [_one_line(text)]


def dot_node_id(index: int) -> str:
    """The `id` Graphviz gives the drawing of the state at `index` (spec order)."""
    return f"wf-state-{index}"


def dot_edge_id(index: int) -> str:
    """The `id` Graphviz gives the drawing of `drawn_edges(spec)[index]`."""
    return f"wf-edge-{index}"


def to_dot(spec: WorkflowSpec, current: str | None = None) -> str:
    """The spec as a Graphviz `digraph`, top to bottom, as the web page and `workflows diagram` draw it.

    States are rounded boxes, terminal ones with a double border; `current` (a state name) is filled,
    drawn with a heavy border and a second line naming it the current state (so it reads without
    colour too), and its ways out are blue. Arrows are as `drawn_edges` gives them, labels wrapped.
    Each state and arrow carries an `id` (`dot_node_id`, `dot_edge_id`) for finding it in the output.
    """
    _check_current(spec, current)
    taken = set(spec.states)
    start, anywhere = "__start__", "__any__"
    while start in taken:
        start = f"_{start}_"
    while anywhere in taken:
        anywhere = f"_{anywhere}_"
    font = dot_quote(DOT_FONT)
    title = f"{_one_line(spec.label)} (versie {spec.version})"
    lines = [
        f"digraph {dot_quote(f'{spec.kind} v{spec.version}')} {{",
        f"    graph [rankdir=TB, label={dot_quote(title)}, labelloc=t, fontname={font}, fontsize=17,"
        ' fontcolor="#1f2933", nodesep=0.35, ranksep=0.45, pad=0.25, bgcolor=transparent];',
        f'    node [shape=box, style="rounded,filled", fontname={font}, fontsize=16, fontcolor="{_INK}",'
        f' fillcolor="{_BOX_FILL}", color="{_BOX_STROKE}", penwidth=1.2, margin="0.22,0.1"];',
        f'    edge [fontname={font}, fontsize=13, fontcolor="#3e4c59", color="{_EDGE_STROKE}",'
        " penwidth=1.3, arrowsize=0.8];",
        f'    {dot_quote(start)} [shape=circle, style=filled, fillcolor="{_INK}", color="{_INK}",'
        ' label="", width=0.2, id="wf-start"];',
    ]
    for index, (name, state) in enumerate(spec.states.items()):
        wrapped = _dot_lines(state.label, _NODE_WRAP)
        attrs = {"label": dot_quote("\n".join(wrapped)), "id": dot_quote(dot_node_id(index))}
        if state.terminal:
            attrs["peripheries"] = "2"
            attrs["fillcolor"] = dot_quote(_TERMINAL_FILL)
        if name == current:
            spans = "<BR/>".join(f"<B>{_dot_html(line)}</B>" for line in wrapped)
            attrs["label"] = f'<{spans}<BR/><FONT POINT-SIZE="12">{_dot_html(CURRENT_MARK)}</FONT>>'
            attrs["style"] = '"rounded,filled,bold"'
            attrs["fillcolor"] = dot_quote(CURRENT_FILL)
            attrs["color"] = dot_quote(_CURRENT_STROKE)
            attrs["penwidth"] = "3"
        lines.append(f"    {dot_quote(name)} [{_dot_attrs(attrs)}];")
    edges = drawn_edges(spec)
    if any(e.from_any for e in edges):
        lines.append(
            f'    {dot_quote(anywhere)} [label={dot_quote(ANY_LABEL)}, style="rounded,dashed",'
            f' fillcolor="{_BOX_FILL}", color="{_EDGE_STROKE}", fontcolor="#52606d", fontsize=13,'
            ' id="wf-any"];'
        )
    lines.append(f"    {dot_quote(start)} -> {dot_quote(spec.initial)};")
    next_style = {"color": dot_quote(_ACCENT), "fontcolor": dot_quote(_ACCENT), "penwidth": "2.2"}
    for index, e in enumerate(edges):
        label = "\n".join(line for text in e.labels for line in _dot_lines(text, _EDGE_WRAP))
        attrs = {"label": dot_quote(label), "id": dot_quote(dot_edge_id(index))}
        if e.from_any:
            attrs["style"] = "dashed"
            lines.append(f"    {dot_quote(anywhere)} -> {dot_quote(e.dest)} [{_dot_attrs(attrs)}];")
            continue
        if len(e.sources) == 1:
            if e.sources[0] == current:
                attrs |= next_style
            lines.append(f"    {dot_quote(e.sources[0])} -> {dot_quote(e.dest)} [{_dot_attrs(attrs)}];")
            continue
        junction = dot_quote(f"{anywhere}{index}")
        lines.append(
            f'    {junction} [shape=point, width=0.09, style=filled, fillcolor="{_EDGE_STROKE}",'
            f' color="{_EDGE_STROKE}",'
            f" id={dot_quote(dot_edge_id(index) + '-j')}];"
        )
        for k, source in enumerate(e.sources):
            part = {"arrowhead": "none", "id": dot_quote(f"{dot_edge_id(index)}-{k}")}
            if source == current:
                part |= next_style
            lines.append(f"    {dot_quote(source)} -> {junction} [{_dot_attrs(part)}];")
        if current in e.sources:
            attrs |= next_style
        lines.append(f"    {junction} -> {dot_quote(e.dest)} [{_dot_attrs(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- SVG

_SVG_FONT = "system-ui, sans-serif"
_SVG_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")

_BOX_W = 156  # a state box; its height follows from the longest wrapped label
_LINE_H = 16
_WRAP = 18  # characters per label line
_MAX_LINES = 3
_ROW_GAP = 26
_MIN_GAP = 72  # between columns
_PAD = 16
_START = 34  # left of the first column: the start dot and its arrow
_EXIT = 12  # a back edge's vertical run, this far right of its source column ...
_ENTRY = 18  # ... and this far left of its destination column
_LANE_STEP = 7  # between vertical runs in one gap
_BAND = 16  # a back edge's horizontal run, this far above or below the boxes
_BAND_STEP = 9  # between horizontal runs
_RADIUS = 6  # corners of a back edge


@dataclass
class _SvgEdge:
    """One drawn arrow: every transition from `source` to `dest`, whatever its label."""

    order: int
    source: str
    dest: str
    labels: list[str]
    kind: str  # 'forward' (next column), 'same' (same column) or 'back' (an earlier column)
    side: int = 1  # a back edge runs above (-1) or below (+1) the boxes ...
    lane: int = 0  # ... on this horizontal lane, counted outwards
    exit_k: int = 0  # its vertical run in the gap right of the source column, counted outwards
    entry_k: int = 0  # its vertical run in the gap left of the destination column, counted outwards
    ports: dict[str, float] = field(default_factory=dict)  # 's', 'd': y where it leaves and enters


def _d(*parts: str | float) -> str:
    """Path data: commands as given, numbers to one decimal."""
    return " ".join(p if isinstance(p, str) else _num(p) for p in parts)


def _wrap(label: str) -> list[str]:
    text = _one_line(label)
    wrapped = textwrap.wrap(text, _WRAP, max_lines=_MAX_LINES, placeholder=" …", break_on_hyphens=False)
    return wrapped or [text]


def _svg_layers(spec: WorkflowSpec) -> dict[str, int]:
    """Column per state: its distance from the initial state; unreachable states after the rest."""
    succ: dict[str, list[str]] = {name: [] for name in spec.states}
    for source, dest, _ in _edges(spec):
        if source != dest:
            succ[source].append(dest)
    layer = {spec.initial: 0}
    queue = deque([spec.initial])
    while queue:
        name = queue.popleft()
        for nxt in succ[name]:
            if nxt not in layer:
                layer[nxt] = layer[name] + 1
                queue.append(nxt)
    after = max(layer.values()) + 1
    return {name: layer.get(name, after) for name in spec.states}


def _lanes_width(count: int, first: int) -> int:
    return first + _LANE_STEP * (count - 1) if count else 0


def to_svg(spec: WorkflowSpec, current: str | None = None, *, id_prefix: str = "wf") -> str:
    """The spec as a standalone SVG picture for inline use in HTML; `current` is filled and marked.

    States are boxes in columns by distance from the initial state (states no transition reaches
    come last), in spec order within a column; terminal states have a double border. Each group of
    transitions between the same two states is one arrow, its labels in the arrow's `<title>`
    (shown on hover). Arrows to the next column are curves; arrows back to an earlier column run
    round above or below the boxes; arrows within a column bulge out on the right; the current
    state's ways out are blue. Internal transitions (back to the same state) are left out: they
    change nothing in the picture. Each state is a `<g data-state="name">`, the current one with
    `class="current"` and `aria-current="step"`; each arrow a `<path class="edge">`. `id_prefix`
    starts the ids in `<defs>`, so two diagrams can share a page. Unknown `current`: ValueError.
    """
    _check_current(spec, current)
    if not _SVG_ID.fullmatch(id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r} is not usable as an XML id")

    # Columns and rows; box tops relative to the top of the grid of boxes.
    layer = _svg_layers(spec)
    n_cols = max(layer.values()) + 1
    columns = [[name for name in spec.states if layer[name] == col] for col in range(n_cols)]
    lines = {name: _wrap(state.label) for name, state in spec.states.items()}
    box_h = _LINE_H * max(len(v) for v in lines.values()) + 18
    step = box_h + _ROW_GAP
    grid_h = max(len(col) for col in columns) * step - _ROW_GAP
    top: dict[str, float] = {}
    for col in columns:
        offset = (grid_h - (len(col) * step - _ROW_GAP)) / 2
        for row, name in enumerate(col):
            top[name] = offset + row * step

    # Arrows, and how many back-edge runs each gap between columns holds (gap g: right of column g).
    merged: dict[tuple[str, str], list[str]] = {}
    for source, dest, label in _edges(spec):
        if source != dest:
            merged.setdefault((source, dest), []).append(label)
    edges: list[_SvgEdge] = []
    for order, ((source, dest), labels) in enumerate(merged.items()):
        delta = layer[dest] - layer[source]
        kind = "forward" if delta > 0 else "same" if delta == 0 else "back"
        edges.append(_SvgEdge(order, source, dest, labels, kind))
    back = [e for e in edges if e.kind == "back"]
    exits = {g: [e for e in back if layer[e.source] == g] for g in range(-1, n_cols)}
    entries = {g: [e for e in back if layer[e.dest] - 1 == g] for g in range(-1, n_cols)}
    bulge = {e.order: min(24 + 8 * (abs(top[e.dest] - top[e.source]) / step - 1), 48) for e in edges}
    reach = {g: 0.0 for g in range(n_cols)}  # how far same-column curves reach into the gap
    for e in edges:
        if e.kind == "same":
            reach[layer[e.source]] = max(reach[layer[e.source]], 0.75 * bulge[e.order])

    def runs(g: int) -> int:
        return _lanes_width(len(exits[g]), _EXIT) + _lanes_width(len(entries[g]), _ENTRY)

    col_x = [float(_PAD + _START + runs(-1))]
    for g in range(n_cols - 1):
        col_x.append(col_x[-1] + _BOX_W + max(_MIN_GAP, runs(g) + 16, reach[g] + 24))
    width = col_x[-1] + _BOX_W + max(runs(n_cols - 1) + 4, reach[n_cols - 1] + 4) + _PAD

    # Back edges: above or below, whichever is nearer; then horizontal lanes packed outwards so that
    # runs on one lane never overlap, shortest runs nearest the boxes.
    def span(e: _SvgEdge) -> tuple[float, float]:
        low = col_x[layer[e.dest]] - _lanes_width(len(entries[layer[e.dest] - 1]), _ENTRY)
        high = col_x[layer[e.source]] + _BOX_W + _lanes_width(len(exits[layer[e.source]]), _EXIT)
        return low, high

    for e in back:
        mid_s, mid_d = top[e.source] + box_h / 2, top[e.dest] + box_h / 2
        e.side = -1 if mid_s + mid_d < 2 * grid_h - mid_s - mid_d else 1
    n_lanes = {-1: 0, 1: 0}
    for side in (-1, 1):
        taken: list[list[tuple[float, float]]] = []
        for e in sorted(
            (e for e in back if e.side == side), key=lambda e: (span(e)[1] - span(e)[0], e.order)
        ):
            low, high = span(e)
            lane = next(
                (i for i, used in enumerate(taken) if all(high < a or low > b for a, b in used)), len(taken)
            )
            if lane == len(taken):
                taken.append([])
            taken[lane].append((low, high))
            e.lane = lane
        n_lanes[side] = len(taken)
    for g in range(-1, n_cols):
        for k, e in enumerate(sorted(exits[g], key=lambda e: (e.lane, e.side, e.order))):
            e.exit_k = k
        for k, e in enumerate(sorted(entries[g], key=lambda e: (e.lane, e.side, e.order))):
            e.entry_k = k

    grid_top = _PAD + _lanes_width(n_lanes[-1], _BAND)
    grid_bottom = grid_top + grid_h
    height = grid_bottom + _lanes_width(n_lanes[1], _BAND) + _PAD
    box_x = {name: col_x[layer[name]] for name in spec.states}
    box_y = {name: grid_top + top[name] for name in spec.states}

    # Ports: where arrows meet a box side, spread evenly, in an order that keeps crossings down.
    ports: dict[tuple[str, str], list[tuple[tuple[int, float, int], _SvgEdge | None, str]]] = {}

    def port(name: str, side: str, key: tuple[int, float, int], edge: _SvgEdge | None, end: str) -> None:
        ports.setdefault((name, side), []).append((key, edge, end))

    port(spec.initial, "L", (1, top[spec.initial], -1), None, "start")
    for e in edges:
        if e.kind == "back":
            group, rank = (0, float(e.lane)) if e.side < 0 else (2, float(-e.lane))
            port(e.source, "R", (group, rank, e.order), e, "s")
            port(e.dest, "L", (group, rank, e.order), e, "d")
        else:
            port(e.source, "R", (1, top[e.dest], e.order), e, "s")
            port(e.dest, "R" if e.kind == "same" else "L", (1, top[e.source], e.order), e, "d")
    start_y = box_y[spec.initial] + box_h / 2
    for (name, _), items in ports.items():
        items.sort(key=lambda item: item[0])
        for i, (_, edge, end) in enumerate(items):
            y = box_y[name] + box_h * (i + 1) / (len(items) + 1)
            if edge is None:
                start_y = y
            else:
                edge.ports[end] = y

    def path(e: _SvgEdge) -> str:
        y0, y1 = e.ports["s"], e.ports["d"]
        x0 = box_x[e.source] + _BOX_W
        if e.kind == "forward":
            x1 = box_x[e.dest]
            mid = (x1 - x0) / 2
            return _d("M", x0, y0, "C", x0 + mid, y0, x1 - mid, y1, x1, y1)
        if e.kind == "same":
            b = bulge[e.order]
            return _d("M", x0, y0, "C", x0 + b, y0, x0 + b, y1, x0, y1)
        x1 = box_x[e.dest]
        xe = x0 + _EXIT + _LANE_STEP * e.exit_k
        xd = x1 - _ENTRY - _LANE_STEP * e.entry_k
        s, r = e.side, _RADIUS
        lane_y = (
            grid_top - _BAND - _BAND_STEP * e.lane if s < 0 else grid_bottom + _BAND + _BAND_STEP * e.lane
        )
        return _d(
            *("M", x0, y0, "H", xe - r, "Q", xe, y0, xe, y0 + s * r, "V", lane_y - s * r),
            *("Q", xe, lane_y, xe - r, lane_y, "H", xd + r, "Q", xd, lane_y, xd, lane_y - s * r),
            *("V", y1 + s * r, "Q", xd, y1, xd + r, y1, "H", x1),
        )

    # Drawing: arrows first, the current state's way out last (on top), then the boxes.
    title = diagram_title(spec, current)
    w, h = int(-(-width // 1)), int(-(-height // 1))
    arrow, arrow_next = f"{id_prefix}-arrow", f"{id_prefix}-arrow-next"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}"'
        f' role="img" aria-label={_xml_attr(title)} class="workflow-diagram" data-layout="builtin"'
        f' font-family="{_SVG_FONT}" font-size="13">',
        f"<title>{_xml_text(title)}</title>",
        "<defs>",
    ]
    for marker_id, colour in ((arrow, _EDGE_STROKE), (arrow_next, _ACCENT)):
        out.append(
            f'<marker id="{marker_id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8"'
            f' markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
            f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
        )
    out.append("</defs>")
    out.append('<g class="edges" fill="none" stroke-width="1.5">')
    for e in sorted(edges, key=lambda e: (e.source == current, e.order)):
        nxt = e.source == current
        out.append(
            f'<path class="{"edge next" if nxt else "edge"}" data-source={_xml_attr(e.source)}'
            f' data-dest={_xml_attr(e.dest)} d="{path(e)}" stroke="{_ACCENT if nxt else _EDGE_STROKE}"'
            f' marker-end="url(#{arrow_next if nxt else arrow})">'
            f"<title>{_xml_text(' / '.join(_one_line(label) for label in e.labels))}</title></path>"
        )
    start_x = _PAD + 5
    out.append(
        f'<g class="start"><circle cx="{_num(start_x)}" cy="{_num(start_y)}" r="5" fill="{_INK}"/>'
        f'<path d="M {_num(start_x + 5)} {_num(start_y)} H {_num(col_x[0])}" stroke="{_INK}"'
        f' marker-end="url(#{arrow})"/></g>'
    )
    out.append("</g>")
    for name, state in spec.states.items():
        x, y = box_x[name], box_y[name]
        is_current = name == current
        attrs = (
            f'class="state current" data-state={_xml_attr(name)} aria-current="step"'
            if is_current
            else (f'class="state" data-state={_xml_attr(name)}')
        )
        fill, stroke, stroke_w = (
            (CURRENT_FILL, _CURRENT_STROKE, "2") if is_current else (_BOX_FILL, _BOX_STROKE, "1.2")
        )
        out.append(f"<g {attrs}><title>{_xml_text(_one_line(state.label))}</title>")
        out.append(
            f'<rect class="box" x="{_num(x)}" y="{_num(y)}" width="{_BOX_W}" height="{box_h}" rx="8"'
            f' fill="{fill}" stroke="{stroke}" stroke-width="{stroke_w}"/>'
        )
        if state.terminal:
            out.append(
                f'<rect class="inner" x="{_num(x + 4)}" y="{_num(y + 4)}" width="{_BOX_W - 8}"'
                f' height="{box_h - 8}" rx="5" fill="none" stroke="{stroke}" stroke-width="1"/>'
            )
        cx = x + _BOX_W / 2
        first = y + box_h / 2 - (len(lines[name]) - 1) * _LINE_H / 2 + 4.5
        weight = ' font-weight="bold"' if is_current else ""
        spans = "".join(
            f'<tspan x="{_num(cx)}" y="{_num(first + i * _LINE_H)}">{_xml_text(line)}</tspan>'
            for i, line in enumerate(lines[name])
        )
        out.append(f'<text text-anchor="middle" fill="{_INK}"{weight}>{spans}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
