"""The claim page's workflow diagram: Graphviz's layout, the state marked, `dot` run once a picture."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from claims.runtime import Runtime
from tests.factories import World
from tests.web.test_pages import opened
from workflow.diagram import CURRENT_MARK
from workflow.graphviz import Graphviz

SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class CountingGraphviz(Graphviz):
    runs: list[str] = field(default_factory=list)

    def render(self, dot_text: str, fmt: str) -> bytes:
        self.runs.append(dot_text)
        return super().render(dot_text, fmt)


def diagram(page: str) -> ET.Element:
    found = re.search(r'<div class="diagram"[^>]*>\s*(<svg.*?</svg>)', page, re.S)
    assert found, "the claim page shows its diagram"
    return ET.fromstring(found.group(1))


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz 'dot' is not installed")
def test_the_claim_page_diagram_is_laid_out_by_graphviz_once(
    app: Any, handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    dot = shutil.which("dot")
    assert dot is not None
    counting = CountingGraphviz(dot)
    app.state.web.diagrams.graphviz = counting
    ref = opened(engine, rt, world)
    other = opened(engine, rt, world, claimant="Tweede BV")
    pages = [handler.get(f"/claims/{r}").text for r in (ref, ref, other)]
    assert len(counting.runs) == 1  # two claims of one kind and version, in the same state: one picture
    root = diagram(pages[0])
    assert root.get("data-layout") == "graphviz"
    assert "<script" not in ET.tostring(root, "unicode")
    (current,) = [g for g in root.iter() if g.get("aria-current") == "step"]
    assert current.get("data-state") == "melding"
    assert [t.text for t in current.iter(f"{SVG}text")][-1] == CURRENT_MARK
    states = {g.get("data-state") for g in root.iter(f"{SVG}g") if "state" in g.get("class", "").split()}
    assert states == set(rt.catalog.spec("unpaid_fee").states)


def test_without_graphviz_the_claim_page_draws_the_diagram_itself(
    app: Any, handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    app.state.web.diagrams.graphviz = None
    ref = opened(engine, rt, world)
    page = handler.get(f"/claims/{ref}")
    assert page.status_code == 200
    root = diagram(page.text)
    assert root.get("data-layout") == "builtin"
    (current,) = [g for g in root.iter() if g.get("aria-current") == "step"]
    assert current.get("data-state") == "melding"
