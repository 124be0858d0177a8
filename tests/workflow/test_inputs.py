"""Input validation: typed values out, every wrong field named at once, money never via float."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.errors import InvalidInput
from workflow.inputs import parse_date, parse_datetime, parse_money, validate_inputs
from workflow.spec import FieldSpec

AMS = ZoneInfo("Europe/Amsterdam")

AMOUNT = FieldSpec(name="amount", type="money", label="Bedrag")
REASON = FieldSpec(name="reason", type="textarea", label="Reden")
NOTE = FieldSpec(name="note", type="text", label="Notitie", required=False)
SHARE = FieldSpec(name="share", type="percent", label="Aandeel")
DUE = FieldSpec(name="due", type="date", label="Vervaldatum")
AT = FieldSpec(name="at", type="datetime", label="Tijdstip")
URGENT = FieldSpec(name="urgent", type="boolean", label="Spoed")
COUNT = FieldSpec(name="count", type="integer", label="Aantal")
FORUM = FieldSpec(
    name="forum", type="choice", label="Waar", choices=(("sgoa", "SGOA"), ("rechter", "Rechter"))
)


def one(spec: FieldSpec, value: object) -> object:
    return validate_inputs([spec], {spec.name: value}, AMS)[spec.name]


def refused(spec: FieldSpec, value: object) -> str:
    with pytest.raises(InvalidInput) as exc:
        validate_inputs([spec], {spec.name: value}, AMS)
    assert list(exc.value.errors) == [spec.name]
    return exc.value.errors[spec.name]


# --- validate_inputs ---------------------------------------------------------------------------------


def test_valid_inputs_come_back_typed() -> None:
    values = validate_inputs(
        [AMOUNT, REASON, NOTE, DUE, URGENT, FORUM, COUNT],
        {
            "amount": "1.250,50",
            "reason": "  schade  ",
            "due": "05-05-2026",
            "urgent": "ja",
            "forum": "sgoa",
            "count": " 3 ",
        },
        AMS,
    )
    assert values == {
        "amount": Decimal("1250.50"),
        "reason": "schade",
        "due": date(2026, 5, 5),
        "urgent": True,
        "forum": "sgoa",
        "count": 3,
    }
    assert "note" not in values  # optional and not given


@pytest.mark.parametrize("missing", [None, "", "   "])
def test_required_field_missing_is_refused(missing: object) -> None:
    raw = {"reason": "ok"} if missing is None else {"reason": "ok", "amount": missing}
    with pytest.raises(InvalidInput) as exc:
        validate_inputs([AMOUNT, REASON], raw, AMS)
    assert exc.value.errors == {"amount": "Bedrag is verplicht"}
    assert "amount" in str(exc.value)


def test_optional_field_may_be_blank() -> None:
    assert validate_inputs([NOTE], {"note": ""}, AMS) == {}
    assert validate_inputs([NOTE], {}, AMS) == {}


def test_unknown_field_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_inputs([REASON], {"reason": "ok", "reasno": "typo"}, AMS)
    assert exc.value.errors == {"reasno": "onbekend veld"}


def test_all_errors_are_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as exc:
        validate_inputs(
            [AMOUNT, REASON, DUE, SHARE],
            {"amount": "abc", "due": "2026-13-01", "share": "150", "extra": "x"},
            AMS,
        )
    errors = exc.value.errors
    assert set(errors) == {"amount", "reason", "due", "share", "extra"}
    assert errors["reason"] == "Reden is verplicht"
    assert errors["extra"] == "onbekend veld"
    assert errors["amount"].startswith("Bedrag: ongeldig bedrag 'abc'")
    assert errors["due"] == "Vervaldatum: ongeldige datum '2026-13-01' (jjjj-mm-dd)"
    assert errors["share"] == "Aandeel: percentage tussen 0 en 100"
    for name in errors:
        assert name in str(exc.value)


# --- money -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1250.50", "1250.50"),
        ("1250,50", "1250.50"),
        ("1.250,50", "1250.50"),
        ("€ 125.000,00", "125000.00"),
        ("€125.000", "125000.00"),
        ("125\u00a0000,5", "125000.50"),
        ("1.250", "1250.00"),
        ("1.25", "1.25"),
        ("0,05", "0.05"),
        ("12", "12.00"),
        (12, "12.00"),
        (0, "0.00"),
        (Decimal("12.5"), "12.50"),
        (Decimal("1250.50"), "1250.50"),
    ],
)
def test_money_accepts(raw: object, expected: str) -> None:
    result = one(AMOUNT, raw)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)
    assert str(result) == expected  # always two decimals
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "raw", [12.5, 12.0, "abc", "1.2.3", "1,2,3", "12,345", "1250.505", "12 euro", True, [12]]
)
def test_money_refuses(raw: object) -> None:
    assert refused(AMOUNT, raw).startswith("Bedrag: ")


def test_money_never_accepts_a_float() -> None:
    with pytest.raises(ValueError, match="niet als float"):
        parse_money(12.5)
    assert refused(AMOUNT, 12.5) == "Bedrag: geef bedragen als tekst of geheel getal, niet als float"


@pytest.mark.parametrize("raw", ["-1", "-1250,50", "-1.250,50", -5, Decimal("-0.01")])
def test_money_refuses_negative_amounts(raw: object) -> None:
    assert refused(AMOUNT, raw) == "Bedrag: bedrag mag niet negatief zijn"


def test_parse_money_keeps_the_sign_for_callers_that_allow_it() -> None:
    assert parse_money("-1.250,50") == Decimal("-1250.50")


def test_money_decimal_with_three_places_is_not_read_as_thousands() -> None:
    try:
        result = parse_money(Decimal("12.345"))
    except ValueError:
        return
    assert result in {Decimal("12.34"), Decimal("12.35")}


# --- percent -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0", "0"), ("100", "100"), ("37,5", "37.5"), ("37.5", "37.5"), (50, "50"), (Decimal("12.25"), "12.25")],
)
def test_percent_within_bounds(raw: object, expected: str) -> None:
    assert one(SHARE, raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["-0.01", "100.01", "101", -1])
def test_percent_out_of_bounds_is_refused(raw: object) -> None:
    assert refused(SHARE, raw) == "Aandeel: percentage tussen 0 en 100"


@pytest.mark.parametrize("raw", ["veel", 12.5, "Infinity"])
def test_percent_not_a_number_is_refused(raw: object) -> None:
    assert refused(SHARE, raw).startswith("Aandeel: ")


def test_percent_nan_is_refused_as_invalid_input() -> None:
    assert refused(SHARE, "NaN").startswith("Aandeel: ")


# --- dates and moments -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["2026-05-05", "05-05-2026", " 2026-05-05 ", date(2026, 5, 5)])
def test_date_accepts_iso_and_dutch_order(raw: object) -> None:
    assert one(DUE, raw) == date(2026, 5, 5)
    assert parse_date(raw) == date(2026, 5, 5)


@pytest.mark.parametrize(
    "raw", ["2026-13-01", "31-02-2026", "5 mei 2026", "2026/05/05", datetime(2026, 5, 5, 10)]
)
def test_date_refuses(raw: object) -> None:
    assert refused(DUE, raw).startswith("Vervaldatum: ")


def test_datetime_without_offset_is_amsterdam_winter_time() -> None:
    moment = one(AT, "2026-01-15T10:00")
    assert isinstance(moment, datetime)
    assert moment.utcoffset() == timedelta(hours=1)
    assert moment == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def test_datetime_without_offset_is_amsterdam_summer_time() -> None:
    moment = one(AT, "2026-07-15 10:00")
    assert isinstance(moment, datetime)
    assert moment.utcoffset() == timedelta(hours=2)
    assert moment == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)


def test_naive_datetime_object_is_read_as_local_time() -> None:
    moment = parse_datetime(datetime(2026, 7, 15, 10, 0), "Tijdstip", AMS)
    assert moment.utcoffset() == timedelta(hours=2)
    assert moment.hour == 10


@pytest.mark.parametrize(
    ("raw", "offset", "utc_hour"),
    [("2026-07-15T10:00+00:00", 0, 10), ("2026-01-15T10:00+05:30", 5.5, 4), ("2026-01-15T10:00Z", 0, 10)],
)
def test_datetime_offset_is_kept(raw: str, offset: float, utc_hour: int) -> None:
    moment = one(AT, raw)
    assert isinstance(moment, datetime)
    assert moment.utcoffset() == timedelta(hours=offset)
    assert moment.hour == 10
    assert moment.astimezone(UTC).hour == utc_hour


@pytest.mark.parametrize("raw", ["gisteren", "2026-02-30T10:00", "15-01-2026 10:00"])
def test_datetime_refuses(raw: str) -> None:
    assert refused(AT, raw).startswith("Tijdstip: ongeldig tijdstip")


# --- boolean, choice, integer, text ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ja", True),
        ("Ja", True),
        ("nee", False),
        ("true", True),
        ("false", False),
        ("on", True),
        ("off", False),
        ("1", True),
        ("0", False),
        (True, True),
        (False, False),
        ("", False),
        (None, False),
    ],
)
def test_boolean(raw: object, expected: bool) -> None:
    assert one(URGENT, raw) is expected


def test_boolean_refuses_other_words() -> None:
    assert refused(URGENT, "misschien") == "Spoed: ja of nee verwacht"


def test_choice_accepts_a_listed_value() -> None:
    assert one(FORUM, "rechter") == "rechter"


@pytest.mark.parametrize("raw", ["kantonrechter", "SGOA", "Rechter", 1])
def test_choice_refuses_values_outside_the_choices(raw: object) -> None:
    assert refused(FORUM, raw) == "Waar: kies een van sgoa, rechter"


def test_integer() -> None:
    assert one(COUNT, "42") == 42
    assert one(COUNT, 7) == 7
    assert refused(COUNT, "4.2") == "Aantal: geheel getal verwacht"
    assert refused(COUNT, True) == "Aantal: geheel getal verwacht"


def test_integer_within_declared_bounds() -> None:
    days = FieldSpec(name="days", type="integer", label="Dagen", minimum=1, maximum=60)
    assert (one(days, "1"), one(days, "60")) == (1, 60)
    assert refused(days, "0") == "Dagen: tussen 1 en 60"
    assert refused(days, 61) == "Dagen: tussen 1 en 60"
    assert refused(FieldSpec(name="n", type="integer", label="N", minimum=0), "-1").startswith(
        "N: tussen 0 en "
    )


def test_text_must_be_text() -> None:
    assert refused(REASON, 42) == "Reden: tekst verwacht"
    assert refused(REASON, "x" * 20_001) == "Reden: te lang (max 20000 tekens)"


# --- property: money round-trips in both notations ---------------------------------------------------


def dutch(amount: Decimal) -> str:
    """1234567.8 -> '1.234.567,80'."""
    return f"{amount:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")


def test_dutch_rendering_helper() -> None:
    assert dutch(Decimal("1234567.80")) == "1.234.567,80"
    assert dutch(Decimal("0.05")) == "0,05"


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_money_round_trips_plain_and_dutch(amount: Decimal) -> None:
    assert parse_money(str(amount)) == amount
    assert parse_money(dutch(amount)) == amount
    assert parse_money(f"€ {dutch(amount)}") == amount
    assert parse_money(str(amount)).as_tuple().exponent == -2
