"""The session cookie and CSRF tokens.

The cookie carries the session token signed with the secret key (a tampered cookie is simply not a
session). A CSRF token is an HMAC of the session and what the form acts on; for a claim that includes
its version, so a form rendered before someone else advanced the claim is recognised as stale.
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, Signer

COOKIE = "claimflow_session"
LOGIN_COOKIE = "claimflow_login"


class CookieSigner:
    def __init__(self, secret: str) -> None:
        self._signer = Signer(secret, salt="claimflow.session")
        self._secret = secret.encode()

    def sign(self, token: str) -> str:
        return self._signer.sign(token).decode()

    def unsign(self, value: str) -> str | None:
        try:
            return self._signer.unsign(value).decode()
        except BadSignature:
            return None

    def csrf(self, session_key: str, scope: str) -> str:
        return hmac.new(self._secret, f"{session_key}|{scope}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, session_key: str, scope: str, token: str) -> bool:
        return hmac.compare_digest(self.csrf(session_key, scope), token or "")


def claim_scope(reference: str, version: int | str) -> str:
    return f"claim:{reference}:{version}"
