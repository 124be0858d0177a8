"""The pages: list, melding form, claim page with its transition forms, notes, dashboard, users.
Forged, stale and invalid posts are answered without changing anything; an action a guard refuses now
is shown greyed with its reason, not as a form."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from claims.people.users import token_hash
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.service.parties import add_party
from claims.storage.models import Claim
from claims.web.security import CookieSigner, claim_scope
from tests.conftest import snapshot
from tests.factories import Clock, World, make_user, melding
from tests.web.conftest import (
    INSURED_PAYEE,
    claim_of_a_handler_without_authority,
    client_for,
    form_csrf,
    forms,
    payee_of,
    settings,
    transition_form,
)


def opened(engine: Engine, rt: Runtime, world: World, kind: str = "unpaid_fee", **over: Any) -> str:
    with Session(engine, expire_on_commit=False) as s:
        return open_claim(s, rt, melding(kind, **over), world.handler).reference


def state_of(client: TestClient, ref: str) -> str:
    match = re.search(r'id="current-state" data-state="([^"]+)"', client.get(f"/claims/{ref}").text)
    assert match
    return match.group(1)


# --- list ----------------------------------------------------------------------------------------


def test_the_list_shows_claims_with_filters_and_marks(
    handler: TestClient, app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    first = opened(engine, rt, world, claimant="Bakkerij Brood")
    second = opened(engine, rt, world, kind="contract_breach", claimant="Garage Gas")
    page = handler.get("/claims")
    assert page.status_code == 200
    assert first in page.text and second in page.text
    assert "Onbetaalde vordering" in page.text and "Melding ontvangen" in page.text
    only = handler.get("/claims", params={"kind": "contract_breach"}).text
    assert second in only and first not in only
    found = handler.get("/claims", params={"q": "brood"}).text
    assert first in found and second not in found
    assert "verlopen" not in handler.get("/claims").text.split("<tbody>")[1]
    clock.advance(days=1, hours=12)
    handler = client_for(app, world.handler.email)  # the earlier session timed out meanwhile
    assert "bijna" in handler.get("/claims").text
    clock.advance(days=5)
    handler = client_for(app, world.handler.email)
    overdue = handler.get("/claims", params={"overdue": "1"}).text
    assert 'class="overdue"' in overdue and first in overdue


def test_the_list_pages_with_a_next_link(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    refs = [opened(engine, rt, world) for _ in range(55)]
    page = handler.get("/claims")
    listed = re.findall(r'<a href="/claims/(CF-[0-9-]+)">', page.text)
    assert listed == list(reversed(refs))[:50]
    next_url = re.search(r'<a href="([^"]+)" rel="next">', page.text)
    assert next_url
    rest = handler.get(next_url.group(1).replace("&amp;", "&")).text
    assert re.findall(r'<a href="/claims/(CF-[0-9-]+)">', rest) == list(reversed(refs))[50:]
    assert 'rel="next"' not in rest


def test_a_bad_filter_is_shown_not_crashed(handler: TestClient) -> None:
    r = handler.get("/claims", params={"sort": "kleur", "cursor": "rommel"})
    assert r.status_code == 422
    assert "onbekende sortering" in r.text


def test_a_handler_sees_the_teams_claims_but_not_another_teams(
    app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock, other_handler: TestClient
) -> None:
    ref = opened(engine, rt, world)
    assert ref in other_handler.get("/claims").text
    page = other_handler.get(f"/claims/{ref}")
    assert page.status_code == 200
    assert "alleen lezen" in page.text
    assert not [f for f in forms(page.text) if f["action"].endswith("/transitions")]
    with Session(engine) as s:
        make_user(s, "z@zorg.nl", now=clock(), name="Zorg", team="Zorg")
        s.commit()
    outsider = client_for(app, "z@zorg.nl")
    assert ref not in outsider.get("/claims").text
    assert outsider.get(f"/claims/{ref}").status_code == 403


# --- melding -------------------------------------------------------------------------------------


def _melding_form(client: TestClient) -> dict[str, str]:
    page = client.get("/claims/new")
    assert page.status_code == 200
    return {"csrf": form_csrf(page.text, "/claims/new")}


def test_a_new_melding_is_registered_and_shown(handler: TestClient) -> None:
    data = _melding_form(handler) | melding("unpaid_fee", claimant="Drukkerij Inkt")
    r = handler.post("/claims/new", data=data)
    assert r.status_code == 303
    ref = r.headers["location"].split("/")[2].split("?")[0]
    page = handler.get(r.headers["location"])
    assert "De melding is geregistreerd." in page.text
    assert "Drukkerij Inkt" in page.text
    assert state_of(handler, ref) == "melding"


def test_the_melding_form_shows_the_avg_fields_for_data_loss_only(
    handler: TestClient, engine: Engine
) -> None:
    def avg_fieldset(kind: str) -> str:
        page = handler.get("/claims/new", params={"kind": kind}).text
        start = page.index('<fieldset class="kind-only"')
        return page[start : page.index(">", start) + 1]

    assert "hidden" in avg_fieldset("contract_breach") and "hidden" in avg_fieldset("unpaid_fee")
    assert "hidden" not in avg_fieldset("data_loss")
    assert "Behandelaar (e-mailadres)" not in handler.get("/claims/new").text
    # typed for data loss, then registered as another kind: the AVG facts are not stored with it
    data = (
        _melding_form(handler)
        | melding("contract_breach")
        | {
            "personal_data": "ja",
            "awareness_at": "2026-11-01T10:00",
            "data_role": "controller",
        }
    )
    r = handler.post("/claims/new", data=data)
    assert r.status_code == 303
    ref = r.headers["location"].split("/")[2].split("?")[0]
    with Session(engine) as s:
        stored = s.exec(select(Claim).where(Claim.reference == ref)).one()
    assert (stored.personal_data, stored.data_role, stored.awareness_at) == (False, None, None)


def test_an_invalid_melding_is_shown_again_with_errors_next_to_the_fields_and_the_input_kept(
    handler: TestClient, engine: Engine
) -> None:
    before = snapshot(engine)
    data = _melding_form(handler) | melding(
        "unpaid_fee", claimant="Drukkerij Inkt", amount_claimed="veel", policy_number="BAV-NIET"
    )
    r = handler.post("/claims/new", data=data)
    assert r.status_code == 422
    assert snapshot(engine) == before
    assert 'value="Drukkerij Inkt"' in r.text
    assert 'value="veel"' in r.text
    assert re.search(r'id="amount_claimed-error">[^<]*ongeldig bedrag', r.text)
    assert re.search(r'id="policy_number-error">[^<]*bestaat niet', r.text)


def test_the_policy_lookup_finds_and_prefills_a_policy(handler: TestClient) -> None:
    page = handler.get("/claims/new", params={"policy_q": "test ict"})
    assert "BAV-TEST-1" in page.text
    chosen = handler.get("/claims/new", params={"policy_number": "BAV-TEST-1"}).text
    assert 'name="policy_number" value="BAV-TEST-1"' in chosen
    assert "Test ICT B.V." in chosen and "€ 2.500,00" in chosen


def test_a_melding_without_the_forms_token_is_refused(handler: TestClient, engine: Engine) -> None:
    before = snapshot(engine)
    r = handler.post("/claims/new", data=melding("unpaid_fee") | {"csrf": "vervalst"})
    assert r.status_code == 403
    assert snapshot(engine) == before


def test_an_expert_cannot_open_the_melding_form(expert: TestClient) -> None:
    assert expert.get("/claims/new").status_code == 403


# --- claim page and transitions ------------------------------------------------------------------------


def test_the_claim_page_shows_summary_deadlines_forms_diagram_and_timeline(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    page = handler.get(f"/claims/{ref}")
    assert page.status_code == 200
    text = page.text
    assert "BAV-TEST-1" in text and "€ 1.000.000,00" in text and "€ 2.500,00" in text
    assert "Resterende dekking" in text
    assert "Ontvangst bevestigen" in text and "nog 2 dagen" in text
    form = transition_form(text, "start_coverage_check")
    assert form["version"] == "1"
    assert 'name="number"' in text  # register_invoice asks for the invoice number
    svg = re.search(r"<svg.*?</svg>", text, re.S)
    assert svg
    tree = ET.fromstring(svg.group(0))
    current = [g for g in tree.iter() if g.get("aria-current") == "step"]
    assert [g.get("data-state") for g in current] == ["melding"]
    assert "Melding geregistreerd" in text


def test_firing_a_transition_redirects_and_moves_the_claim(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    form = transition_form(handler.get(f"/claims/{ref}").text, "start_coverage_check")
    r = handler.post(f"/claims/{ref}/transitions", data=form)
    assert r.status_code == 303
    assert r.headers["location"] == f"/claims/{ref}?ok=start_coverage_check"
    page = handler.get(r.headers["location"]).text
    assert "Uitgevoerd: Ontvangst bevestigen en dekking onderzoeken." in page
    assert state_of(handler, ref) == "dekkingsonderzoek"


def test_invalid_transition_input_is_shown_next_to_the_field_and_kept(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    form = transition_form(handler.get(f"/claims/{ref}").text, "register_invoice")
    before = snapshot(engine)
    r = handler.post(
        f"/claims/{ref}/transitions",
        data=form | {"number": "F-2026-17", "amount": "twaalf", "due_date": "2026-10-01"},
    )
    assert r.status_code == 422
    assert snapshot(engine) == before
    assert re.search(r'id="register_invoice-amount-error">[^<]*ongeldig bedrag', r.text)
    assert 'value="F-2026-17"' in r.text
    assert '<details class="action" open id="actie-register_invoice">' in r.text


def test_a_stale_form_is_shown_again_with_the_current_state_and_not_applied(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    old = transition_form(handler.get(f"/claims/{ref}").text, "mark_duplicate")
    with Session(engine, expire_on_commit=False) as s:  # a colleague advances it meanwhile
        advance(s, rt, ref, "start_coverage_check", {}, world.manager, 1)
    before = snapshot(engine)
    r = handler.post(f"/claims/{ref}/transitions", data=old | {"original": "CF-2026-000001"})
    assert r.status_code == 409
    assert snapshot(engine) == before
    assert "intussen gewijzigd" in r.text and "Dekkingsonderzoek" in r.text
    assert 'id="current-state" data-state="dekkingsonderzoek"' in r.text
    assert transition_form(r.text, "mark_duplicate")["version"] == "2"  # the new form is current


def test_a_forged_post_with_a_made_up_token_is_403_and_changes_nothing(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    before = snapshot(engine)
    r = handler.post(
        f"/claims/{ref}/transitions",
        data={"csrf": "0" * 64, "trigger": "start_coverage_check", "version": "1"},
    )
    assert r.status_code == 403
    assert snapshot(engine) == before


def test_a_token_from_another_session_does_not_work(
    handler: TestClient, app: Any, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    form = transition_form(handler.get(f"/claims/{ref}").text, "start_coverage_check")
    again = client_for(app, world.handler.email)  # the same user, another session
    assert again.post(f"/claims/{ref}/transitions", data=form).status_code == 403


def test_a_team_mate_with_a_valid_csrf_token_is_still_refused_by_the_service(
    other_handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    page = other_handler.get(f"/claims/{ref}").text  # read-only: no transition forms to copy
    assert not [f for f in forms(page) if f["action"].endswith("/transitions")]
    # the token a form would carry, made with the app's own secret: only the service stands in the way
    signer = CookieSigner(settings().secret_key)
    session_token = signer.unsign(other_handler.cookies["claimflow_session"])
    assert session_token
    csrf = signer.csrf(token_hash(session_token), claim_scope(ref, 1))
    before = snapshot(engine)
    r = other_handler.post(
        f"/claims/{ref}/transitions", data={"csrf": csrf, "trigger": "start_coverage_check", "version": "1"}
    )
    assert r.status_code == 403
    assert "niet aan u toegewezen" in r.text
    assert snapshot(engine) == before


def test_an_expert_sees_only_claims_they_are_appointed_to(
    expert: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    assert expert.get(f"/claims/{ref}").status_code == 403
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        advance(
            s,
            rt,
            ref,
            "confirm_cover",
            {"expert": world.expert.email, "reserve_damages": "5000"},
            world.handler,
            2,
        )
    page = expert.get(f"/claims/{ref}").text
    triggers = {f["fields"].get("trigger") for f in forms(page) if f["action"].endswith("/transitions")}
    assert triggers == {"submit_report"}
    assert ref in expert.get("/claims").text


def test_a_guard_refusal_is_shown_with_its_reason(
    manager: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
    form = transition_form(manager.get(f"/claims/{ref}").text, "reject")
    before = snapshot(engine)
    r = manager.post(f"/claims/{ref}/transitions", data=form | {"ground": "overig", "reasons": "kort"})
    assert r.status_code in (409, 422)
    assert snapshot(engine) == before
    assert 'class="problem"' in r.text


def test_a_manager_reassigns_a_claim(manager: TestClient, engine: Engine, rt: Runtime, world: World) -> None:
    ref = opened(engine, rt, world)
    form = transition_form(manager.get(f"/claims/{ref}").text, "reassign")
    r = manager.post(f"/claims/{ref}/transitions", data=form | {"handler": world.other_handler.email})
    assert r.status_code == 303
    page = manager.get(f"/claims/{ref}").text
    assert re.search(r"<dt>Behandelaar</dt><dd>h2</dd>", page)


def test_notes_are_saved_and_shown(handler: TestClient, engine: Engine, rt: Runtime, world: World) -> None:
    ref = opened(engine, rt, world)
    page = handler.get(f"/claims/{ref}").text
    note = next(f for f in forms(page) if f["action"].endswith("/notes"))
    r = handler.post(f"/claims/{ref}/notes", data=note["fields"] | {"note": "Makelaar <b>gebeld</b>."})
    assert r.status_code == 303
    shown = handler.get(f"/claims/{ref}").text
    assert "Makelaar &lt;b&gt;gebeld&lt;/b&gt;." in shown  # escaped, never markup
    empty = handler.post(f"/claims/{ref}/notes", data=note["fields"] | {"note": "  "})
    assert empty.status_code == 422 and "lege notitie" in empty.text
    # the field is named as the form names it, not by its internal name
    assert "Notitie: een lege notitie" in empty.text and "note:" not in empty.text
    listed = handler.get("/claims", params={"state": "nope"})
    assert "Fase: onbekende fase" in listed.text and "state:" not in listed.text


def test_a_note_sent_twice_from_one_form_is_stored_once(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = opened(engine, rt, world)
    note = next(f for f in forms(handler.get(f"/claims/{ref}").text) if f["action"].endswith("/notes"))
    sent = note["fields"] | {"note": "Advocaat teruggebeld."}
    first, second = (handler.post(f"/claims/{ref}/notes", data=sent) for _ in range(2))
    assert (first.status_code, second.status_code) == (303, 303)  # a double click: both answered as done
    in_notes = '<blockquote><p class="pre">Advocaat teruggebeld.</p>'
    assert handler.get(f"/claims/{ref}").text.count(in_notes) == 1
    # a new page hands out a new token: the same words typed again are a new note
    again = next(f for f in forms(handler.get(f"/claims/{ref}").text) if f["action"].endswith("/notes"))
    assert again["fields"]["form_token"] != note["fields"]["form_token"]
    handler.post(f"/claims/{ref}/notes", data=again["fields"] | {"note": "Advocaat teruggebeld."})
    assert handler.get(f"/claims/{ref}").text.count(in_notes) == 2
    bad = handler.post(f"/claims/{ref}/notes", data=sent | {"form_token": "x" * 500})
    assert bad.status_code == 422 and "formulierkenmerk" in bad.text


def test_an_unknown_claim_is_a_404_page(handler: TestClient) -> None:
    r = handler.get("/claims/CF-1999-000001")
    assert r.status_code == 404 and "bestaat niet" in r.text


# --- dashboard and users -----------------------------------------------------------------------------


def test_the_dashboard_draws_its_charts_and_lists_approvals(
    app: Any, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    ref = opened(engine, rt, world)
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
    clock.advance(days=120)  # the coverage deadline (3 months) is overdue
    page = client_for(app, world.manager.email).get("/dashboard")
    assert page.status_code == 200
    charts = re.findall(r"<svg.*?</svg>", page.text, re.S)
    # five counts, and the payments per month twice: a wide one and a phone's
    assert len(charts) == 7
    for chart in charts:
        ET.fromstring(chart)
    assert "h</td>" in page.text  # the handler with an overdue deadline
    assert "Er wacht niets op goedkeuring." in page.text


def test_the_dashboard_is_for_managers_only(
    handler: TestClient, expert: TestClient, admin: TestClient
) -> None:
    for client in (handler, expert, admin):
        assert client.get("/dashboard").status_code == 403


def test_an_admin_adds_and_blocks_users_and_a_blocked_user_is_signed_out(
    admin: TestClient, app: Any, world: World
) -> None:
    page = admin.get("/admin/users")
    assert page.status_code == 200
    csrf = form_csrf(page.text, "/admin/users")
    bad = admin.post(
        "/admin/users",
        data={"csrf": csrf, "email": "geen-adres", "name": "", "role": "koning", "password": "kort"},
    )
    assert bad.status_code == 422
    assert (
        'value="geen-adres"' in bad.text
        and "ongeldig e-mailadres" in bad.text
        and "onbekende rol" in bad.text
    )
    ok = admin.post(
        "/admin/users",
        data={
            "csrf": csrf,
            "email": "nieuw@test.nl",
            "name": "Nieuw",
            "role": "handler",
            "password": "lang-genoeg",
            "authority_limit": "25.000",
        },
    )
    assert ok.status_code == 303
    assert "nieuw@test.nl" in admin.get("/admin/users").text
    victim = client_for(app, world.handler.email)
    r = admin.post(f"/admin/users/{world.handler.id}/active", data={"csrf": csrf, "active": "0"})
    assert r.status_code == 303
    assert victim.get("/claims").status_code == 303  # signed out


@pytest.mark.parametrize("who", ["handler", "manager", "expert"])
def test_only_an_admin_manages_users(who: str, request: pytest.FixtureRequest) -> None:
    client: TestClient = request.getfixturevalue(who)
    assert client.get("/admin/users").status_code == 403


def test_an_admin_sees_no_claims(admin: TestClient, engine: Engine, rt: Runtime, world: World) -> None:
    ref = opened(engine, rt, world)
    assert ref not in admin.get("/claims").text
    assert admin.get(f"/claims/{ref}").status_code == 403


def test_the_stylesheet_is_served_locally(anon: TestClient) -> None:
    r = anon.get("/static/style.css")
    assert r.status_code == 200 and "--accent" in r.text
    login_page = anon.get("/login").text
    assert "http://" not in login_page and "https://" not in login_page


# --- what can I do now, and why not ----------------------------------------------------------------


def action_block(html: str, trigger: str) -> str:
    match = re.search(rf'<(div|details) class="action[^"]*"[^>]* id="actie-{trigger}".*?</\1>', html, re.S)
    assert match, f"no action {trigger} on the page"
    return match.group(0)


def test_an_action_a_guard_refuses_now_is_greyed_with_its_reason_not_a_form(
    app: Any, manager: TestClient, engine: Engine, rt: Runtime
) -> None:
    ref, junior = claim_of_a_handler_without_authority(engine, rt)
    page = client_for(app, junior.email).get(f"/claims/{ref}").text
    triggers = {f["fields"].get("trigger") for f in forms(page) if f["action"].endswith("/transitions")}
    assert "to_settlement" not in triggers
    assert "register_invoice" in triggers  # what no guard refuses is offered as before
    assert "Er is nog geen expertiserapport." in action_block(page, "to_settlement")
    # paying without authority is no refusal: the form is offered, and what it pays waits for a manager
    offered = action_block(page, "pay_advance")
    assert offered.startswith("<details") and 'name="share_percent"' in offered
    assert "gecontroleerd als u het indient" in offered
    assert 'name="payee"' in offered and "NL91 ABNA" in offered


def test_firing_a_refused_action_anyway_is_refused_with_the_same_reason_and_changes_nothing(
    app: Any, engine: Engine, rt: Runtime
) -> None:
    ref, junior = claim_of_a_handler_without_authority(engine, rt)
    client = client_for(app, junior.email)
    form = transition_form(client.get(f"/claims/{ref}").text, "register_invoice")  # its token is the claim's
    before = snapshot(engine)
    r = client.post(f"/claims/{ref}/transitions", data=form | {"trigger": "to_settlement"})
    assert r.status_code == 409
    assert snapshot(engine) == before
    assert '<p class="problem" role="alert">Er is nog geen expertiserapport.</p>' in r.text


def _advance_ready(engine: Engine, rt: Runtime, world: World) -> str:
    """An unpaid-fee claim in mitigation with an unpaid invoice of 200,000 and the insured as payee."""
    ref = opened(engine, rt, world)
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        advance(
            s, rt, ref, "start_mitigation", {"measure": "x", "reserve_mitigation": "5000"}, world.handler, 2
        )
        invoice = {"number": "F1", "amount": "200000", "due_date": "2026-10-31"}
        advance(s, rt, ref, "register_invoice", invoice, world.handler, 3)
        add_party(s, rt, ref, INSURED_PAYEE, world.handler)
    return ref


def test_a_payment_above_the_handlers_authority_waits_for_a_manager_who_approves_it(
    handler: TestClient, manager: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _advance_ready(engine, rt, world)
    form = transition_form(handler.get(f"/claims/{ref}").text, "pay_advance")
    fields = {"booked_as": "beredding", "payee": payee_of(engine, ref)}
    before = snapshot(engine)["money_lines"]
    # 50% of 200,000 = 100,000 > 50,000: held as a proposal, nothing paid, the claim unchanged
    r = handler.post(f"/claims/{ref}/transitions", data=form | fields | {"share_percent": "50"})
    assert r.status_code == 303 and "ok=proposed" in r.headers["location"]
    assert snapshot(engine)["money_lines"] == before
    page = handler.get(r.headers["location"]).text
    assert "als voorstel voorgelegd aan een manager" in page
    assert "Uw betalingen op deze claim komen op € 100.000,00" in page
    assert "Vier ogen: een andere manager beslist over uw voorstel." in page
    # the manager sees the proposal with its amount and approves it: now it is paid
    boss = manager.get(f"/claims/{ref}").text
    decide = next(f for f in forms(boss) if f["action"].endswith("/decide"))
    done = manager.post(
        decide["action"], data=decide["fields"] | {"decision": "approve", "comment": "akkoord"}
    )
    assert done.status_code == 303 and "ok=approved" in done.headers["location"]
    paid = manager.get(f"/claims/{ref}").text
    assert "goedgekeurd, te betalen" in paid and "€ 100.000,00" in paid


def test_a_payment_within_the_handlers_authority_is_paid_at_once(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _advance_ready(engine, rt, world)
    form = transition_form(handler.get(f"/claims/{ref}").text, "pay_advance")
    fields = {"booked_as": "beredding", "payee": payee_of(engine, ref), "share_percent": "10"}
    r = handler.post(f"/claims/{ref}/transitions", data=form | fields)  # 20,000: within 50,000
    assert r.status_code == 303 and "ok=pay_advance" in r.headers["location"]
    assert "€ 20.000,00" in handler.get(f"/claims/{ref}").text
