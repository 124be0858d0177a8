"""The one place domain errors become HTTP answers: a status and a message a person can act on."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from claims.errors import (
    ClaimNotFound,
    LetterFailed,
    LetterNotFound,
    LoginRefused,
    NotAnIncident,
    OutboxNotFound,
    StaleClaim,
)
from claims.text import displayable
from workflow.errors import Forbidden, InvalidInput, SpecError, TransitionNotAllowed, WorkflowError

STATUS: tuple[tuple[type[WorkflowError], int], ...] = (
    (InvalidInput, 422),
    (Forbidden, 403),
    (StaleClaim, 409),
    (TransitionNotAllowed, 409),
    (ClaimNotFound, 404),
    (LetterNotFound, 404),
    (OutboxNotFound, 404),
    (NotAnIncident, 409),
    (LoginRefused, 401),
    (SpecError, 500),
    (LetterFailed, 500),
)


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
