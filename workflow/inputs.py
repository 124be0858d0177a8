"""Validation of the inputs a transition asks for, from form text or JSON alike.

Returns typed values (Decimal for money, date, aware datetime) or raises InvalidInput naming every
field that is wrong, with a Dutch message for the person who filled it in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from workflow.errors import InvalidInput
from workflow.spec import FieldSpec

# how a yes or a no is typed (a form's checkbox, JSON, the command line)
TRUE_WORDS = ("true", "1", "on", "ja", "yes")
FALSE_WORDS = ("false", "0", "off", "nee", "no", "")
_MONEY = re.compile(r"^-?\d+(\.\d{1,2})?$")
_NL_MONEY = re.compile(r"^-?\d{1,3}(\.\d{3})*(,\d{1,2})?$|^-?\d+(,\d{1,2})?$")
MAX_TEXT = 20_000
MAX_INTEGER = 2**31 - 1
# Dates outside these years are typing errors here, and near year 1 or 9999 date arithmetic overflows.
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_MONEY = Decimal("1000000000000.00")  # a trillion euros: beyond any cover, and within a BIGINT of cents


def validate_inputs(fields: Iterable[FieldSpec], raw: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Check `raw` against `fields`; unknown names are refused too, so typos never pass silently."""
    specs = {f.name: f for f in fields}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in raw:
        if name not in specs:
            errors[name] = "onbekend veld"
    for name, spec in specs.items():
        value = raw.get(name)
        if _blank(value) and spec.type != "boolean":
            if spec.required:
                errors[name] = f"{spec.label} is verplicht"
            continue
        try:
            values[name] = parse_value(spec, value, tz)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        raise InvalidInput(errors)
    return values


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_value(spec: FieldSpec, value: Any, tz: ZoneInfo) -> Any:
    """One field's value, typed; ValueError carries the message shown next to the field."""
    kind = spec.type
    if kind in ("text", "textarea", "user"):
        if not isinstance(value, str):
            raise ValueError(f"{spec.label}: tekst verwacht")
        text = value.strip()
        if len(text) > MAX_TEXT:
            raise ValueError(f"{spec.label}: te lang (max {MAX_TEXT} tekens)")
        if "\x00" in text:  # no database stores it in text (PostgreSQL refuses it)
            raise ValueError(f"{spec.label}: bevat een ongeldig teken")
        return text
    if kind == "money":
        amount = parse_money(value, spec.label)
        if amount < 0:
            raise ValueError(f"{spec.label}: bedrag mag niet negatief zijn")
        return amount
    if kind == "percent":
        pct = _decimal(value, spec.label)
        if not Decimal(0) <= pct <= Decimal(100):
            raise ValueError(f"{spec.label}: percentage tussen 0 en 100")
        return pct
    if kind == "integer":
        if isinstance(value, bool):
            raise ValueError(f"{spec.label}: geheel getal verwacht")
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{spec.label}: geheel getal verwacht") from None
        if abs(number) > MAX_INTEGER:
            raise ValueError(f"{spec.label}: getal buiten bereik")
        low = -MAX_INTEGER if spec.minimum is None else spec.minimum
        high = MAX_INTEGER if spec.maximum is None else spec.maximum
        if not low <= number <= high:
            raise ValueError(f"{spec.label}: tussen {low} en {high}")
        return number
    if kind == "party":  # one of the case's parties, by its number: the application checks whose it is
        if isinstance(value, bool):
            raise ValueError(f"{spec.label}: kies een partij")
        text = str(value).strip()
        if not text.isdigit() or not 0 < int(text) <= MAX_INTEGER:
            raise ValueError(f"{spec.label}: kies een partij")
        return int(text)
    if kind == "date":
        return parse_date(value, spec.label)
    if kind == "datetime":
        return parse_datetime(value, spec.label, tz)
    if kind == "boolean":
        answer = parse_boolean(value)
        if answer is None:
            raise ValueError(f"{spec.label}: ja of nee verwacht")
        return answer
    if kind == "choice":
        allowed = [v for v, _ in spec.choices]
        if value not in allowed:
            raise ValueError(f"{spec.label}: kies een van {', '.join(allowed)}")
        return value
    raise ValueError(f"{spec.label}: onbekend veldtype {kind}")


def parse_boolean(value: Any) -> bool | None:
    """A yes or a no as typed; None when it is neither."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    return True if text in TRUE_WORDS else False if text in FALSE_WORDS else None


def parse_money(value: Any, label: str = "bedrag") -> Decimal:
    """Euros as Decimal with at most two decimals; accepts 1250.50, 1250,50 and 1.250,50. No floats."""
    if isinstance(value, float):
        raise ValueError(f"{label}: geef bedragen als tekst of geheel getal, niet als float")
    if isinstance(value, bool):
        raise ValueError(f"{label}: bedrag verwacht")
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
        if not amount.is_finite() or abs(amount) > MAX_MONEY:
            raise ValueError(f"{label}: bedrag buiten bereik")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(f"{label}: bedrag met hoogstens twee decimalen verwacht")
        return amount.quantize(Decimal("0.01"))
    if not isinstance(value, str):
        raise ValueError(f"{label}: bedrag verwacht")
    text = value.replace("€", "").replace(" ", "").replace("\u00a0", "")
    # Dutch notation: a comma for cents, dots between thousands ("1.250,50", or "125.000").
    if "," in text or (_NL_MONEY.match(text) and "." in text and not _MONEY.match(text)):
        if not _NL_MONEY.match(text):
            raise ValueError(f"{label}: ongeldig bedrag '{value}'")
        text = text.replace(".", "").replace(",", ".")
    elif not _MONEY.match(text):
        raise ValueError(f"{label}: ongeldig bedrag '{value}' (bijv. 1250,50)")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label}: ongeldig bedrag '{value}'") from None
    if abs(amount) > MAX_MONEY:
        raise ValueError(f"{label}: bedrag buiten bereik")
    return amount.quantize(Decimal("0.01"))


def _decimal(value: Any, label: str) -> Decimal:
    if isinstance(value, float | bool):
        raise ValueError(f"{label}: getal als tekst verwacht")
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f"{label}: getal verwacht") from None
    if not number.is_finite():
        raise ValueError(f"{label}: getal verwacht")
    return number


def parse_date(value: Any, label: str = "datum") -> date:
    if isinstance(value, datetime):
        raise ValueError(f"{label}: datum zonder tijd verwacht")
    if isinstance(value, date):
        return _in_range(value, label)
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            day = datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        return _in_range(day, label)
    raise ValueError(f"{label}: ongeldige datum '{text}' (jjjj-mm-dd)")


def _in_range(day: date, label: str) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"{label}: datum buiten {MIN_YEAR}-{MAX_YEAR}")
    return day


def parse_datetime(value: Any, label: str, tz: ZoneInfo) -> datetime:
    """A moment; without an offset it is read as local time in `tz` (what a Dutch user types)."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip().replace(" ", "T", 1)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{label}: ongeldig tijdstip '{value}' (jjjj-mm-ddTuu:mm)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    _in_range(moment.date(), label)
    return moment
