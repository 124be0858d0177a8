"""Graphviz's SVG made fit for a page: drawing elements only, states and arrows named for the page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from workflow.diagram import ANY_LABEL, DrawnEdge, diagram_title, dot_edge_id, dot_node_id
from workflow.spec import WorkflowSpec
from workflow.svgtext import xml_attr, xml_text

__all__ = ["clean_dot_svg"]

_NS = "{http://www.w3.org/2000/svg}"
# Drawing only: no script, style, link (`a`), image, foreignObject or anything else that fetches or runs.
_ELEMENTS = frozenset({"g", "path", "polygon", "polyline", "ellipse", "text"})
_ATTRIBUTES = frozenset(
    {
        *("fill", "stroke", "stroke-width", "stroke-dasharray", "fill-opacity", "stroke-opacity"),
        *("d", "points", "cx", "cy", "rx", "ry", "x", "y", "transform"),
        *("text-anchor", "font-family", "font-size", "font-weight", "font-style"),
    }
)
# Colours, numbers, names: no `url(...)`, no `javascript:`, no entity or markup.
_SAFE_VALUE = re.compile(r"[#A-Za-z0-9 .,\-]*")
_SAFE_TRANSFORM = re.compile(r"(?:(?:scale|rotate|translate)\([-0-9. ]*\)\s*)*")
# Graphviz measured the text in DejaVu Sans; a browser without it takes a wide sans-serif, so it still fits.
_FONT_FAMILY = "DejaVu Sans, Verdana, sans-serif"


class _Names:
    """What each of the ids `to_dot` gave becomes on the page: class, data attributes, title."""

    def __init__(self, spec: WorkflowSpec, edges: list[DrawnEdge], current: str | None) -> None:
        self.by_id: dict[str, tuple[dict[str, str], str | None]] = {
            "wf-start": ({"class": "start"}, "Begin"),
            "wf-any": ({"class": "any"}, ANY_LABEL),
        }
        for index, (name, state) in enumerate(spec.states.items()):
            attrs = {"class": "state current" if name == current else "state", "data-state": name}
            if state.terminal:
                attrs["class"] += " terminal"
            if name == current:
                attrs["aria-current"] = "step"
            self.by_id[dot_node_id(index)] = (attrs, " ".join(state.label.split()))
        for index, e in enumerate(edges):
            edge_id, title = dot_edge_id(index), " / ".join(" ".join(x.split()) for x in e.labels)
            nxt = current in e.sources and not e.from_any
            attrs = {"class": "edge next" if nxt else "edge", "data-dest": e.dest}
            if e.from_any:
                attrs["data-source"] = "*"
            elif len(e.sources) == 1:
                attrs["data-source"] = e.sources[0]
            self.by_id[edge_id] = (attrs, title)
            self.by_id[f"{edge_id}-j"] = ({"class": "junction"}, None)
            for k, source in enumerate(e.sources):
                part = "edge part next" if source == current else "edge part"
                self.by_id[f"{edge_id}-{k}"] = (
                    {"class": part, "data-source": source, "data-dest": e.dest},
                    title,
                )

    def of(self, element: ET.Element) -> tuple[dict[str, str], str | None]:
        # A group without one of our ids is the start arrow, the one edge to_dot gives none.
        return self.by_id.get(element.get("id", ""), ({"class": "start"}, None))


def _attributes(element: ET.Element) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name, value in element.attrib.items():
        if name not in _ATTRIBUTES:
            continue
        if name == "transform":
            if _SAFE_TRANSFORM.fullmatch(value):
                kept[name] = value
        elif name == "font-family":
            kept[name] = _FONT_FAMILY
        elif _SAFE_VALUE.fullmatch(value):
            kept[name] = value
    return kept


def _write(element: ET.Element, names: _Names, out: list[str], depth: int) -> None:
    tag = element.tag.removeprefix(_NS)
    if tag not in _ELEMENTS:
        return
    attrs = _attributes(element)
    title: str | None = None
    if tag == "g" and depth > 0:
        extra, title = names.of(element)
        attrs = extra | attrs
    elif tag == "g":
        attrs["class"] = "graph"
    rendered = "".join(f" {name}={xml_attr(value)}" for name, value in attrs.items())
    if tag == "text":
        out.append(f"<text{rendered}>{xml_text(element.text or '')}</text>")
        return
    children = [child for child in element if child.tag.removeprefix(_NS) in _ELEMENTS]
    if not children and tag != "g":
        out.append(f"<{tag}{rendered}/>")
        return
    out.append(f"<{tag}{rendered}>")
    if title:
        out.append(f"<title>{xml_text(title)}</title>")
    for child in children:
        _write(child, names, out, depth + 1)
    out.append(f"</{tag}>")


def clean_dot_svg(raw: bytes, spec: WorkflowSpec, current: str | None, edges: list[DrawnEdge]) -> str:
    """The SVG `dot` made of `to_dot(spec, current)`, as inline SVG for a page.

    Only drawing elements and presentation attributes are kept (no script, style, link, event handler
    or id); each state is a `<g class="state" data-state="name">` titled with its label, the current
    one with `class="state current"` and `aria-current="step"`; each arrow a `<g class="edge">` with
    `data-source` and `data-dest`, the current state's ways out also `next`. `edges` is
    `drawn_edges(spec)`, the arrows `to_dot` drew. ValueError when `raw` is not an SVG picture.
    """
    root = ET.fromstring(raw)  # expat: no external entity or DTD is fetched
    if root.tag != f"{_NS}svg":
        raise ValueError(f"not an SVG picture: {root.tag}")
    values = [float(v) for v in root.get("viewBox", "").split()]
    if len(values) != 4:
        raise ValueError("the SVG picture has no viewBox")
    title = diagram_title(spec, current)
    view_box = " ".join(f"{v:g}" for v in values)
    # Graphviz's points drawn as CSS pixels: at 96 dpi its 16 pt state labels would be 21 px, larger
    # than the page around them; one pixel a point shows them at the page's own 16 px.
    width, height = f"{values[2]:g}", f"{values[3]:g}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view_box}" width="{width}" height="{height}"'
        f' role="img" aria-label={xml_attr(title)}'
        ' class="workflow-diagram" data-layout="graphviz">',
        f"<title>{xml_text(title)}</title>",
    ]
    names = _Names(spec, edges, current)
    for child in root:
        _write(child, names, out, 0)
    out.append("</svg>")
    return "\n".join(out) + "\n"
