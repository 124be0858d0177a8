"""schemathesis hooks for tests/web/test_openapi.py: what only the database and the clock know.

A schema can say that a policy number is text and a date is a date; it cannot say which policies exist,
that a claim's dates run in order up to today, or which cursor the server handed out. A request the
document allows (schemathesis's positive mode) is given those facts here, so that a refusal of it is a
finding; nothing else is changed, and a request the document forbids is left as it was generated.
The server's facts come from the test through the environment (see ENV)."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import schemathesis

from claims.kinds.catalog import load_catalog
from claims.reads.claim_list import SORTS, decode_cursor
from workflow.errors import InvalidInput
from workflow.inputs import parse_boolean, parse_datetime
from workflow.spec import FieldSpec

# JSON: {"policy": a policy number, "series_claim": a claim of that policy, "handler": the handler the
# run's claims go to, "colleague": another handler, "expert": an expert, "manager": a manager, "users":
# every user's address, "database": the server's SQLite file (what a claim's parties are)}
ENV = "CLAIMFLOW_OPENAPI_FACTS"
TZ = ZoneInfo("Europe/Amsterdam")


@cache
def _facts() -> dict[str, Any]:
    facts: dict[str, Any] = json.loads(os.environ[ENV])
    return facts


@cache
def _fields() -> dict[str, tuple[FieldSpec, ...]]:
    """The fields each trigger asks for (the same in every kind that has it)."""
    return {t.trigger: t.fields for spec in load_catalog().latest() for t in spec.transitions}


def _positive(case: Any) -> bool:
    # a stateful step carries no generation metadata: it sends what the document allows (positive)
    meta = case.meta
    generation = getattr(meta, "generation", None)
    return generation is None or generation.mode.is_positive


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _melding(body: dict[str, Any]) -> dict[str, Any]:
    """An existing policy, a handler who may take it, dates in order up to today, the data-breach
    moment in the past when personal data are involved, and an own reference no other claim has."""
    now = datetime.now(TZ)
    today = now.date()
    out = {**body, "policy_number": _facts()["policy"], "handler": _facts()["handler"]}
    names = [n for n in ("date_error", "date_known", "date_reported") if isinstance(out.get(n), str)]
    names = [n for n in names if not _blank(out[n])]
    days = sorted(min(date.fromisoformat(out[n]), today) for n in names)
    out.update({n: d.isoformat() for n, d in zip(names, days, strict=True)})
    moment = out.get("awareness_at")
    later = isinstance(moment, str) and not _blank(moment) and parse_datetime(moment, "", TZ) > now
    personal = out.get("personal_data")
    involved = parse_boolean(personal) is True  # True, 1, "ja", … as the melding reads them
    if later or (involved and _blank(moment)):
        out["awareness_at"] = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    if involved and _blank(out.get("data_role")):  # which AVG clock runs depends on it
        out["data_role"] = "controller"
    if not _blank(out.get("insured_reference")):
        out["insured_reference"] = f"ST-{uuid.uuid4().hex}"
    for name in [n for n in out if n.startswith("reserve_") and not _blank(out[n])]:
        out[name] = "100.00"  # within anyone's authority: above it a melding is rightly refused (422)
    return out


def _value(field: FieldSpec, now: datetime) -> Any:
    """A value of the field's type that the transition's own rules accept too."""
    facts = _facts()
    values = {
        "text": "door schemathesis",
        "textarea": "door schemathesis",
        "money": "100.00",
        "percent": "50",
        "integer": 5,  # answer_days: 1-60 working days
        "date": now.date().isoformat(),
        "datetime": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "boolean": False,
    }
    if field.type == "choice":
        return field.choices[0][0]
    if field.name == "notified_at":  # a notification is never before the breach was discovered
        return now.strftime("%Y-%m-%dT%H:%M:%S")
    if field.name == "series_reference":  # the first claim of a series: another claim of the policy
        return facts["series_claim"]
    if field.type == "user":  # reassign: the run's claims are the handler's, so to the colleague
        return facts["expert"] if field.role == "expert" else facts["colleague"]
    return values[field.type]


def _transition(body: dict[str, Any]) -> dict[str, Any]:
    """The fields the trigger asks for, instead of the names the document cannot list: the fields of
    `data` depend on the trigger (GET /api/workflows/{kind})."""
    now = datetime.now(TZ)
    fields = _fields().get(str(body.get("trigger")), ())
    if any(f.type == "party" and f.required for f in fields):
        # a payee is a party of the claim with an IBAN, which a run's claims have not got: a step that
        # pays is tried in tests/claims/money and tests/web/test_api.py; this one asks for information
        body = {**body, "trigger": "request_information"}
        fields = _fields().get("request_information", ())
    return {**body, "data": {f.name: _value(f, now) for f in fields if f.required}}


def _known_handler(query: dict[str, Any]) -> dict[str, Any]:
    """A handler filter names a user (an unknown address is refused, 422, as it should be)."""
    if not _blank(query.get("handler")) and str(query["handler"]).strip().lower() not in _facts()["users"]:
        query["handler"] = _facts()["handler"]
    return query


def _party(body: Any, *, changing: bool = False) -> Any:
    """A party the field rules accept: a Dutch postcode, a whole address or none, an e-mail address when
    letters go by e-mail, a valid IBAN with its holder (rules across fields a schema does not state)."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    if changing:  # the party changed is the claimant with no address: give the rules what they need
        # emptying what another stored field depends on (the holder of an IBAN, the address of an
        # e-mail channel) is rightly refused: a change leaves those as they are
        for k in ("account_holder", "email", "channel"):
            if k in out and _blank(out[k]):
                del out[k]
        out.update({k: out.get(k) or v for k, v in (("street", "Kerkstraat 1"), ("city", "Utrecht"))})
    if not _blank(out.get("postcode")) or any(not _blank(out.get(k)) for k in ("street", "city")):
        out.update(
            {
                k: out.get(k) if not _blank(out.get(k)) else v
                for k, v in (("street", "Kerkstraat 1"), ("city", "Utrecht"))
            }
        )
        out["postcode"] = "3511 AX"
        out["country"] = ""
    if out.get("channel") == "email" and _blank(out.get("email")):
        out["email"] = "partij@example.nl"
    if not _blank(out.get("iban")):
        out["iban"] = "NL91ABNA0417164300"
    if not _blank(out.get("iban")) and _blank(out.get("account_holder")):
        out["account_holder"] = "Rekeninghouder"
    return out


