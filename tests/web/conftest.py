"""Web fixtures: the app over a fresh SQLite database with a controlled clock, and browsers-in-a-test
(TestClient) logged in as each kind of user. The web layer is the same on either database; the API
round trip on PostgreSQL is in test_api.py."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from claims.config import Settings
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.service.parties import add_party
from claims.storage.db import make_engine
from claims.storage.models import User
from claims.web.app import create_app
from tests.factories import World, make_user, melding

PASSWORD = "wachtwoord-1"  # what tests.conftest.world gives every user


@pytest.fixture
def engine(tmp_path: Path, _sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "claimflow.db"
    shutil.copy(_sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


def settings() -> Settings:
    return Settings(secret_key="test-secret-" + "x" * 20, database_url="sqlite://")


@pytest.fixture
def app(engine: Engine, rt: Runtime, world: World) -> Any:
    return create_app(settings(), engine, rt)


@pytest.fixture
def anon(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def login(client: TestClient, email: str, password: str = PASSWORD, next: str = "/") -> Any:
    page = client.get("/login")
    nonce = hidden(page.text, "nonce")
    return client.post("/login", data={"email": email, "password": password, "nonce": nonce, "next": next})


def client_for(app: Any, email: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    response = login(client, email)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def handler(app: Any, world: World) -> TestClient:
    return client_for(app, world.handler.email)


@pytest.fixture
def other_handler(app: Any, world: World) -> TestClient:
    return client_for(app, world.other_handler.email)


@pytest.fixture
def manager(app: Any, world: World) -> TestClient:
    return client_for(app, world.manager.email)


@pytest.fixture
def expert(app: Any, world: World) -> TestClient:
    return client_for(app, world.expert.email)


@pytest.fixture
def admin(app: Any, world: World) -> TestClient:
    return client_for(app, world.admin.email)


class _Forms(HTMLParser):
    """The forms of a page: action and their named inputs' values (hidden, text, selected options)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"), "fields": {}})
        elif self.forms and tag in ("input", "textarea") and "name" in a:
            if a.get("type") != "checkbox" or "checked" in a:
                self.forms[-1]["fields"][a["name"]] = a.get("value", "")
        elif self.forms and tag == "select":
            self._select = a.get("name")
        elif self.forms and tag == "option" and self._select and "selected" in a:
            self.forms[-1]["fields"][self._select] = a.get("value", "")


def forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no field {name} in page"
    return match.group(1)


def transition_form(html: str, trigger: str) -> dict[str, str]:
    """The hidden fields (csrf, trigger, version) of the form for `trigger` on a claim page."""
    for form in forms(html):
        if form["action"].endswith("/transitions") and form["fields"].get("trigger") == trigger:
            return {k: form["fields"][k] for k in ("csrf", "trigger", "version")}
    raise AssertionError(f"no form for {trigger} on the page")


def form_csrf(html: str, action: str) -> str:
    """The CSRF token of the page's form posting to `action` (the log-out form has one too)."""
    for form in forms(html):
        if form["action"] == action and form["method"] == "post":
            return str(form["fields"]["csrf"])
    raise AssertionError(f"no form posting to {action}")


NO_AUTHORITY = "U heeft geen bevoegdheid om te betalen."


def claim_of_a_handler_without_authority(engine: Engine, rt: Runtime) -> tuple[str, User]:
    """An unpaid-fee claim in schadebeperking with one unpaid invoice and a payee (the insured, with an
    IBAN), assigned to a handler who may pay nothing (no authority limit): what they pay waits for a
    manager."""
    with Session(engine, expire_on_commit=False) as s:
        junior = make_user(s, "junior@test.nl", "handler", now=rt.clock())  # no authority_limit
        s.commit()
        ref = open_claim(s, rt, melding("unpaid_fee"), junior).reference
        advance(s, rt, ref, "start_coverage_check", {}, junior, 1)
        # no reserve: setting one would itself wait for a manager
        advance(
            s, rt, ref, "start_mitigation", {"measure": "voorschot", "reserve_mitigation": "0"}, junior, 2
        )
        invoice = {"number": "F1", "amount": "80000", "due_date": "2026-10-31"}
        advance(s, rt, ref, "register_invoice", invoice, junior, 3)
        add_party(s, rt, ref, INSURED_PAYEE, junior)
    return ref, junior


# a payee with an account: what the advance forms name
INSURED_PAYEE = {
    "role": "insured",
    "name": "Test ICT B.V.",
    "email": "financien@test-ict.example",
    "channel": "email",
    "iban": "NL91ABNA0417164300",
    "account_holder": "Test ICT B.V.",
}


def payee_of(engine: Engine, ref: str) -> str:
    """The claim's party with an IBAN, as a form posts it."""
    from claims.storage.models import Claim, Party

    with Session(engine) as s:
        claim_id = s.exec(select(Claim.id).where(Claim.reference == ref)).one()
        found = s.exec(select(Party.id).where(Party.claim_id == claim_id, Party.iban != "")).first()
    assert found is not None
    return str(found)
