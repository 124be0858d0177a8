"""The fields of a party and the rules they keep: a Dutch postcode, a KvK number, an IBAN with its holder,
an e-mail address, a channel that can be used. One rule for the web form, the API, the CLI and the seeds."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError
from stdnum.nl import postcode as nl_postcode

from claims.storage.models import Channel, PartyRole
from claims.text import unstorable
from workflow.errors import InvalidInput
from workflow.inputs import parse_boolean

ROLE_LABELS: Mapping[str, str] = {
    PartyRole.insured: "Verzekerde",
    PartyRole.claimant: "Benadeelde",
    PartyRole.counsel: "Advocaat/gemachtigde benadeelde",
    PartyRole.broker: "Tussenpersoon",
    PartyRole.expert_firm: "Expertisebureau",
    PartyRole.other: "Overig (medeverzekeraar, rechtbank, ...)",
}
CHANNEL_LABELS: Mapping[str, str] = {Channel.post: "Per post", Channel.email: "Per e-mail"}
NETHERLANDS = ("", "nederland", "nl", "the netherlands", "netherlands")


@dataclass(frozen=True, slots=True)
class PartyField:
    name: str
    label: str
    max_length: int = 200
    kind: str = "text"  # text | email | choice | boolean


FIELDS: tuple[PartyField, ...] = (
    PartyField("role", "Rol", kind="choice"),
    PartyField("name", "Naam", 300),
    PartyField("kvk", "KvK-nummer", 20),
    PartyField("attention", "Contactpersoon (t.a.v.)"),
    PartyField("street", "Straat en huisnummer (of postbus)"),
    PartyField("postcode", "Postcode", 20),
    PartyField("city", "Plaats"),
    PartyField("country", "Land (leeg: Nederland)", 100),
    PartyField("email", "E-mailadres", 254, "email"),
    PartyField("phone", "Telefoon", 40),
    PartyField("reference", "Hun kenmerk", 100),
    PartyField("channel", "Brieven", kind="choice"),
    PartyField("iban", "IBAN", 42),
    PartyField("account_holder", "Ten name van (rekeninghouder)", 200),
    PartyField("copy_insured", "Kopie van de brieven aan de verzekerde", kind="boolean"),
    PartyField("note", "Toelichting", 2000),
)
FIELD_NAMES = frozenset(f.name for f in FIELDS)
EDITABLE = FIELD_NAMES - {"role"}  # a party keeps its role: another role is another party

# one plain address: it becomes an e-mail header, where a comma or a space would add recipients
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
# 6 to 30 characters that begin and end with no space (what the API's schema says: its pattern may not
# count surrounding spaces the form strips)
PHONE = r"\+?[0-9()\-.][0-9 ()\-.]{4,28}[0-9()\-.]"
_PHONE = re.compile(PHONE)


def in_netherlands(country: str) -> bool:
    return country.strip().lower() in NETHERLANDS


def clean_party(raw: Mapping[str, Any], *, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The party's fields, checked and normalised; InvalidInput names every field that is wrong.

    Without `current` it is a new party (role and name required); with it, `raw` changes only the
    fields it names and the rules are checked on the party as it would then be."""
    errors: dict[str, str] = {}
    for name in raw:
        if name not in (FIELD_NAMES if current is None else EDITABLE):
            errors[name] = "onbekend veld" if name not in FIELD_NAMES else "de rol van een partij ligt vast"
    values: dict[str, Any] = {}
    for f in FIELDS:
        if f.name not in raw:
            continue
        value = raw[f.name]
        if f.kind == "boolean":
            parsed = parse_boolean(value)
            if parsed is None:
                errors[f.name] = f"{f.label}: ja of nee verwacht"
            else:
                values[f.name] = parsed
            continue
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors[f.name] = f"{f.label}: tekst verwacht"
            continue
        text = value.strip()
        problem = unstorable(text)
        if problem:
            errors[f.name] = f"{f.label} {problem}"
        elif f.name != "note" and ("\n" in text or "\r" in text):
            errors[f.name] = f"{f.label}: één regel verwacht"
        elif len(value) > f.max_length:  # as typed, spaces around it too: what the API's schema counts
            errors[f.name] = f"{f.label}: te lang (hoogstens {f.max_length} tekens)"
        else:
            values[f.name] = text
    if errors:
        raise InvalidInput(errors)
    party = {**_defaults(), **(dict(current) if current else {}), **values}
    _check_rules(party, errors)
    if errors:
        raise InvalidInput(errors)
    return {k: party[k] for k in (values if current is not None else FIELD_NAMES)}


def bare_party(role: str, name: str) -> dict[str, Any]:
    """A party known by its name only, as the melding names it (by the melding's own rules: a claimant
    may have a longer name than the register's form takes)."""
    return {**_defaults(), "role": role, "name": name}


