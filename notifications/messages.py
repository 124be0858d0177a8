"""E-mail messages: a pair of Jinja2 templates and a plain dict of facts in, a subject, a text part and an
HTML part out. Knows nothing of claims.

A message `name` is `name.txt.j2` (the text part; its first line sets the subject,
`{% set subject = ... %}`) and `name.html.j2` (the HTML part, autoescaped, given the same facts and the
subject). Undefined names are an error at render time, as for letters: a message never goes out with a
gap where a fact should be. Amounts and moments are written by notifications.formatting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, UndefinedError

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
