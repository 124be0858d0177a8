"""Letters: a Jinja2 template and a plain dict of facts in, Dutch HTML (and PDF) out.

Knows nothing of claims. Undefined names are an error at render time (a letter never goes out with a gap
where a fact should be); everything is autoescaped; amounts and dates are written the Dutch way
(€ 125.000,00, 23 oktober 2025) by notifications.formatting. Each template declares its version in its
first line, `{# versie: N #}`; a rendered letter carries its template name, that version and the sha256
of its HTML.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    Undefined,
    UndefinedError,
    select_autoescape,
)

from notifications.formatting import euro, long_date

SUFFIX = ".html.j2"
_VERSION = re.compile(r"\{#\s*versie:\s*(\d+)\s*#\}")


class LetterError(Exception):
    """A template is missing, declares no version, or lacks a fact it needs."""


@dataclass(frozen=True)
class Letter:
    template: str
    version: int
    title: str
    html: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.html.encode()).hexdigest()


def _defined(value: Any) -> Any:
    """A filter's argument, or the UndefinedError StrictUndefined gives for a missing fact."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _euro(value: Any) -> str:
    try:
        return euro(_defined(value))
    except TypeError as exc:  # a float among the facts: the letter is refused, as for a missing fact
        raise LetterError(str(exc)) from None


def _sentence_end(value: Any) -> str:
    """A name that ends a sentence, with one full stop: "ERP Solutions B.V." stays as it is (never
    "B.V.."), "Logistiek Partners" gets its stop."""
    text = str(_defined(value)).rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


_TITLE = re.compile(r"\{%\s*set title = \"([^\"]+)\"\s*%\}")


class LetterRenderer:
    """Renders the templates of one directory; build once and reuse. Templates are read once: a letter
    template changes with a release (and its version line), not while the application runs."""

    def __init__(self, directory: Path, tz: ZoneInfo = ZoneInfo("Europe/Amsterdam")) -> None:
        self.directory = directory
        self._versions: dict[str, int] = {}
        self.env = Environment(
            loader=FileSystemLoader(directory),
            auto_reload=False,
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(euro=_euro, datum=lambda v: long_date(_defined(v), tz), punt=_sentence_end)

    def names(self) -> list[str]:
        return sorted(p.name.removesuffix(SUFFIX) for p in self.directory.glob(f"[!_]*{SUFFIX}"))

    def title(self, name: str) -> str:
        """The letter's title as its template sets it (`{% set title = "..." %}`), for lists that name a
        letter before it is written; the template's name when it sets none."""
        path = self.directory / f"{name}{SUFFIX}"
        found = _TITLE.search(path.read_text(encoding="utf-8")) if path.is_file() else None
        return found.group(1) if found else name.replace("_", " ")

    def version(self, name: str) -> int:
        known = self._versions.get(name)
        if known is not None:
            return known
        path = self.directory / f"{name}{SUFFIX}"
        if "/" in name or name.startswith(("_", ".")) or not path.is_file():
            raise LetterError(f"onbekende brief '{name}'")
        match = _VERSION.match(path.read_text(encoding="utf-8"))
        if match is None:
            raise LetterError(f"brief '{name}': de eerste regel moet {{# versie: N #}} zijn")
        self._versions[name] = int(match.group(1))
        return self._versions[name]

    def render(self, name: str, facts: Mapping[str, Any]) -> Letter:
        """The letter `name` for these facts; LetterError naming what is missing."""
        version = self.version(name)
        try:
            template = self.env.get_template(f"{name}{SUFFIX}")
            module = template.make_module(dict(facts))
            html = str(module)
        except TemplateNotFound as exc:
            raise LetterError(f"onbekende brief '{exc.name}'") from None
        except UndefinedError as exc:
            raise LetterError(f"brief '{name}': ontbrekend gegeven: {exc}") from None
        title = str(getattr(module, "title", name))
        return Letter(template=name, version=version, title=title, html=html)


def to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The letter as PDF (WeasyPrint); page numbers and the letterhead come from the HTML's own CSS."""
    from weasyprint import HTML  # imported here: pango loads slowly and only downloads need it

    pdf = HTML(string=html, base_url=base_url).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def to_pdf_many(htmls: list[str], base_url: str | None = None) -> bytes:
    """One PDF of several letters, each starting on a new page, in the order given (the print run)."""
    from weasyprint import HTML

    documents = [HTML(string=h, base_url=base_url).render() for h in htmls]
    if not documents:
        raise ValueError("no letters to print")
    pages = [page for doc in documents for page in doc.pages]
    pdf = documents[0].copy(pages).write_pdf()
    assert pdf is not None
    return bytes(pdf)
