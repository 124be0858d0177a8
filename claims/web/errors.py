"""The one place domain errors become HTTP answers: a status and a message a person can act on, as
JSON under /api and as the error page elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from claims.errors import (
    CannotAnswer,
    ClaimNotFound,
    DocumentDamaged,
    DocumentNotFound,
    DocumentTooLarge,
    LetterFailed,
    LetterNotFound,
    LoginRefused,
    NotAnIncident,
    OutboxNotFound,
    PartyNotFound,
    StaleClaim,
)
from claims.kinds.catalog import load_catalog
from claims.kinds.intake import INTAKE_FIELDS
from claims.parties.fields import FIELDS as PARTY_FIELDS
from claims.text import displayable
from claims.web.deps import LoginRequired, Viewer, WebContext
from claims.web.templating import render
from notifications.letters import LetterError
from workflow.errors import (
    CalendarNotCovered,
    Forbidden,
    InvalidInput,
    SpecError,
    TransitionNotAllowed,
    WorkflowError,
)

log = logging.getLogger("claimflow.web")
API_PREFIX = "/api"

STATUS: tuple[tuple[type[WorkflowError], int], ...] = (
    (PartyNotFound, 404),  # before InvalidInput, which it is too
    (CannotAnswer, 409),  # likewise
    (InvalidInput, 422),
    (Forbidden, 403),
    (StaleClaim, 409),
    (TransitionNotAllowed, 409),
    (ClaimNotFound, 404),
    (LetterNotFound, 404),
    (OutboxNotFound, 404),
    (DocumentNotFound, 404),
    (DocumentTooLarge, 413),
    (DocumentDamaged, 500),
    (NotAnIncident, 409),
    (LoginRefused, 401),
    (SpecError, 500),
    (CalendarNotCovered, 503),  # the calendar data must be extended: nothing the user can change
    (LetterFailed, 500),
)


def is_api(path: str) -> bool:
    """Whether `path` is the JSON API's: its answers, errors included, are JSON; all others are pages."""
    return path.startswith(API_PREFIX)


def status_of(exc: WorkflowError) -> int:
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)


def message_of(exc: WorkflowError) -> str:
    """The sentence shown for `exc`; what it echoes of the input is made safe to encode (an answer that
    repeats a lone surrogate or a NUL would itself fail)."""
    if isinstance(exc, InvalidInput):
        return displayable(
            "Ongeldige invoer: " + "; ".join(f"{field}: {problem}" for field, problem in exc.errors.items())
        )
    return displayable(str(exc))


# what a form calls the fields that are not a transition's (those carry their own labels in the spec)
_FORM_LABELS = {
    "note": "Notitie",
    "reason": "Reden",
    "state": "Fase",
    "kind": "Soort claim",
    "handler": "Behandelaar",
    "q": "Zoeken",
    "sort": "Volgorde",
    "cursor": "Bladzijde",
    "version": "Versie",
    "form_token": "Formulier",
    "opened_from": "Gemeld vanaf",
    "opened_to": "Gemeld tot en met",
    "email": "E-mailadres",
    "role": "Rol",
    "name": "Naam",
    "authority_limit": "Bevoegdheid",
    "document": "Document",
    "request": "Informatieverzoek",
    "file": "Bestand",
}


@cache
def _labels() -> dict[str, str]:
    """Every field's label by its name: the melding's, the parties', the documents', every transition's
    of the current specs, and the forms' own (the first label a name has wins)."""
    found: dict[str, str] = {}
    for spec in load_catalog().latest():
        for t in spec.transitions:
            for f in t.fields:
                found.setdefault(f.name, f.label)
    for name, label in [(f.name, f.label) for f in INTAKE_FIELDS] + [(p.name, p.label) for p in PARTY_FIELDS]:
        found.setdefault(name, label)
    return {**found, **_FORM_LABELS}


def field_label(name: str) -> str:
    """The label a form shows for the field `name` (the name itself when no form has it)."""
    return _labels().get(name, name)


def page_message(exc: WorkflowError, labels: Mapping[str, str] | None = None) -> str:
    """The sentence a page shows for `exc`: a refused field named by its label, as the form shows it
    ("Notitie: een lege notitie wordt niet opgeslagen"), not by its internal name; `labels` first."""
    if isinstance(exc, InvalidInput):
        known = {**_labels(), **(labels or {})}
        return displayable(
            "; ".join(
                f"{known.get(str(field), str(field))}: {problem}" for field, problem in exc.errors.items()
            )
        )
    return displayable(str(exc))


def _fields(errors: dict[str, Any]) -> dict[str, str]:
    return {displayable(str(field)): displayable(str(problem)) for field, problem in errors.items()}


def body_of(exc: WorkflowError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": message_of(exc)}
    if isinstance(exc, InvalidInput):
        body["errors"] = _fields(exc.errors)
    if isinstance(exc, StaleClaim):
        body["current_state"] = exc.current_state
        body["current_version"] = exc.current_version
    return body


def domain_error_json(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkflowError)
    headers = {}
    if isinstance(exc, LoginRefused) and exc.retry_after:
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(body_of(exc), status_code=status_of(exc), headers=headers)


def validation_error_json(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own request checks (a missing body, a malformed JSON document, a non-integer
    version) answered like the domain's: a sentence, plus the fields."""
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        name = ".".join(loc) or "body"
        if err.get("type") == "json_invalid":
            errors["body"] = "geen geldig JSON-document"
        else:
            errors[name] = str(err.get("msg", "ongeldig"))
    errors = _fields(errors)
    detail = "Ongeldige invoer: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
    return JSONResponse({"detail": detail, "errors": errors}, status_code=422)


def http_error_json(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = displayable(exc.detail) if isinstance(exc.detail, str) else exc.detail
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def error_page(request: Request, ctx: WebContext, viewer: Viewer | None, exc: WorkflowError) -> Response:
    return render(request, ctx, "error.html", {"message": page_message(exc)}, status_of(exc), viewer)


def install(app: FastAPI) -> None:
    """The handlers that answer a domain error, a refused request and an HTTP error, for pages and API."""

    # On the event loop, not a worker thread: none of them touches the database (error pages are
    # drawn without the viewer), and under load a 409 must not queue for a thread to be written.
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        where = f"/login?{urlencode({'next': target})}" if request.method == "GET" else "/login"
        return RedirectResponse(where, status_code=303)

    @app.exception_handler(WorkflowError)
    async def _domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WorkflowError)
        if is_api(request.url.path):
            return domain_error_json(request, exc)
        return error_page(request, request.app.state.web, None, exc)

    @app.exception_handler(LetterError)
    async def _letter(request: Request, exc: Exception) -> Response:
        log.error("letter failed on %s %s: %s", request.method, request.url.path, exc)
        return await _domain(
            request,
            LetterFailed(
                f"De brief kan niet worden gemaakt ({exc}). Er is niets doorgevoerd; "
                "meld dit aan de beheerder."
            ),
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: Exception) -> Response:
        if is_api(request.url.path):
            return validation_error_json(request, exc)
        assert isinstance(exc, RequestValidationError)
        fields = {".".join(str(p) for p in e["loc"][1:]) or "invoer": str(e["msg"]) for e in exc.errors()}
        return error_page(request, request.app.state.web, None, InvalidInput(fields))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if is_api(request.url.path):
            return http_error_json(request, exc)
        message = "Deze pagina bestaat niet." if exc.status_code == 404 else str(exc.detail)
        page = render(request, request.app.state.web, "error.html", {"message": message}, exc.status_code)
        page.headers.update(exc.headers or {})  # Allow, Retry-After, WWW-Authenticate
        return page
