"""The money of a claim as the pages show it, amounts worked out by hand: the claims-made check, the
statutory interest period by period (claim page and settlement form), the invoices of an unpaid-fee
claim, a proposal as its approver sees it (what approving pays now, not what it was when proposed),
and the manager's payments list with its bank file."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from claims.runtime import Runtime
from claims.storage.models import Claim, MoneyLine, Payment
from notifications.formatting import euro
from tests.claims.driver import Driver
from tests.factories import Clock, World
from tests.web.conftest import client_for, form_csrf

D = Decimal


@pytest.fixture
def driver(engine: Engine, rt: Runtime, world: World) -> Driver:
    return Driver(engine, rt, world)


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start : page.index("</section>", start)]


def _in_settlement_due_since_june(driver: Driver, clock: Clock, world: World) -> str:
    """A claim reported 15 June 2026, the expert's assessed damage 40,000, its damages due since 30
    June (set_interest): 40,000 less the test policy's 2,500 deductible is 37,500 covered."""
    clock.now = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    ref = driver.bring_to(
        "contract_breach",
        "expertise",
        date_error="2026-05-01",
        date_known="2026-05-10",
        date_reported="2026-06-15",
    )
    driver.fire(
        ref,
        "submit_report",
        {"findings": "Fout in de koppeling vastgesteld.", "assessed_damage": "40000"},
        actor=world.expert,
    )
    driver.fire(ref, "to_settlement")
    driver.fire(ref, "set_interest", {"interest_from": "2026-06-30"})
    return ref


def test_the_claim_page_and_the_settlement_form_show_the_interest_period_by_period(
    app: Any, driver: Driver, clock: Clock, world: World
) -> None:
    ref = _in_settlement_due_since_june(driver, clock, world)
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    page = client_for(app, world.handler.email).get(f"/claims/{ref}").text
    money = _text(_section(page, "geld"))
    # 1 July - 16 November: 31 + 31 + 30 + 31 + 16 = 139 days on 37,500 at 4%:
    # 37,500 x 0.04 x 139 / 365 = 208,500 / 365 = 571.2328 -> 571.23
    assert "Art. 6:119 BW over € 37.500,00" in money
    periods = _section(page, "geld")
    table = periods[periods.index('id="interest-periods"') :]
    table = table[: table.index("</table>")]
    days = [int(d) for d in re.findall(r'<td class="num">(\d+)</td><td class="num">[\d.,]+</td>', table)]
    assert sum(days) == 139
    assert re.search(r'id="interest-periods-total">' + re.escape(euro(D("571.23"))), table)
    # the settlement form says the same before anything is typed, with the periods
    hint = page[page.index('id="geld-settle"') :]
    hint = _text(hint[: hint.index("</div>\n")] + "".join(re.findall(r"<table.*?</table>", hint, re.S)[:1]))
    assert "Wettelijke rente (6:119 BW) tot vandaag: € 571,23" in hint
    assert "(€ 37.500,00) vanaf de dag na 30-06-2026" in hint or "(€ 37.500,00) vanaf de dag na" in hint
    assert "Totaal tot en met" in hint and euro(D("571.23")) in hint


def test_the_claims_made_check_is_on_the_claim_page_with_its_dates(
    app: Any, driver: Driver, world: World
) -> None:
    outside = driver.bring_to(
        "contract_breach", "dekkingsonderzoek", date_error="2014-06-01", date_known="2014-07-01"
    )
    inside = driver.bring_to("contract_breach", "dekkingsonderzoek")
    client = client_for(app, world.handler.email)
    out_page = client.get(f"/claims/{outside}").text
    assert re.search(r'id="claims-made" class="problem"><strong>Buiten de claims-made-dekking', out_page)
    assert "vóór de datum van terugwerkende kracht" in _text(_section(out_page, "geld"))
    in_page = client.get(f"/claims/{inside}").text
    assert re.search(r'id="claims-made" class="ok"><strong>Binnen de dekking in de tijd', in_page)


