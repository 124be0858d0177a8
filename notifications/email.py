"""E-mail over SMTP: the server from a URL, a message from plain data (text, and HTML besides it when
given), and an answer to the one question the outbox asks of a failure: try again later, or give up.

Knows nothing of claims. `smtp://user:password@host:port` (STARTTLS when the URL says `?starttls=true`),
`smtps://...` for TLS from the start; no URL, no e-mail.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_TIMEOUT = 20.0


class SmtpUrlError(ValueError):
    """CLAIMFLOW_SMTP_URL cannot be used; the message says why."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool = False  # TLS from the first byte (smtps, port 465)
    starttls: bool = False
    username: str = ""
    password: str = ""
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise SmtpUrlError(
                f"CLAIMFLOW_SMTP_URL must start with smtp:// or smtps://, not '{parts.scheme}:'"
            )
        if not parts.hostname:
            raise SmtpUrlError("CLAIMFLOW_SMTP_URL names no host")
        try:
            port = parts.port
        except ValueError as exc:
            raise SmtpUrlError(f"CLAIMFLOW_SMTP_URL has a bad port: {exc}") from None
        query = parse_qs(parts.query)
        unknown = sorted(set(query) - {"starttls", "timeout"})
        if unknown:
            raise SmtpUrlError(f"CLAIMFLOW_SMTP_URL: unknown option {', '.join(unknown)}")
        starttls = query.get("starttls", ["false"])[-1].lower()
        if starttls not in ("true", "false"):
            raise SmtpUrlError("CLAIMFLOW_SMTP_URL: starttls must be true or false")
        try:
            timeout = float(query.get("timeout", [DEFAULT_TIMEOUT])[-1])
        except ValueError:
            timeout = -1.0
        if not 0 < timeout <= 600:
            raise SmtpUrlError("CLAIMFLOW_SMTP_URL: timeout must be a number of seconds between 0 and 600")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if tls else 25),
            tls=tls,
            starttls=starttls == "true",
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            timeout=timeout,
        )


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (a letter's PDF)."""

    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class Mail:
    """One message as the outbox holds it."""

    message_id: str  # stable per outbox row: a receiver can drop a copy sent again after a crash
    sender: str
    to_address: str
    to_name: str
    subject: str
    body: str
    date: datetime
    html: str = ""  # an HTML part besides the text, when there is one
    attachments: tuple[Attachment, ...] = ()


def build_message(mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = formataddr((mail.to_name, mail.to_address))
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(mail.date)
    msg["Message-ID"] = mail.message_id
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to the robot
    msg.set_content(mail.body)
    if mail.html:  # multipart/alternative: the text part first, the HTML part the one a mail reader prefers
        msg.add_alternative(mail.html, subtype="html")
    for a in mail.attachments:  # multipart/mixed around the message, the files after it
        msg.add_attachment(a.content, maintype=a.maintype, subtype=a.subtype, filename=a.filename)
    return msg


class SendFailed(Exception):
    """A message was not accepted. `permanent`: the server refused it for good (5xx); trying the same
    message again will not help. Otherwise (4xx, a connection that failed) a later try may work."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


def _failure(exc: Exception) -> SendFailed:
    if isinstance(exc, smtplib.SMTPSenderRefused):  # our sender address: a setting, not this message
        return SendFailed(f"afzender geweigerd: {exc.smtp_code} {exc.smtp_error!r}", permanent=False)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{addr}: {code} {msg!r}" for addr, (code, msg) in exc.recipients.items())
        return SendFailed(f"ontvanger geweigerd: {text}", permanent=all(500 <= c < 600 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        message = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        return SendFailed(f"{exc.smtp_code} {message}", permanent=500 <= exc.smtp_code < 600)
    return SendFailed(f"{type(exc).__name__}: {exc}", permanent=False)


class SmtpSender:
    """One SMTP connection for a batch of messages: `with SmtpSender(config) as s: s.send(mail)`.
    Connecting raises SendFailed (temporary) when the server cannot be reached."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        self._connect()
        return self

    def _connect(self) -> None:
        c = self.config
        try:
            if c.tls:
                self._smtp = smtplib.SMTP_SSL(
                    c.host, c.port, timeout=c.timeout, context=ssl.create_default_context()
                )
            else:
                self._smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
                if c.starttls:
                    self._smtp.starttls(context=ssl.create_default_context())
            if c.username:
                self._smtp.login(c.username, c.password)
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            # the server, the network or our credentials: nothing to do with any one message, so never
            # a reason to give a message up (a wrong password is fixed and the queue goes out)
            raise SendFailed(
                f"verbinding met de mailserver mislukt: {_failure(exc)}", permanent=False
            ) from exc

    def send(self, mail: Mail) -> None:
        if self._smtp is None:
            self._connect()  # the last message left the connection unusable
        assert self._smtp is not None
        try:
            message = build_message(mail)
        except (ValueError, UnicodeError) as exc:  # an address or header the mail format cannot carry
            raise SendFailed(f"bericht niet op te bouwen: {exc}", permanent=True) from exc
        try:
            self._smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            failure = _failure(exc)
            if not isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                self._close()  # the connection is in an unknown state: the next message reconnects
            raise failure from exc

    @property
    def connected(self) -> bool:
        return self._smtp is not None

    def _close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._close()
