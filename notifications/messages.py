"""E-mail messages: a pair of Jinja2 templates and a plain dict of facts in, a subject, a text part and an
HTML part out. Knows nothing of claims.

A message `name` is `name.txt.j2` (the text part; its first line sets the subject,
`{% set subject = ... %}`) and `name.html.j2` (the HTML part, autoescaped, given the same facts and the
subject). Undefined names are an error at render time, as for letters: a message never goes out with a
gap where a fact should be. Amounts and moments are written by notifications.formatting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, UndefinedError
from markupsafe import escape

from notifications.formatting import euro, local_moment, long_date

TEXT = ".txt.j2"
HTML = ".html.j2"


class MessageError(Exception):
    """A message's template is missing, sets no subject, or lacks a fact it needs."""


@dataclass(frozen=True)
class Message:
    template: str
    subject: str
    text: str
    html: str


def _environment(directory: Path, tz: ZoneInfo, *, html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader(directory),
        auto_reload=False,
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # a text part ends with its last line's newline
    )
    env.filters.update(
        euro=euro,
        datum=lambda v: long_date(v, tz),
        moment=lambda v: local_moment(v, tz),
    )
    return env


# A fact's place in a stamp's rendering: NUL never occurs in a template, and neither escaping nor
# whitespace control touches it.
_MARK = re.compile("\x00([0-9]+)\x00")


def _format_string(rendered: str) -> str:
    """`rendered` with each marker as a str.format field and every other brace doubled."""
    pieces = _MARK.split(rendered)
    out = []
    for i, piece in enumerate(pieces):
        out.append("{" + piece + "}" if i % 2 else piece.replace("{", "{{").replace("}", "}}"))
    return "".join(out)


class Stamp:
    """One message rendered once for many recipients: its text, subject and HTML with a hole per fact,
    filled in by `fill` at the cost of a str.format instead of a template render. Made by
    MessageRenderer.stamp, which proves it against the renderer first."""

    __slots__ = ("_fields", "_html", "_renderer", "_subject", "_text", "name")

    def __init__(self, renderer: MessageRenderer, name: str, fields: Sequence[str], parts: Message) -> None:
        self._renderer = renderer
        self.name = name
        self._fields = tuple(fields)
        self._subject = _format_string(parts.subject)
        self._text = _format_string(parts.text)
        self._html = _format_string(parts.html)

    def fill(self, *values: str) -> Message:
        """The message for these facts (in the stamp's order), as MessageRenderer.render writes it. An
        empty fact goes through the renderer: a template may leave out what is empty."""
        if not all(values):
            return self._renderer.render(self.name, dict(zip(self._fields, values, strict=True)))
        escaped = [str(escape(v)) for v in values]
        return Message(
            template=self.name,
            subject=self._subject.format(*values),
            text=self._text.format(*values),
            html=self._html.format(*escaped),
        )


class MessageRenderer:
    """Renders the messages of one directory; build once and reuse (templates are read once)."""

    def __init__(self, directory: Path, tz: ZoneInfo = ZoneInfo("Europe/Amsterdam")) -> None:
        self.directory = directory
        self._text = _environment(directory, tz, html=False)
        self._html = _environment(directory, tz, html=True)

    def names(self) -> list[str]:
        return sorted(p.name.removesuffix(TEXT) for p in self.directory.glob(f"[!_]*{TEXT}"))

    def render(self, name: str, facts: Mapping[str, Any]) -> Message:
        """The message `name` for these facts; MessageError naming what is missing."""
        if "/" in name or name.startswith(("_", ".")):
            raise MessageError(f"onbekend bericht '{name}'")
        try:
            module = self._text.get_template(f"{name}{TEXT}").make_module(dict(facts))
            text = str(module)
            subject = getattr(module, "subject", None)
            if not isinstance(subject, str) or not subject.strip():
                raise MessageError(
                    f"bericht '{name}': de tekst zet geen onderwerp ({{% set subject = ... %}})"
                )
            html = self._html.get_template(f"{name}{HTML}").render({**facts, "subject": subject})
        except TemplateNotFound as exc:
            raise MessageError(f"onbekend bericht '{exc.name}'") from None
        except UndefinedError as exc:
            raise MessageError(f"bericht '{name}': ontbrekend gegeven: {exc}") from None
        return Message(template=name, subject=subject, text=text, html=html)

    def stamp(self, name: str, fields: Sequence[str]) -> Stamp | None:
        """The message `name` as a Stamp for these facts (every one a text the templates only print), or
        None when the templates do more with them than print them (a filter, a test, a slice): then
        each message is rendered. Proven here: the stamp filled with awkward values (markup, braces,
        quotes) must write exactly what the renderer writes."""
        marked = self.render(name, {f: f"\x00{i}\x00" for i, f in enumerate(fields)})
        made = Stamp(self, name, fields, marked)
        probe = [f"<{f}> & '{{{i}}}' \"x\"" for i, f in enumerate(fields)]
        if made.fill(*probe) != self.render(name, dict(zip(fields, probe, strict=True))):
            return None
        return made
