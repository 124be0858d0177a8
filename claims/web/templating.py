"""Jinja2 for the pages: autoescaping on, undefined names an error, Dutch formatting as filters."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from claims.kinds.catalog import LETTER_DIR
from claims.notify.inbox import unread_count
from claims.parties.fields import CHANNEL_LABELS, iban_display
from claims.parties.fields import ROLE_LABELS as PARTY_ROLE_LABELS
from claims.reads.field_values import field_value_text
from claims.reads.labels import BOOKED_AS_LABELS, EVENT_LABELS, OUTCOME_LABELS, PAYMENT_STATUS_LABELS
from claims.storage.models import COST_TYPE_LABELS
from claims.web.deps import Viewer, WebContext
from claims.web.present import (
    ROLE_LABELS,
    kind_label,
    moment_text,
    state_label,
    time_left,
)
from notifications.formatting import euro, long_date
from notifications.letters import LetterRenderer

_LETTERS = LetterRenderer(LETTER_DIR)
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "web"
STATIC_DIR = TEMPLATE_DIR / "static"


# what `d.name` finds on a dict as an attribute before its keys (a method: `d.items`, `d.get`)
_DICT_ATTRIBUTES = frozenset(dir(dict))


class _PageEnvironment(Environment):
    """Jinja's environment, reading `e.at` of a dict as Jinja does, without its detour: the reads give
    pages dicts (a timeline's events, notes, letters), and Jinja looks a name up as an attribute
    first, an AttributeError raised and caught on every use (about a microsecond each, thousands on a
    claim page with a long timeline). A name a plain dict has as an attribute still goes that way."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_environment(ctx_tz: Any) -> Environment:
    env = _PageEnvironment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        euro=lambda v: "" if v is None or v == "" else euro(v if isinstance(v, Decimal) else Decimal(str(v))),
        moment=lambda v: moment_text(v, ctx_tz),
        longdate=lambda v: "" if v is None else long_date(v),
        # a moment's day where the reader is (a term counted from 00:00 Amsterdam is 23:00 UTC the day before)
        localdate=lambda v: "" if v is None else long_date(v, ctx_tz),
        # a date kept as ISO text in a claim's facts (an interest period, a choice)
        isodate=lambda v: "" if not v else long_date(date.fromisoformat(str(v)[:10])),
        # a moment kept as ISO text in an event's data (a due moment of a term it opened)
        isomoment=lambda v: "" if not v else moment_text(datetime.fromisoformat(str(v)), ctx_tz),
        iban=iban_display,
        kind=kind_label,
    )
    env.globals.update(
        # a fresh token for a form that must not be stored twice when it is sent twice (a note)
        form_token=lambda: secrets.token_urlsafe(16),
        COST_TYPES=COST_TYPE_LABELS,
        OUTCOMES=OUTCOME_LABELS,
        ROLES=ROLE_LABELS,
        EVENTS=EVENT_LABELS,
        PAYMENT_STATUS=PAYMENT_STATUS_LABELS,
        BOOKED_AS=BOOKED_AS_LABELS,
        RECIPIENTS={
            "insured": "verzekerde",
            "claimant": "benadeelde",
            "expert": "expert",
            "handler": "behandelaar",
            "manager": "manager",
        },
        # a letter named by its title before it is written ("Verstuurt: ..." on a transition's form)
        letter_title=_LETTERS.title,
        OUTBOX_STATUS={
            "pending": "wacht",
            "sending": "wordt verstuurd",
            "sent": "verstuurd",
            "incident": "incident",
        },
        PARTY_ROLES=PARTY_ROLE_LABELS,
        PARTY_CHANNELS=CHANNEL_LABELS,
        time_left=time_left,
        # a transition's typed input by its field's type (users by e-mail address, parties by id)
        field_value=lambda v, field_type, choices, users, parties: field_value_text(
            v, field_type, choices, users=users, parties=parties, tz=ctx_tz
        ),
    )
    return env


def render(
    request: Request,
    ctx: WebContext,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    viewer: Viewer | None = None,
) -> HTMLResponse:
    env: Environment = request.app.state.jinja
    now = ctx.rt.clock()
    logout_csrf = ctx.signer.csrf(viewer.session_key, "logout") if viewer else ""
    unread = unread_count(request.state.db, viewer.user) if viewer and hasattr(request.state, "db") else 0
    html = env.get_template(name).render(
        request=request,
        user=viewer.user if viewer else None,
        logout_csrf=logout_csrf,
        unread=unread,
        now=now,
        state_label=lambda kind, state, version=None: state_label(ctx.rt.catalog, kind, state, version),
        **context,
    )
    # Pages show personal and financial data: never cached, never framed.
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; "
            "form-action 'self'; frame-ancestors 'none'",
        },
    )