def _defaults() -> dict[str, Any]:
    return {f.name: False if f.kind == "boolean" else "" for f in FIELDS} | {"channel": Channel.post}


def _check_rules(party: dict[str, Any], errors: dict[str, str]) -> None:
    """Rules across fields, on the party as it would be; normalises in place."""
    if party.get("role") not in {r.value for r in PartyRole}:
        errors["role"] = "kies een rol: " + ", ".join(r.value for r in PartyRole)
    if not party["name"]:
        errors["name"] = "Naam is verplicht"
    if party["kvk"]:
        digits = re.sub(r"[ .]", "", party["kvk"])  # as it is written: 1234 5678, 12.34.56.78
        if not re.fullmatch(r"[0-9]{8}", digits):
            errors["kvk"] = f"KvK-nummer: 8 cijfers verwacht, niet '{party['kvk']}'"
        party["kvk"] = digits
    if party["postcode"] and in_netherlands(party["country"]):
        try:
            party["postcode"] = nl_postcode.validate(party["postcode"])
        except ValidationError:
            errors["postcode"] = (
                "Postcode: een Nederlandse postcode is 4 cijfers en 2 letters (1234 AB), "
                f"niet '{party['postcode']}'"
            )
    address = [party["street"], party["postcode"], party["city"]]
    if any(address) and not all(address):
        for name, value in zip(("street", "postcode", "city"), address, strict=True):
            if not value:
                errors.setdefault(name, "vul het hele adres in: straat en huisnummer, postcode en plaats")
    if party["email"]:
        party["email"] = party["email"].lower()
        if not _EMAIL.fullmatch(party["email"]):
            errors["email"] = f"E-mailadres: ongeldig adres '{party['email']}'"
    if party["phone"] and not _PHONE.fullmatch(party["phone"]):
        errors["phone"] = f"Telefoon: alleen cijfers, spaties, +, - en haakjes, niet '{party['phone']}'"
    if party["channel"] not in {c.value for c in Channel}:
        errors["channel"] = "kies post of email"
    elif party["channel"] == Channel.email and not party["email"]:
        errors.setdefault("email", "E-mailadres is nodig om brieven per e-mail te sturen")
    if party["iban"]:
        try:
            party["iban"] = stdnum_iban.validate(party["iban"])
        except ValidationError:
            errors["iban"] = (
                f"IBAN: geen geldig rekeningnummer (controlegetal of opbouw klopt niet): '{party['iban']}'"
            )
        if not party["account_holder"]:
            errors.setdefault(
                "account_holder", "Ten name van: de naam van de rekeninghouder is nodig bij een IBAN"
            )


def address_lines(party: Mapping[str, Any]) -> list[str]:
    """The address block in the Dutch convention: name, t.a.v., street, postcode and place, country abroad."""
    lines = [party["name"]]
    if party.get("attention"):
        lines.append(f"t.a.v. {party['attention']}")
    if party.get("street"):
        lines.append(party["street"])
    place = "  ".join(x for x in (party.get("postcode", ""), str(party.get("city", "")).upper()) if x)
    if place:
        lines.append(place)
    if party.get("country") and not in_netherlands(party["country"]):
        lines.append(str(party["country"]).upper())
    return lines


def has_address(party: Mapping[str, Any]) -> bool:
    return bool(party.get("street") and party.get("postcode") and party.get("city"))


def iban_display(iban: str) -> str:
    return stdnum_iban.format(iban) if iban else ""


MAX_MELDING_PARTIES = 20
# a melding's own parties: the insured is the policy's holder, copied from the policy
MELDING_ROLES = frozenset(r.value for r in PartyRole) - {PartyRole.insured}


def clean_melding_parties(raw: Any) -> list[dict[str, Any]]:
    """The parties a melding lists (claimant, counsel, broker, expert's firm, others), each checked as a
    new party; InvalidInput names each wrong field as parties.<n>.<field>."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidInput({"parties": "een lijst van partijen verwacht"})
    if len(raw) > MAX_MELDING_PARTIES:
        raise InvalidInput({"parties": f"hoogstens {MAX_MELDING_PARTIES} partijen bij een melding"})
    errors: dict[str, str] = {}
    cleaned: list[dict[str, Any]] = []
    for n, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[f"parties.{n}"] = "een partij verwacht: een object met ten minste role en name"
            continue
        try:
            party = clean_party(item)
        except InvalidInput as exc:
            errors.update({f"parties.{n}.{k}": v for k, v in exc.errors.items()})
            continue
        if party["role"] not in MELDING_ROLES:
            errors[f"parties.{n}.role"] = "de verzekerde komt van de polis; wijzig die partij na de melding"
        cleaned.append(party)
    if errors:
        raise InvalidInput(errors)
    return cleaned
