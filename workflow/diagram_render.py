"""The workflow diagram as pages show it: laid out by Graphviz and cached, or drawn here without it."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from workflow.diagram import drawn_edges, to_dot, to_svg
from workflow.dot_svg import clean_dot_svg
from workflow.graphviz import Graphviz, GraphvizError, find_graphviz
from workflow.spec import WorkflowSpec

__all__ = ["DiagramRenderer", "GraphvizError"]

log = logging.getLogger("claimflow.diagram")


class DiagramRenderer:
    """Pictures of workflow specs, Graphviz's layouts kept in a bounded cache in this process.

    The cache is keyed by the DOT text, which names the kind, the version and the current state and
    holds every label: one entry per (kind, version, current state), and a spec changed without a new
    version can never be shown with an old picture. In memory rather than in files: the entries are
    few (a kind has about ten states, a few versions live) and one `dot` run takes tens of
    milliseconds, so each server process pays it once per entry; files would need a directory to
    configure, clean and trust, since what is read from it goes into pages unescaped.
    Without Graphviz (`graphviz` None) the diagram is drawn by `to_svg`, and the log says so once.
    """

    def __init__(self, graphviz: Graphviz | None, *, size: int = 256) -> None:
        self.graphviz = graphviz
        self.size = size
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()
        self._told = False

    @classmethod
    def from_path(cls, *, size: int = 256) -> DiagramRenderer:
        """A renderer using the `dot` on PATH, if there is one."""
        return cls(find_graphviz(), size=size)

    @property
    def layout(self) -> str:
        """'graphviz' or, when `dot` is missing, 'builtin'."""
        return "builtin" if self.graphviz is None else "graphviz"

    def svg(self, spec: WorkflowSpec, current: str | None = None) -> str:
        """The diagram as inline SVG for a page, `current` marked; ValueError for an unknown state."""
        dot_text = to_dot(spec, current)  # checks `current`; cheap next to a run of dot
        with self._lock:
            cached = self._cache.get(dot_text)
            if cached is not None:
                self._cache.move_to_end(dot_text)
                return cached
        picture = self._draw(spec, current, dot_text)
        with self._lock:
            self._cache[dot_text] = picture
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        return picture

    def png(self, spec: WorkflowSpec, current: str | None = None) -> bytes:
        """The diagram as a PNG image; GraphvizError when Graphviz is missing or fails (never cached:
        the command line asks once)."""
        if self.graphviz is None:
            raise GraphvizError("Graphviz ('dot') is not installed: apt-get install graphviz")
        return self.graphviz.render(to_dot(spec, current), "png")

    def _draw(self, spec: WorkflowSpec, current: str | None, dot_text: str) -> str:
        if self.graphviz is None:
            if not self._told:
                self._told = True
                log.warning(
                    "Graphviz ('dot') not found: workflow diagrams are drawn without it; "
                    "install Debian's graphviz package for the readable layout"
                )
            return to_svg(spec, current)
        try:
            raw = self.graphviz.render(dot_text, "svg")
            return clean_dot_svg(raw, spec, current, drawn_edges(spec))
        except (GraphvizError, ValueError) as exc:
            # Kept in the cache like a good picture: a failing layout is not retried on every request.
            log.warning("Graphviz could not draw %s v%s: %s; drawn without it", spec.kind, spec.version, exc)
            return to_svg(spec, current)