def test_a_proposal_shows_what_approving_pays_now_and_approving_pays_exactly_that(
    app: Any, driver: Driver, engine: Engine, clock: Clock, world: World
) -> None:
    ref = _in_settlement_due_since_june(driver, clock, world)
    clock.now = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    payee = driver.payee(ref)
    held = driver.fire(
        ref,
        "settle",
        {"damages": "60000", "payee": payee, "terms": "Finale kwijting over en weer."},
        actor=world.handler,
    )
    assert held.proposal_id is not None  # 57,500 is above the handler's 50,000

    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    manager = client_for(app, world.manager.email)
    page = manager.get(f"/claims/{ref}").text
    proposal = _text(page[page.index(f'id="voorstel-{held.proposal_id}"') :].split("</article>")[0])
    # 60,000 - 2,500 = 57,500. Interest on 57,500 at 4% from 1 July: when proposed (1 October, 93 days)
    # 57,500 x 0.04 x 93 / 365 = 213,900 / 365 = 586.03; now (16 November, 139 days)
    # 57,500 x 0.04 x 139 / 365 = 319,700 / 365 = 875.8904 -> 875.89
    assert "Schadevergoeding (voor eigen risico) € 60.000,00" in proposal
    assert "Wat goedkeuren nu betaalt" in proposal
    assert "€ 57.500,00" in proposal and "€ 875,89" in proposal
    assert "Totaal € 58.375,89" in proposal
    assert "(bij het voorstel € 586,03)" in proposal
    assert "Bij het voorstel was dit € 58.086,03" in proposal
    assert "Voorgesteld door" in proposal and "boven uw bevoegdheid" in proposal

    csrf = form_csrf(page, f"/proposals/{held.proposal_id}/decide")
    done = manager.post(
        f"/proposals/{held.proposal_id}/decide",
        data={"csrf": csrf, "decision": "approve", "comment": "Akkoord na het rapport."},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    with Session(engine) as s:
        claim = s.exec(select(Claim).where(Claim.reference == ref)).one()
        paid = {
            m.cost_type: m.amount
            for m in s.exec(
                select(MoneyLine).where(MoneyLine.claim_id == claim.id, MoneyLine.kind == "payment")
            )
        }
    assert paid == {"damages": D("57500"), "interest": D("875.89")}
    after = _text(manager.get(f"/claims/{ref}").text)
    assert "Akkoord na het rapport." in after


def test_an_unpaid_fee_claims_invoices_are_a_table_with_interest_and_totals(
    app: Any, driver: Driver, clock: Clock, world: World
) -> None:
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    ref = driver.bring_to("unpaid_fee", "dekkingsonderzoek")
    for number, amount, due in (("F-1", "10000", "2026-07-16"), ("F-2", "2500", "2026-12-01")):
        driver.fire(ref, "register_invoice", {"number": number, "amount": amount, "due_date": due})
    page = client_for(app, world.handler.email).get(f"/claims/{ref}").text
    table = page[page.index('id="invoices"') :]
    table = _text(table[: table.index("</table>")])
    # F-1 due 16 July: handelsrente (6:119a, 10.15% in 2026) from 17 July to 16 November,
    # 15 + 31 + 30 + 31 + 16 = 123 days: 10,000 x 0.1015 x 123 / 365 = 124,845 / 365 = 342.0411 -> 342.04
    assert "F-1 € 10.000,00 16 juli 2026 € 342,04 onbetaald" in table
    assert "F-2 € 2.500,00" in table
    assert table.count("onbetaald") == 2
    assert "Onbetaald € 12.500,00" in table
    # F-2 is not due yet: no interest
    f2 = table[table.index("F-2") :]
    assert "€ 0,00" in f2


def test_the_payments_list_shows_what_is_approved_and_its_bank_file(
    app: Any, driver: Driver, engine: Engine, clock: Clock, world: World
) -> None:
    ref = _in_settlement_due_since_june(driver, clock, world)
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    driver.fire(
        ref,
        "settle",
        {"damages": "40000", "payee": driver.payee(ref), "terms": "Finale kwijting over en weer."},
        actor=world.handler,
    )
    with Session(engine) as s:
        (payment,) = s.exec(select(Payment).join(Claim).where(Claim.reference == ref)).all()
    assert payment.amount == D("38071.23")  # 37,500 damages + 571.23 interest, one transfer
    manager = client_for(app, world.manager.email)
    listed = _text(manager.get("/payments").text)
    assert payment.reference in listed and "€ 38.071,23" in listed
    assert client_for(app, world.handler.email).get("/payments").status_code == 403
    bank = manager.get("/payments/bank-file", params={"format": "csv", "date": "2026-11-17"})
    assert bank.status_code == 200
    rows = list(csv.reader(io.StringIO(bank.text), delimiter=";"))
    assert any(payment.reference in row and "38071.23" in row for row in rows[1:]), rows


def test_bereken_shows_what_the_advance_pays_before_it_is_submitted_and_stores_nothing(
    app: Any, driver: Driver, engine: Engine, world: World
) -> None:
    ref = driver.bring_to("unpaid_fee", "dekkingsonderzoek")
    for number, amount in (("F-1", "100000"), ("F-2", "150000")):
        driver.fire(ref, "register_invoice", {"number": number, "amount": amount, "due_date": "2026-10-01"})
    driver.fire(
        ref,
        "start_mitigation",
        {"measure": "Project laten afmaken.", "reserve_mitigation": "40000"},
        actor=world.manager,
    )
    handler = client_for(app, world.handler.email)
    page = handler.get(f"/claims/{ref}").text
    csrf = form_csrf(page, f"/claims/{ref}/transitions")
    with Session(engine) as s:
        claim = s.exec(select(Claim).where(Claim.reference == ref)).one()
        version, lines = claim.version, len(s.exec(select(MoneyLine)).all())
    form = {
        "csrf": csrf,
        "trigger": "pay_advance",
        "version": str(version),
        "share_percent": "50",
        "deduction": "5000",
        "booked_as": "beredding",
        "payee": driver.payee(ref),
        "calculate": "1",
    }
    answer = handler.post(f"/claims/{ref}/transitions", data=form)
    assert answer.status_code == 200, answer.text
    shown = answer.text[answer.text.index('id="berekend-pay_advance"') :]
    shown = _text(shown[: shown.index("Nog niets opgeslagen")])
    # the 250,000 unpaid less 5,000 margin and taxes, half of it: 122,500, above the handler's 50,000
    assert "Dit boekt de stap nu (als voorstel aan een manager)" in shown
    assert "Beredding / schadebeperking" in shown and "€ 122.500,00" in shown
    assert "boven uw bevoegdheid" in shown
    assert '<details class="action" open id="actie-pay_advance">' in answer.text  # open, filled in
    assert 'value="5000"' in answer.text[answer.text.index('id="actie-pay_advance"') :]
    with Session(engine) as s:
        claim = s.exec(select(Claim).where(Claim.reference == ref)).one()
        assert (claim.version, len(s.exec(select(MoneyLine)).all())) == (version, lines)  # nothing stored


def test_bereken_on_the_settlement_form_shows_the_damages_and_the_interest_to_the_cent(
    app: Any, driver: Driver, clock: Clock, world: World
) -> None:
    ref = _in_settlement_due_since_june(driver, clock, world)
    clock.now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    handler = client_for(app, world.handler.email)
    page = handler.get(f"/claims/{ref}").text
    form = {
        "csrf": form_csrf(page, f"/claims/{ref}/transitions"),
        "trigger": "settle",
        "version": re.search(r'name="version" value="(\d+)"', page).group(1),  # type: ignore[union-attr]
        "damages": "40000",
        "payee": driver.payee(ref),
        "terms": "Finale kwijting over en weer.",
        "calculate": "1",
    }
    answer = handler.post(f"/claims/{ref}/transitions", data=form)
    shown = answer.text[answer.text.index('id="berekend-settle"') :]
    shown = _text(shown[: shown.index("Nog niets opgeslagen")])
    # 37,500 damages after the deductible and 571.23 interest (see above): 38,071.23, within authority
    assert "Dit boekt de stap nu:" in shown
    assert "€ 37.500,00" in shown and "€ 571,23" in shown and "Totaal € 38.071,23" in shown
