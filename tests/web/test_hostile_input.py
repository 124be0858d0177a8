"""Hostile bodies at every write endpoint: 4xx, never 5xx, and nothing stored.

The endpoints are read from the application's own routes (every POST, PUT, PATCH and DELETE of the
API and the forms), so a new one is attacked as soon as it exists. Each is called as someone who may
use it (a handler, the manager for e-mail, the admin for users), with a valid CSRF token or log-in
nonce, so that what is refused is the body, not the caller. The last request of each test is the
endpoint's ordinary body, which must not be refused for its caller or token: proof that the hostile
requests before it reached the part under test.

"Nothing stored" is every row of every table, the sessions and the log-in failures included: the
clock stands still (so no session is touched or expires) and no hostile request gets as far as
checking a password.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import anyio
import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func
from sqlmodel import Session, SQLModel, select

from claims.documents.upload import receive
from claims.people.users import token_hash
from claims.runtime import Runtime, build_runtime
from claims.service import add_document, advance, open_claim
from claims.service.complaints import register_complaint
from claims.service.followups import add_followup
from claims.service.parties import add_party
from claims.storage.models import Letter, OutboxMessage, Party, Payment
from claims.web.app import create_app
from claims.web.errors import field_label
from claims.web.input_guard import MAX_BODY, MAX_DEPTH, UPLOAD_PATH
from claims.web.security import COOKIE, claim_scope
from tests.claims.driver import PAYEE
from tests.conftest import BACKENDS, backend_engine, snapshot
from tests.factories import World, melding
from tests.web.conftest import PASSWORD, client_for, hidden, settings
from tests.web.test_api import bearer

WRITE = {"POST", "PUT", "PATCH", "DELETE"}


def _write_routes() -> list[tuple[str, str]]:
    app = create_app(settings(), create_engine("sqlite://"), build_runtime())
    # iter_route_contexts: the routes of the included routers too, with their prefixes
    return sorted(
        (method, str(route.path))
        for route in iter_route_contexts(app.routes)
        for method in (route.methods or set()) & WRITE
    )


ROUTES = _write_routes()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """Both databases (the web tests' own fixture is SQLite only): PostgreSQL refuses a NUL that
    SQLite would store, so the two fail differently when a check is missing."""
    yield from backend_engine(request, tmp_path)


# --- who calls an endpoint, and with what ordinary body ------------------------------------------

TRANSITION = {
    "trigger": "request_information",
    "version": 1,
    "data": {"questions": "Welke facturen staan open?", "answer_days": "14", "paragraph": "Met dank."},
}
# what each position of a JSON body is, so that a wrong type there is really wrong (a number is a fine
# amount of money, and an empty optional field is no error)
KINDS = {
    "kind": "text",
    "policy_number": "text",
    "claimant": "text",
    "description": "text",
    "date_error": "date",
    "date_known": "date",
    "date_reported": "optional date",
    "amount_claimed": "money",
    "trigger": "text",
    "version": "version",
    "data": "object",
    "data.questions": "text",
    "data.answer_days": "integer",
    "data.paragraph": "optional text",
    "note": "text",
    # a party (the API's party bodies): role and name required, the rest optional
    "role": "text",
    "name": "text",
    "postcode": "optional text",
    "city": "optional text",
    "street": "optional text",
    "copy_insured": "boolean",
    "paid_on": "date",
    "reason": "text",
    "comment": "optional text",
    # a complaint (claims.service.complaints)
    "complainant": "integer",
    "subject": "text",
    "received_on": "date",
    "answer": "text",
    "outcome": "text",
}
COMPLAINT = {"subject": "Trage behandeling", "received_on": "2026-11-16", "description": "Niet teruggebeld."}
ANSWER = {"answer": "Wij hadden eerder moeten bellen.", "outcome": "gegrond"}
EXTENSION = {"reason": "Wij wachten op het rapport van de expert."}
REOPEN_REASON = "De benadeelde komt terug met een nieuwe factuur van het herstel."
PARTY = {
    "role": "counsel",
    "name": "Boer Advocaten",
    "street": "Herengracht 450",
    "postcode": "1017 CA",
    "city": "Amsterdam",
    "copy_insured": False,
}
WRONG: dict[str, list[Any]] = {
    "text": [123, 1.5, True, None, [], {"a": "b"}],
    "optional text": [123, True, ["x"], {"a": "b"}],
    "date": [20261001, "morgen", True, None, [], {"a": "b"}],
    "optional date": [20261001, "morgen", True, [], {"a": "b"}],
    "money": ["veel", "1e999999", None, [], {"a": "b"}],
    "integer": ["veertien", 1.5, None, [], {"a": "b"}],
    "version": ["een", 1.5, None, [], {"a": 1}],
    "object": ["x", 1, None, [], True],
    "unknown": [[], {"a": "b"}],
    "boolean": ["misschien", 2, [], {"a": "b"}],
}


@dataclass
class Endpoint:
    method: str
    path: str  # with its parameters filled in
    client: TestClient
    headers: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None  # a web form's fields, csrf or nonce included
    body: Any = None  # an API endpoint's ordinary JSON body

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


@dataclass
class Setting:
    app: Any
    world: World
    reference: str
    outbox_id: int
    party_id: int
    document_id: int
    letter_id: int
    payment_id: int
    proposal_id: int
    complaint_id: int
    followup_id: int
    clients: dict[str, TestClient]
    tokens: dict[str, dict[str, str]]


@pytest.fixture
def setting(app: Any, engine: Engine, rt: Runtime, world: World) -> Setting:
    with Session(engine, expire_on_commit=False) as s:
        # reported long after the insured knew: the late-notice flag puts an e-mail in the outbox
        opened = open_claim(
            s, rt, melding("unpaid_fee", date_error="2026-09-20", date_known="2026-10-01"), world.handler
        )
        outbox_id = s.exec(select(OutboxMessage.id)).first()
        party_id = s.exec(select(Party.id).where(Party.claim_id == opened.claim_id)).first()
        # a letter to report returned: on a claim of its own, so the claim above keeps its version
        other = open_claim(s, rt, melding("contract_breach"), world.handler)
        advance(s, rt, other.reference, "start_coverage_check", {}, world.handler, other.version)
        letter_id = s.exec(select(Letter.id).where(Letter.claim_id == other.claim_id)).first()
        # a received letter (no request is open: marking it as an answer is refused, not forbidden)
        with receive(io.BytesIO(b"Hierbij de facturen."), 1000) as letter:
            fields = {"title": "Antwoord", "doc_type": "correspondence_in"}
            store = app.state.web.documents
            document_id = add_document(
                s, rt, store, opened.reference, letter, "antwoord.txt", fields, world.handler
            ).id
        # an approved payment and a proposal above the handler's authority, on a claim of their own
        paying = open_claim(s, rt, melding("contract_breach"), world.handler)
        version = advance(
            s, rt, paying.reference, "start_coverage_check", {}, world.handler, paying.version
        ).version
        version = advance(
            s,
            rt,
            paying.reference,
            "confirm_cover",
            {"expert": world.expert.email, "reserve_damages": "1000"},
            world.handler,
            version,
        ).version
        payee = add_party(s, rt, paying.reference, PAYEE, world.handler)
        paid = advance(
            s,
            rt,
            paying.reference,
            "pay_damages_advance",
            {"amount": "100", "payee": payee},
            world.handler,
            version,
        )
        held = advance(
            s,
            rt,
            paying.reference,
            "pay_damages_advance",
            {"amount": "60000", "payee": payee},
            world.handler,
            paid.version,
        )
        payment_id = s.exec(select(Payment.id).where(Payment.claim_id == paying.claim_id)).first()
        proposal_id = held.proposal_id
        # a complaint on the first claim, received: to acknowledge, extend or answer (its steps leave
        # the claim at its version)
        complaint_id = register_complaint(
            s, rt, opened.reference, {**COMPLAINT, "complainant": party_id}, world.handler
        ).complaint_id
        # a follow-up in the handler's diary, to be marked done
        followup_id = add_followup(s, rt, opened.reference, "2026-12-12", "Bel advocaat terug", world.handler)
    assert outbox_id is not None and party_id is not None and letter_id is not None
    assert payment_id is not None and proposal_id is not None
    anon = TestClient(app, follow_redirects=False)
    clients = {
        "handler": client_for(app, world.handler.email),
        "manager": client_for(app, world.manager.email),
        "admin": client_for(app, world.admin.email),
        "anon": anon,
    }
    tokens = {who: bearer(engine, getattr(world, who)) for who in ("handler", "manager")}
    return Setting(
        app,
        world,
        opened.reference,
        outbox_id,
        party_id,
        document_id,
        letter_id,
        payment_id,
        proposal_id,
        complaint_id,
        followup_id,
        clients,
        tokens,
    )


def _csrf(s: Setting, who: str, scope: str) -> str:
    signer = s.app.state.web.signer
    return str(signer.csrf(token_hash(signer.unsign(s.clients[who].cookies[COOKIE])), scope))


def _fill(s: Setting, template: str) -> str:
    values = {
        "{reference}": s.reference,
        "{message_id}": str(s.outbox_id),
        "{document_id}": str(s.document_id),
        "{user_id}": str(s.world.other_handler.id),
        "{party_id}": str(s.party_id),
        "{letter_id}": str(s.letter_id),
        "{payment_id}": str(s.payment_id),
        "{proposal_id}": str(s.proposal_id),
        "{complaint_id}": str(s.complaint_id),
        "{followup_id}": str(s.followup_id),
    }
    path = template
    for name, value in values.items():
        path = path.replace(name, value)
    assert "{" not in path, f"{template}: say in _fill which row a parameter of this new endpoint names"
    return path


def _who(template: str) -> str:
    if template == "/login":
        return "anon"
    if template.endswith("/withdraw"):  # only the proposer takes a proposal back
        return "handler"
    if template.startswith("/admin/"):
        return "admin"
    if template.startswith(
        ("/dashboard", "/outbox", "/api/outbox", "/payments", "/api/payments", "/proposals", "/api/proposals")
    ):
        return "manager"
    return "handler"


def _form(s: Setting, template: str, who: str) -> dict[str, str]:
    """The ordinary fields of a web form, with a valid CSRF token (or log-in nonce)."""
    transition = {"trigger": "request_information", "questions": "Welke facturen?", "answer_days": "14"}

    def claim() -> dict[str, str]:
        return {"csrf": _csrf(s, who, claim_scope(s.reference, 1)), "version": "1"}

    forms: dict[str, Any] = {
        "/logout": lambda: {"csrf": _csrf(s, who, "logout")},
        "/claims/new": lambda: {"csrf": _csrf(s, who, "melding"), **melding("unpaid_fee")},
        "/claims/{reference}/transitions": lambda: claim() | transition,
        "/claims/{reference}/preview": lambda: claim() | transition,
        "/claims/{reference}/notes": lambda: claim() | {"note": "Gebeld met de verzekerde."},
        "/claims/{reference}/parties": lambda: claim() | {k: str(v) for k, v in PARTY.items() if v},
        "/claims/{reference}/parties/{party_id}": lambda: claim() | {"name": "Opdrachtgever Holding B.V."},
        "/claims/{reference}/documents": lambda: claim() | DOCUMENT_FIELDS,
        "/claims/{reference}/documents/{document_id}/answer": lambda: claim() | {"request": "0"},
        "/claims/{reference}/complaints": lambda: claim() | COMPLAINT | {"complainant": str(s.party_id)},
        "/claims/{reference}/complaints/{complaint_id}/acknowledge": claim,
        "/claims/{reference}/complaints/{complaint_id}/extend": lambda: claim() | EXTENSION,
        "/claims/{reference}/complaints/{complaint_id}/answer": lambda: claim() | ANSWER,
        "/claims/{reference}/reopen": lambda: claim() | {"reason": REOPEN_REASON},
        "/werk/opvolgingen": lambda: {
            "csrf": _csrf(s, who, "work"),
            "reference": s.reference,
            "on": "2026-12-12",
            "text": "Bel advocaat terug",
        },
        "/werk/opvolgingen/{reference}/{followup_id}/klaar": lambda: {"csrf": _csrf(s, who, "work")},
        "/berichten/gelezen": lambda: {"csrf": _csrf(s, who, "inbox")},
        "/dashboard/bijwerken": lambda: {"csrf": _csrf(s, who, "dashboard")},
        "/admin/users": lambda: {
            "csrf": _csrf(s, who, "users"),
            "email": "nieuw@test.nl",
            "name": "Nieuw",
            "role": "handler",
            "password": "wachtwoord-2",
            "authority_limit": "10000",
            "team": "BAV",
        },
        "/admin/users/{user_id}/active": lambda: {"csrf": _csrf(s, who, "users"), "active": "0"},
        "/outbox/{message_id}/retry": lambda: {"csrf": _csrf(s, who, "outbox")},
        "/post/printed": lambda: {"csrf": _csrf(s, who, "post"), "letters": "1"},
        "/letters/{letter_id}/returned": lambda: {"csrf": _csrf(s, who, "letters"), "note": "adres onbekend"},
        "/payments/{payment_id}/paid": lambda: {"csrf": _csrf(s, who, "payments"), "paid_on": "2026-11-20"},
        "/payments/{payment_id}/cancel": lambda: {"csrf": _csrf(s, who, "payments"), "reason": "dubbel"},
        "/proposals/{proposal_id}/decide": lambda: {
            "csrf": _csrf(s, who, "proposals"),
            "decision": "reject",
            "comment": "te hoog",
        },
        "/login": lambda: {
            "nonce": hidden(s.clients["anon"].get("/login").text, "nonce"),
            "email": s.world.handler.email,
            "password": PASSWORD,
            "next": "/",
        },
    }
    assert template in forms, f"{template}: say in _form what this new form posts (and its CSRF scope)"
    return dict(forms[template]())


def _endpoint(s: Setting, method: str, template: str) -> Endpoint:
    who = _who(template)
    path = _fill(s, template)
    if not template.startswith("/api/"):
        return Endpoint(method, path, s.clients[who], form=_form(s, template, who))
    bodies = {
        "/api/claims": melding("unpaid_fee"),
        "/api/claims/{reference}/transitions": TRANSITION,
        "/api/claims/{reference}/preview": TRANSITION,
        "/api/claims/{reference}/notes": {"note": "Gebeld met de verzekerde."},
        "/api/claims/{reference}/parties": PARTY,
        "/api/claims/{reference}/parties/{party_id}": {"name": "Opdrachtgever Holding B.V.", "city": None},
        "/api/claims/{reference}/documents": DOCUMENT_FIELDS,
        "/api/claims/{reference}/documents/{document_id}/answer": {"request": 0},
        "/api/claims/{reference}/complaints": {**COMPLAINT, "complainant": s.party_id},
        "/api/claims/{reference}/complaints/{complaint_id}/acknowledge": {},
        "/api/claims/{reference}/complaints/{complaint_id}/extend": EXTENSION,
        "/api/claims/{reference}/complaints/{complaint_id}/answer": ANSWER,
        "/api/claims/{reference}/reopen": {"version": 1, "reason": REOPEN_REASON},
        "/api/payments/{payment_id}/paid": {"paid_on": "2026-11-20"},
        "/api/payments/{payment_id}/cancel": {"reason": "dubbel"},
        "/api/proposals/{proposal_id}/approve": {"comment": "akkoord"},
        "/api/proposals/{proposal_id}/reject": {"comment": "te hoog"},
        "/api/proposals/{proposal_id}/withdraw": {"comment": "toch niet"},
    }
    body = bodies.get(template, {"value": "x"})  # a new endpoint: at least one string to spoil
    return Endpoint(method, path, s.clients["anon"], headers=s.tokens[who], body=body)


# --- hostile bodies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attack:
    label: str
    content: Any  # bytes, or an iterator of bytes (sent chunked, without a Content-Length)
    content_type: str | None
    status: int | None = None  # the exact answer, where the guard gives it
    names: str | None = None  # the field the answer must name


BAD_TEXT = {  # JSON text that cannot be stored, spelled as the JSON body carries it
    "lone high surrogate": b'"\\ud800"',
    "lone low surrogate": b'"a\\udfffb"',
    "escaped NUL": b'"a\\u0000b"',
    "raw NUL": b'"a\x00b"',
    "invalid UTF-8": b'"a\xff\xfeb"',
    "UTF-8 of a surrogate": b'"\xed\xa0\x80"',
    "truncated UTF-8": b'"ab\xc3"',
}
BAD_FORM_TEXT = {
    "invalid UTF-8": b"%FF%FE",
    "raw invalid UTF-8": b"a\xffb",
    "UTF-8 of a surrogate": b"%ED%A0%80",
    "NUL": b"a%00b",
    "raw NUL": b"a\x00b",
}
PLACEHOLDER = "@@hostile@@"
# a document's form: these fields and a file, posted as multipart (its ordinary body)
DOCUMENT_FIELDS = {"title": "Contract", "doc_type": "contract"}
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n"


def _document_upload(fields: dict[str, Any]) -> Attack:
    """The fields and a small PDF as multipart/form-data, the way a browser posts a document."""
    boundary = "claimflow-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="contract.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + PDF
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return Attack("ordinary", body, f"multipart/form-data; boundary={boundary}")


JSON = "application/json"
URLENCODED = "application/x-www-form-urlencoded"


def _positions(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every position of a JSON document, the containers too, outermost first."""
    if path:
        yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _positions(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _positions(v, (*path, str(i)))


def _replaced(document: Any, path: tuple[str, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(document) if isinstance(document, dict) else list(document)
    key: Any = path[0] if isinstance(copy, dict) else int(path[0])
    copy[key] = _replaced(copy[key], path[1:], new)
    return copy


def _renamed(document: dict[str, Any], path: tuple[str, ...], new: str) -> dict[str, Any]:
    if len(path) == 1:
        return {(new if k == path[0] else k): v for k, v in document.items()}
    return {k: (_renamed(v, path[1:], new) if k == path[0] else v) for k, v in document.items()}


def _spelled(document: Any, bad: bytes) -> bytes:
    return json.dumps(document).encode().replace(json.dumps(PLACEHOLDER).encode(), bad)


def _json_attacks(body: Any) -> Iterator[Attack]:
    ordinary = json.dumps(body).encode()
    for path in _positions(body):
        name = ".".join(path)
        for label, bad in BAD_TEXT.items():
            # in the value's place (a string where a number was is a hostile string all the same)
            yield Attack(
                f"{name} = {label}", _spelled(_replaced(body, path, PLACEHOLDER), bad), JSON, 422, name
            )
            if path[-1].isdigit():
                continue
            # and as the field's name
            renamed = _renamed(body, path, PLACEHOLDER)
            yield Attack(f"name of {name}: {label}", _spelled(renamed, bad), JSON, 422, None)
        for wrong in WRONG[KINDS.get(name, "unknown")]:
            yield Attack(f"{name} = {wrong!r}", json.dumps(_replaced(body, path, wrong)).encode(), JSON)
    for top in ([], [body], "x", 1, None, True):
        yield Attack(f"a body of {top!r:.20}", json.dumps(top).encode(), JSON)
    yield Attack("an empty body", b"", JSON)
    yield Attack("only spaces", b"   ", JSON)
    yield Attack("no body and no type", b"", None)
    yield Attack("not JSON", b"{not json", JSON, 422)
    yield Attack("JSON in UTF-16", json.dumps(body).encode("utf-16"), "application/json; charset=utf-16", 422)
    yield Attack("100,000 [", b"[" * 100_000, JSON, 422)
    yield Attack("100,000 nested objects", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, JSON, 422)
    deep: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    yield Attack("one level too deep", json.dumps({"x": deep}).encode(), JSON, 422, "body")
    yield Attack("a 5,000-digit number", b'{"version": ' + b"9" * 5000 + b"}", JSON, 422)
    yield from _size_attacks(ordinary, JSON)
    for media in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        yield Attack(f"the ordinary body as {media}", ordinary, media)
    yield Attack("no content type", ordinary, None)
    content, media = _multipart([(b"note", b"x"), (b"trigger", b"x")])
    yield Attack("a multipart form", content, media)


def _size_attacks(ordinary: bytes, media: str) -> Iterator[Attack]:
    ten_mb = ordinary + b" " * (10 * 1024 * 1024)
    yield Attack("10 MB with its length", ten_mb, media, 413)
    yield Attack(
        "10 MB chunked", iter([ten_mb[i : i + 65536] for i in range(0, len(ten_mb), 65536)]), media, 413
    )
    yield Attack("one byte too many", ordinary + b" " * (MAX_BODY + 1 - len(ordinary)), media, 413)


def _multipart(fields: list[tuple[bytes, bytes]]) -> tuple[bytes, str]:
    parts = b"".join(
        b'--grens\r\nContent-Disposition: form-data; name="' + name + b'"\r\n\r\n' + value + b"\r\n"
        for name, value in fields
    )
    return parts + b"--grens--\r\n", "multipart/form-data; boundary=grens"


def _urlencoded(fields: list[tuple[bytes, bytes]]) -> bytes:
    return b"&".join(name + b"=" + value for name, value in fields)


def _encoded(form: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (quote_from_bytes(k.encode()).encode(), quote_from_bytes(v.encode()).encode())
        for k, v in form.items()
    ]


def _form_attacks(form: dict[str, str]) -> Iterator[Attack]:
    fields = _encoded(form)
    urlencoded = URLENCODED
    for i, (name, _) in enumerate(fields):
        shown = name.decode()
        for label, bad in BAD_FORM_TEXT.items():
            spoiled = [*fields[:i], (name, bad), *fields[i + 1 :]]
            yield Attack(f"{shown} = {label}", _urlencoded(spoiled), urlencoded, 422, shown)
        for label in ("invalid UTF-8", "NUL"):
            renamed = [*fields[:i], (BAD_FORM_TEXT[label], fields[i][1]), *fields[i + 1 :]]
            yield Attack(
                f"name of {shown}: {label}", _urlencoded(renamed), urlencoded, 422, "naam van het veld"
            )
        raw = [(k.encode(), v.encode()) for k, v in form.items()]
        content, media = _multipart([*raw[:i], (name, b"a\xffb"), *raw[i + 1 :]])
        yield Attack(f"{shown} = invalid UTF-8, multipart", content, media, 422, shown)
        content, media = _multipart([*raw[:i], (name, b"a\x00b"), *raw[i + 1 :]])
        yield Attack(f"{shown} = NUL, multipart", content, media, 422, shown)
    ordinary = _urlencoded(fields)
    yield Attack("an empty body", b"", urlencoded)
    yield Attack("no body and no type", b"", None)
    yield Attack("the form as JSON", json.dumps(form).encode(), JSON)
    yield Attack("the form as text", ordinary, "text/plain")
    yield Attack("multipart without a boundary", ordinary, "multipart/form-data")
    yield Attack(
        "multipart in latin-1",
        _multipart([(b"note", b"\xe9")])[0],
        "multipart/form-data; boundary=grens; charset=latin-1",
    )
    yield Attack("a broken multipart body", b"--grens\r\nnonsense", "multipart/form-data; boundary=grens")
    yield Attack("100,000 [ as JSON", b"[" * 100_000, JSON, 422)
    yield from _size_attacks(ordinary, urlencoded)


def _send(e: Endpoint, attack: Attack) -> Any:
    headers = dict(e.headers)
    if attack.content_type is not None:
        headers["Content-Type"] = attack.content_type
    return e.client.request(e.method, e.path, content=attack.content, headers=headers)


def _named(response: Any, name: str) -> bool:
    if response.headers.get("content-type", "").startswith("application/json"):
        errors = response.json().get("errors", {})
        return name in errors or any(name in problem for problem in errors.values())
    if " " in name:
        return name in response.text
    # a page names the field by the label its form shows it with
    return f"{name}:" in response.text or f"{field_label(name)}:" in response.text


def _counts(engine: Engine) -> tuple[int, ...]:
    """The rows of every table, counted in one statement: cheap enough to take after each request."""
    tables = SQLModel.metadata.sorted_tables
    with engine.connect() as conn:
        return tuple(
            conn.execute(
                select(*[select(func.count()).select_from(t).scalar_subquery() for t in tables])
            ).one()
        )


@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_hostile_body_is_refused_with_a_4xx_and_stores_nothing(
    method: str, template: str, setting: Setting, engine: Engine
) -> None:
    e = _endpoint(setting, method, template)
    attacks = list(_json_attacks(e.body) if e.api else _form_attacks(e.form or {}))
    if not e.api:
        attacks += [a for a in _json_attacks({"note": "x"}) if a.names]  # JSON at a form: refused too
    before, counts = snapshot(engine), _counts(engine)
    failures = []
    for attack in attacks:
        r = _send(e, attack)
        wrong = []
        if not 400 <= r.status_code < 500:
            wrong.append(f"status {r.status_code}")
        elif attack.status is not None and r.status_code != attack.status:
            wrong.append(f"status {r.status_code}, expected {attack.status}")
        if attack.names and 400 <= r.status_code < 500 and not _named(r, attack.names):
            wrong.append(f"does not name {attack.names!r}")
        if _counts(engine) != counts:
            wrong.append("stored something")
            counts = _counts(engine)
        if wrong:
            failures.append(f"{attack.label}: {', '.join(wrong)}: {r.text[:200]!r}")
    assert not failures, f"{method} {e.path}:\n" + "\n".join(failures)
    assert snapshot(engine) == before, "a hostile request changed a row"  # an update counts no new rows

    # the same endpoint with its ordinary body: not refused for who asks or for its token
    if method == "POST" and UPLOAD_PATH.match(template):
        ordinary = _document_upload(e.body if e.api else e.form or {})
    elif e.api:
        ordinary = Attack("ordinary", json.dumps(e.body).encode(), JSON)
    else:
        ordinary = Attack("ordinary", _urlencoded(_encoded(e.form or {})), URLENCODED)
    r = _send(e, ordinary)
    if r.status_code == 405:  # a route that only says which methods the path has: nothing to reach
        assert method not in r.headers["allow"], r.headers
        return
    assert r.status_code < 500 and r.status_code not in (401, 403, 404, 413, 415), r.text[:500]


# --- a large body is not read ------------------------------------------------------------------


def _call(app: Any, headers: list[tuple[bytes, bytes]], chunks: int) -> tuple[int, int]:
    """POST an endless body (64 KiB chunks) straight to the ASGI app: (status, chunks it read)."""
    read = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b" " * 65536, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/claims",
        "raw_path": b"/api/claims",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
        "state": {},
    }
    anyio.run(app, scope, receive, send)
    return status, read


def test_a_body_beyond_the_limit_is_refused_without_reading_the_rest(app: Any) -> None:
    declared = [(b"content-length", str(10 * 1024 * 1024).encode())]
    assert _call(app, declared, 160) == (413, 0)  # its length says it: not a byte is read
    status, read = _call(app, [], 10_000)  # chunked, no length: read until the limit, then stop
    assert status == 413
    assert read == MAX_BODY // 65536 + 1


# --- a version the claim never had ----------------------------------------------------------------


def test_a_version_ahead_of_the_claim_is_409_and_says_so(setting: Setting, engine: Engine) -> None:
    api = setting.clients["anon"]
    before = snapshot(engine)
    body = TRANSITION | {"version": 12}
    r = api.post(f"/api/claims/{setting.reference}/transitions", json=body, headers=setting.tokens["handler"])
    assert r.status_code == 409
    assert "versie 12 bestaat nog niet; de claim is op versie 1" in r.json()["detail"]
    assert (r.json()["current_state"], r.json()["current_version"]) == ("melding", 1)
    assert snapshot(engine) == before
