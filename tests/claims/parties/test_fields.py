"""The rules a party's fields keep, whichever way they come in."""

from __future__ import annotations

import pytest

from claims.parties.fields import address_lines, clean_party, has_address, iban_display
from workflow.errors import InvalidInput

GOOD = {
    "role": "claimant",
    "name": "Logistiek Partners Noord B.V.",
    "kvk": "1234 5678",
    "attention": "mevrouw J. de Groot",
    "street": "Havenweg 12",
    "postcode": "9723ab",
    "city": "Groningen",
    "email": "Schade@LPN.example",
    "phone": "+31 50 123 4567",
    "reference": "LPN/2025/88",
    "channel": "email",
    "iban": "nl91 abna 0417 1643 00",
    "account_holder": "Logistiek Partners Noord B.V.",
}


def _refused(raw: dict[str, object], current: dict[str, object] | None = None) -> dict[str, str]:
    with pytest.raises(InvalidInput) as exc:
        clean_party(raw, current=current)
    return exc.value.errors


def test_a_good_party_is_normalised() -> None:
    party = clean_party(GOOD)
    assert party["kvk"] == "12345678"
    assert party["postcode"] == "9723 AB"
    assert party["email"] == "schade@lpn.example"
    assert party["iban"] == "NL91ABNA0417164300"
    assert iban_display(party["iban"]) == "NL91 ABNA 0417 1643 00"
    assert party["copy_insured"] is False and party["country"] == ""
    assert address_lines(party) == [
        "Logistiek Partners Noord B.V.",
        "t.a.v. mevrouw J. de Groot",
        "Havenweg 12",
        "9723 AB  GRONINGEN",
    ]
    assert has_address(party)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("postcode", "0123 AB", "Nederlandse postcode"),
        ("postcode", "1234 A", "Nederlandse postcode"),
        ("kvk", "1234567", "8 cijfers"),
        ("kvk", "1234567a", "8 cijfers"),
        ("iban", "NL91ABNA0417164301", "geen geldig rekeningnummer"),
        ("iban", "NL91", "geen geldig rekeningnummer"),
        ("email", "schade@lpn", "ongeldig adres"),
        ("email", "a@b.nl, c@d.nl", "ongeldig adres"),
        ("phone", "bel mij", "alleen cijfers"),
        ("channel", "fax", "kies post of email"),
        ("role", "judge", "kies een rol"),
        ("name", "  ", "Naam is verplicht"),
        ("name", "x\x00y", "NUL"),
        ("street", "Havenweg 12\nGroningen", "één regel"),
    ],
)
def test_each_bad_field_is_refused_by_name(field: str, value: str, message: str) -> None:
    errors = _refused({**GOOD, field: value})
    assert field in errors and message in errors[field], errors


def test_rules_across_fields() -> None:
    assert "account_holder" in _refused({**GOOD, "account_holder": ""})
    assert "email" in _refused({**GOOD, "email": ""})  # e-mail channel without an address
    partial = _refused({"role": "claimant", "name": "X", "street": "Havenweg 12"})
    assert set(partial) == {"postcode", "city"}
    assert _refused({"role": "claimant", "name": "X", "colour": "blue"}) == {"colour": "onbekend veld"}


def test_a_foreign_postcode_is_kept_as_typed() -> None:
    party = clean_party({**GOOD, "postcode": "B-2000", "city": "Antwerpen", "country": "België"})
    assert party["postcode"] == "B-2000"
    assert address_lines(party)[-1] == "BELGIË"


def test_a_change_is_checked_on_the_party_as_it_would_be() -> None:
    current = clean_party(GOOD)
    assert clean_party({"postcode": "1011 ab"}, current=current) == {"postcode": "1011 AB"}
    assert "email" in _refused({"email": ""}, current=current)  # its channel is e-mail
    assert _refused({"role": "counsel"}, current=current) == {"role": "de rol van een partij ligt vast"}