# the smallest file the upload accepts by its content: a PDF
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _document(body: Any) -> Any:
    """An upload the document rules accept: a file whose content is an allowed type (the schema can say
    it is binary, not what it is), received today or before."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    if isinstance(out.get("file"), bytes):  # a case without a file (or not one) is refused for that
        out["file"] = PDF
    received = out.get("received_on")
    if isinstance(received, str) and not _blank(received) and received > datetime.now(TZ).date().isoformat():
        out["received_on"] = datetime.now(TZ).date().isoformat()
    return out


def _complaint(reference: Any, body: Any) -> Any:
    """A complaint the rules accept: from a party of the claim (the schema can say it is a number, not
    whose), received today (never in the future, never before the melding)."""
    if not isinstance(body, dict):
        return body
    out = {**body, "received_on": datetime.now(TZ).date().isoformat()}
    database = _facts().get("database")
    if database and isinstance(reference, str):
        with sqlite3.connect(database) as db:
            found = db.execute(
                "SELECT p.id FROM parties p JOIN claims c ON c.id = p.claim_id WHERE c.reference = ? "
                "ORDER BY p.id LIMIT 1",
                (reference,),
            ).fetchone()
        if found is not None:
            out["complainant"] = found[0]
    return out


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    if not _positive(case):
        return case
    path, method = case.operation.path, case.method.upper()
    if (method, path) == ("POST", "/api/claims") and isinstance(case.body, dict):
        case.body = _melding(case.body)
        if isinstance(case.body.get("parties"), list):
            case.body["parties"] = [_party(p) for p in case.body["parties"]]
    elif (method, path) == ("POST", "/api/claims/{reference}/documents"):
        case.body = _document(case.body)
    elif (method, path) == ("POST", "/api/claims/{reference}/complaints"):
        case.body = _complaint((case.path_parameters or {}).get("reference"), case.body)
    elif method == "POST" and path.endswith("/parties"):
        case.body = _party(case.body)
    elif method == "PATCH" and "/parties/" in path:
        case.body = _party(case.body, changing=True)
    elif (method, path) == ("GET", "/api/claims") and case.query:
        query = _known_handler(dict(case.query))
        if query.get("cursor"):
            # only a cursor the server handed out (next_cursor) leads anywhere
            try:
                decode_cursor(str(query["cursor"]), str(query.get("sort") or next(iter(SORTS))))
            except (InvalidInput, KeyError):
                del query["cursor"]
        case.query = query
    elif (method, path) == ("POST", "/api/payments/{payment_id}/paid") and isinstance(case.body, dict):
        # a payment is paid on or after the day it was made: today is always such a day
        case.body = {**case.body, "paid_on": datetime.now(TZ).date().isoformat()}
    elif method == "POST" and path.endswith(("/transitions", "/preview")) and isinstance(case.body, dict):
        case.body = _transition(case.body)
    elif (method, path) == ("GET", "/api/exports/timelines") and case.query:
        query = _known_handler(dict(case.query))
        start, end = query.get("from"), query.get("to")
        if isinstance(start, str) and isinstance(end, str) and start and end and start > end:
            query["from"], query["to"] = end, start
        case.query = query
    return case
