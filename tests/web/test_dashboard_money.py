"""The manager's money view on the dashboard: the figures of a small portfolio (tests.claims.money_scenario)
as the page shows them, and each figure's link to the claims list listing exactly the claims it counts."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from claims.runtime import Runtime
from notifications.formatting import euro
from tests.claims.driver import Driver
from tests.claims.money_scenario import Portfolio, build
from tests.factories import Clock, World
from tests.web.conftest import client_for

D = Decimal
LISTED = re.compile(r'<td><a href="/claims/(CF-[0-9-]+)">')


@pytest.fixture
def portfolio(engine: Engine, rt: Runtime, world: World, clock: Clock) -> Portfolio:
    return build(Driver(engine, rt, world), clock)


@pytest.fixture
def page(app: Any, world: World, portfolio: Portfolio) -> str:
    response = client_for(app, world.manager.email).get("/dashboard")
    assert response.status_code == 200, response.text
    return response.text


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start : page.index("</section>", start)]


def _links(fragment: str) -> dict[str, str]:
    """Each link to the claims list in `fragment`: its target -> its text."""
    return {
        html.unescape(href): re.sub(r"<[^>]+>", "", text).strip()
        for href, text in re.findall(r'<a href="(/claims\?[^"]+)">(.*?)</a>', fragment)
    }


def _listed(client: TestClient, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return set(LISTED.findall(response.text))


def test_the_money_table_shows_reserves_and_payments_per_kind_and_cost_type(page: str) -> None:
    money = _section(page, "geld")
    assert re.findall(r'<th scope="rowgroup">([^<]+)</th>', money) == [
        "Contractbreuk",
        "Onbetaalde vordering",
        "Alle soorten",
    ]
    assert "Beredding / schadebeperking" in money and "Schadevergoeding" in money
    assert re.search(
        r'id="totaal-reserve"><a href="/claims\?reserve=alle">' + re.escape(euro(D("148000"))), money
    )
    assert re.search(
        r'id="totaal-betaald"><a href="/claims\?paid=alle">' + re.escape(euro(D("52000"))), money
    )
    links = _links(money)
    assert links["/claims?kind=contract_breach&reserve=damages"] == euro(D("125000"))
    assert links["/claims?kind=unpaid_fee&reserve=mitigation"] == euro(D("5000"))
    assert links["/claims?kind=unpaid_fee&paid=damages"] == euro(D("12000"))


def test_each_money_link_lists_exactly_the_claims_its_amount_is_on(
    app: Any, world: World, page: str, portfolio: Portfolio
) -> None:
    p = portfolio
    client = client_for(app, world.manager.email)
    expected = {
        # F's fast track reserved nothing and E's rejection nothing: neither carries a reserve
        "/claims?kind=contract_breach&reserve=alle": {p.big, p.other},
        "/claims?kind=contract_breach&reserve=damages": {p.big, p.other},
        "/claims?kind=contract_breach&paid=alle": {p.big},
        "/claims?kind=contract_breach&paid=damages": {p.big},
        "/claims?kind=unpaid_fee&reserve=alle": {p.mitigated},
        "/claims?kind=unpaid_fee&reserve=damages": {p.mitigated},
        "/claims?kind=unpaid_fee&reserve=mitigation": {p.mitigated},
        "/claims?kind=unpaid_fee&paid=alle": {p.mitigated},
        "/claims?kind=unpaid_fee&paid=damages": {p.mitigated},
        "/claims?reserve=damages": {p.big, p.mitigated, p.other},
        "/claims?reserve=mitigation": {p.mitigated},
        "/claims?paid=damages": {p.big, p.mitigated},
        "/claims?reserve=alle": {p.big, p.mitigated, p.other},
        "/claims?paid=alle": {p.big, p.mitigated},
    }
    assert set(_links(_section(page, "geld"))) == set(expected)
    for url, refs in expected.items():
        assert _listed(client, url) == refs, url


def test_the_large_losses_and_their_link(app: Any, world: World, page: str, portfolio: Portfolio) -> None:
    large = _section(page, "grote-schades")
    assert euro(D("100000")) in large
    assert f'href="/claims/{portfolio.big}"' in large and "Test ICT B.V." in large
    assert euro(D("145000")) in large and euro(D("105000")) in large
    assert portfolio.mitigated not in large
    (url,) = _links(large)
    assert url == "/claims?open=1&damages_above=100000.00"
    assert _listed(client_for(app, world.manager.email), url) == {portfolio.big}


def test_the_load_per_handler_links_to_their_open_claims_and_reserves(
    app: Any, world: World, page: str, portfolio: Portfolio
) -> None:
    p = portfolio
    links = _links(_section(page, "per-behandelaar"))
    h, h2 = world.handler.email.replace("@", "%40"), world.other_handler.email.replace("@", "%40")
    assert links == {
        f"/claims?handler={h}&open=1": "4",
        f"/claims?handler={h}&reserve=alle": euro(D("128000")),
        f"/claims?handler={h2}&open=1": "1",
        f"/claims?handler={h2}&reserve=alle": euro(D("20000")),
    }
    client = client_for(app, world.manager.email)
    assert _listed(client, f"/claims?handler={h}&open=1") == {p.old, p.big, p.mitigated, p.rejected}
    assert _listed(client, f"/claims?handler={h}&reserve=alle") == {p.big, p.mitigated}
    assert _listed(client, f"/claims?handler={h2}&open=1") == {p.other}


def test_the_payments_chart_and_the_time_to_a_position(page: str) -> None:
    months = _section(page, "betalingen-per-maand")
    assert 'data-category="okt 2026"' in months and 'data-value="45000"' in months
    assert 'data-category="nov 2026"' in months and 'data-value="7000"' in months
    assert euro(D("45000")) in months and euro(D("7000")) in months
    position = _section(page, "tijd-tot-standpunt")
    assert re.search(r'id="standpunt-mediaan">14 dagen ', position)
    assert re.search(r'id="standpunt-p90">18,8 dagen ', position)
    # working days after the melding up to the position: A 1 -> 10 September: 3 + 4 = 7; B 1 -> 21
    # October: 1 + 5 + 5 + 3 = 14; E 2 -> 16 November: 4 + 5 + 1 = 10 (no holidays in between).
    # Median 10; 90th percentile (inclusive) of 7, 10, 14: 10 + 0.8 x 4 = 13.2
    assert re.search(r'id="standpunt-mediaan-werkdagen">\(10 werkdagen\)', position)
    assert re.search(r'id="standpunt-p90-werkdagen">\(13,2 werkdagen\)', position)


def test_the_months_and_the_time_to_a_position_link_to_exactly_the_claims_they_count(
    app: Any, world: World, page: str, portfolio: Portfolio
) -> None:
    p = portfolio
    client = client_for(app, world.manager.email)
    months = _section(page, "betalingen-per-maand")
    # October: A's 40,000 and 5,000; November: B's 12,000, and A's 5,000 cancelled (net -5,000: not listed)
    assert _listed(client, "/claims?paid_month=2026-10") == {p.big}
    assert _listed(client, "/claims?paid_month=2026-11") == {p.mitigated}
    assert (
        '<a href="/claims?paid_month=2026-10">' in months
        and 'href="/claims?paid_month=2026-09"' not in months
    )
    position = _section(page, "tijd-tot-standpunt")
    link = re.search(r'<a href="(/claims\?positioned_since=[0-9-]+)" id="standpunt-claims">3</a>', position)
    assert link is not None
    assert _listed(client, link.group(1)) == {p.big, p.mitigated, p.rejected}  # F's came before the window
    refused = client.get("/claims?paid_month=2026-13&positioned_since=gisteren")
    assert refused.status_code == 422
    assert "2026-13" in refused.text and "gisteren" in refused.text


def test_the_dashboard_money_view_is_empty_without_money(manager: TestClient) -> None:
    page = manager.get("/dashboard").text
    assert "Nog geen reserves of betalingen." in page
    assert "Geen open claims boven de grens." in page


def test_the_claims_list_keeps_the_money_filters_in_its_form_and_refuses_bad_ones(
    manager: TestClient,
) -> None:
    page = manager.get("/claims?reserve=damages&paid=alle&open=1&damages_above=2500").text
    assert '<option value="damages" selected>' in page
    assert '<option value="alle" selected>Elke kostensoort' in page
    assert 'name="open" value="1" checked' in page and 'value="2500"' in page
    for query in ("reserve=nope", "paid=nope", "damages_above=veel"):
        assert manager.get(f"/claims?{query}").status_code == 422, query


def test_beyond_the_rows_shown_the_large_losses_are_counted_and_left_to_the_list(
    app: Any, world: World, portfolio: Portfolio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("claims.web.pages.LARGE_LOSSES_SHOWN", 0)
    large = _section(client_for(app, world.manager.email).get("/dashboard").text, "grote-schades")
    assert f'href="/claims/{portfolio.big}"' not in large
    assert "De 0 grootste; de andere staan in de lijst." in large
    assert _links(large) == {"/claims?open=1&damages_above=100000.00": "1 claim in de lijst"}
