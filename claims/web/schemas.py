"""The JSON API's bodies as the OpenAPI document shows them: what a caller sends (…Create), what it gets
back (…Public) and the error answers, with the statuses each endpoint documents.

Request bodies are described precisely but checked once, by the service (claims.service and
workflow.inputs), whose Dutch messages name every wrong field at once, for the web forms, the CLI and the
API alike; the models only describe the shape. tests/web/test_openapi.py holds the document and the
server together: schemathesis sends what the document allows and what it forbids, and checks every
answer against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Security
from fastapi.params import Depends
from fastapi.security import APIKeyCookie, HTTPBearer
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    RootModel,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    create_model,
    model_serializer,
)

from claims.documents.types import DOC_TYPES
from claims.exports.timelines import (
    CLAIM_FORMATS,
    MEDIA_TYPES,
    PORTFOLIO_FORMATS,
    ExportFormat,
    PortfolioMode,
)
from claims.kinds.catalog import RECIPIENTS, SPEC_DIR, vocabulary
from claims.kinds.intake import INTAKE_FIELDS
from claims.parties.fields import FIELDS as PARTY_FIELDS
from claims.parties.fields import MAX_MELDING_PARTIES, MELDING_ROLES, PHONE, PartyField
from claims.reads.claim_list import SORTS
from claims.storage.models import BESIDE_COURSE, Channel, CostType, OutboxStatus, Outcome, PartyRole, Role
from claims.web.security import COOKIE
from workflow.inputs import FALSE_WORDS, MAX_INTEGER, MAX_MONEY, MAX_TEXT, MAX_YEAR, MIN_YEAR, TRUE_WORDS
from workflow.spec import DEADLINE_UNITS, FIELD_TYPES, FieldSpec, load_spec


def _catalog_names() -> tuple[list[str], list[str], list[str]]:
    """The kinds, states and triggers of the spec files the runtime loads (claims.kinds.catalog.load_catalog):
    read once at import, for the document only; the service checks a request against its own catalog."""
    vocab = vocabulary()
    specs = [load_spec(p, vocab) for p in sorted(SPEC_DIR.glob("*.yaml")) if not p.name.startswith("_")]
    kinds = sorted({s.kind for s in specs})
    states = sorted({name for s in specs for name in s.states})
    triggers = sorted({t.trigger for s in specs for t in s.transitions})
    return kinds, states, triggers


def enum_of(values: Iterable[str]) -> dict[str, Any]:
    """json_schema_extra of a str documented as one of `values` (checked by the service, not the model)."""
    return {"enum": list(values)}


KINDS, STATES, TRIGGERS = _catalog_names()
SORT_NAMES = list(SORTS)
CLAIM_FORMAT_NAMES = [f.value for f in CLAIM_FORMATS]
PORTFOLIO_FORMAT_NAMES = [f.value for f in PORTFOLIO_FORMATS]
MODE_NAMES = [m.value for m in PortfolioMode]

# --- text shapes, as workflow.inputs reads them ---------------------------------------------------------

NO_NUL = r"^[^\x00]*$"  # no database stores a NUL in text
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"  # a required text: blank counts as missing
BLANK = r"^\s*$"  # an optional field left empty, as a form sends it
# text in the address: claims.web.input_guard refuses a NUL there with 400, before any route
IN_ADDRESS = {"pattern": NO_NUL}
_YEAR = "(19[0-9]{2}|2[01][0-9]{2}|2200)"  # MIN_YEAR..MAX_YEAR
assert (MIN_YEAR, MAX_YEAR) == (1900, 2200), "the date patterns below spell out these years"
# a calendar day; 29 February is accepted too, but left out here rather than described by leap years
_DAY = (
    "((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))"
)
DATE_PATTERN = f"^{_YEAR}-{_DAY}$"
_CLOCK = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
DATETIME_PATTERN = f"^{_YEAR}-{_DAY}[T ]{_CLOCK}(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"
# euros with at most two decimals: 1250.50, or in Dutch notation 1250,50 and 1.250,50; at most a trillion
MONEY_PATTERN = (
    r"^([0-9]{1,12}(\.[0-9]{1,2})?|[0-9]{1,12},[0-9]{1,2}|[0-9]{1,3}(\.[0-9]{3}){1,3}(,[0-9]{1,2})?"
    r"|1000000000000(\.00?)?)$"
)
assert MAX_MONEY == 10**12, "MONEY_PATTERN spells out this limit"
# a yes or a no as workflow.inputs.parse_boolean reads it
BOOLEAN: dict[str, Any] = {
    "anyOf": [
        {"type": "boolean"},
        {"type": "null"},
        {"type": "string", "enum": [*TRUE_WORDS, *FALSE_WORDS]},
        {"type": "integer", "enum": [0, 1]},
    ]
}

_blank: list[dict[str, Any]] = [{"type": "string", "pattern": BLANK}, {"type": "null"}]


def field_schema(spec: FieldSpec) -> dict[str, Any]:
    """The JSON values workflow.inputs.validate_inputs accepts for one field (a form's text as well as
    JSON's own types); an optional field may also be left out, null or blank."""
    label = spec.label + (f" ({spec.help})" if spec.help else "")
    schema: dict[str, Any]
    if spec.type in ("text", "textarea", "user"):
        schema = {"type": "string", "pattern": NOT_BLANK, "maxLength": MAX_TEXT}
        if spec.type == "user":
            schema["format"] = "email"
            label += ": het e-mailadres van een gebruiker"
    elif spec.type == "money":
        schema = {
            "anyOf": [
                {"type": "string", "pattern": MONEY_PATTERN},
                {"type": "integer", "minimum": 0, "maximum": int(MAX_MONEY)},
            ]
        }
        label += ": euro's als tekst (1250.50 of 1.250,50) of als geheel getal, nooit als float"
    elif spec.type == "percent":
        schema = {
            "anyOf": [
                {"type": "string", "pattern": r"^(100([.,]0+)?|[0-9]{1,2}([.,][0-9]+)?)$"},
                {"type": "integer", "minimum": 0, "maximum": 100},
            ]
        }
    elif spec.type == "integer":
        schema = {
            "anyOf": [
                {
                    "type": "integer",
                    "minimum": -MAX_INTEGER if spec.minimum is None else spec.minimum,
                    "maximum": MAX_INTEGER if spec.maximum is None else spec.maximum,
                },
                {"type": "string", "pattern": r"^\s*-?[0-9]{1,9}\s*$"},
            ]
        }
    elif spec.type == "party":
        schema = {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_INTEGER},
                {"type": "string", "pattern": r"^\s*[1-9][0-9]{0,8}\s*$"},
            ]
        }
        label += ": het nummer van een partij van de claim (GET .../parties), met een IBAN"
    elif spec.type == "date":
        schema = {"type": "string", "format": "date", "pattern": DATE_PATTERN}
        label += f" (JJJJ-MM-DD, {MIN_YEAR}-{MAX_YEAR}; ook DD-MM-JJJJ)"
    elif spec.type == "datetime":
        schema = {"type": "string", "pattern": DATETIME_PATTERN}
        label += " (JJJJ-MM-DDTuu:mm, zonder zone: Nederlandse tijd)"
    elif spec.type == "boolean":
        return {**BOOLEAN, "description": label}
    elif spec.type == "choice":
        schema = {"type": "string", "enum": [value for value, _ in spec.choices]}
        label += ": " + "; ".join(f"{value} = {text}" for value, text in spec.choices)
    else:  # pragma: no cover - workflow.spec refuses other types when a spec is loaded
        raise ValueError(f"unknown field type {spec.type}")
    if not spec.required:
        if schema.get("pattern") == NOT_BLANK:
            schema = {**schema, "pattern": NO_NUL}
            schema = {"anyOf": [schema, {"type": "null"}]}
        else:
            schema = {"anyOf": [schema, *_blank]}
    return {**schema, "description": label}


def _object_of(fields: tuple[FieldSpec, ...]) -> Any:
    """json_schema_extra for a body of these fields: the required ones required, nothing else allowed,
    and no default shown (the service fills in what is left out)."""

    def shape(schema: dict[str, Any]) -> None:
        for prop in schema.get("properties", {}).values():
            prop.pop("default", None)
        schema["required"] = [f.name for f in fields if f.required]
        schema["additionalProperties"] = False

    return shape


def _described(
    name: str, doc: str, fields: tuple[FieldSpec, ...], more: dict[str, dict[str, Any]] | None = None
) -> type[BaseModel]:
    """A model that documents `fields` (and the optional `more`, by their JSON schema) and hands the JSON
    object on as it came: extra keys too, so that the service names them ('onbekend veld') with every
    other problem at once."""
    documented: dict[str, Any] = {
        f.name: (Annotated[Any, WithJsonSchema(field_schema(f))], None) for f in fields
    }
    documented.update({k: (Annotated[Any, WithJsonSchema(v)], None) for k, v in (more or {}).items()})
    return create_model(
        name,
        __config__=ConfigDict(extra="allow", json_schema_extra=_object_of(fields)),
        __doc__=doc,
        **documented,
    )


# --- parties (claims.parties.fields.clean_party checks them; these describe what it accepts) ----------

# one line of text: what surrounds it is trimmed, so only a line break inside it is refused
ONE_LINE = r"^\s*[^\x00\r\n]*\s*$"
ONE_LINE_NOT_BLANK = r"^\s*[^\x00\r\n]*[^\s\x00][^\x00\r\n]*\s*$"
KVK_PATTERN = r"^\s*([ .]*[0-9]){8}[ .]*\s*$|^\s*$"
PHONE_PATTERN = rf"^\s*({PHONE})?\s*$"
EMAIL_PATTERN = (
    r"^\s*([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9-]+)+)?\s*$"
)
_PARTY_HELP = {
    "name": "de naam van de firma of de persoon",
    "kvk": "8 cijfers (spaties en punten mogen)",
    "postcode": "in Nederland (land leeg): 4 cijfers en 2 letters, 1234 AB",
    "street": "straat, postcode en plaats: allemaal of geen",
    "email": "nodig als brieven per e-mail gaan (channel email)",
    "iban": "gecontroleerd op controlegetal en opbouw; dan ook account_holder",
    "copy_insured": "een kopie van de brieven aan de verzekerde (een tussenpersoon meestal wel)",
}


def _party_schema(f: PartyField, *, changing: bool) -> dict[str, Any]:
    label = f.label + (f" ({_PARTY_HELP[f.name]})" if f.name in _PARTY_HELP else "")
    if f.name == "role":
        return {"type": "string", "enum": [r.value for r in PartyRole], "description": label}
    if f.name == "channel":
        return {"type": "string", "enum": [c.value for c in Channel], "description": label}
    if f.kind == "boolean":
        return {**BOOLEAN, "description": label}
    if f.name == "name":
        return {
            "type": "string",
            "pattern": ONE_LINE_NOT_BLANK,
            "maxLength": f.max_length,
            "description": label,
        }
    pattern = {"kvk": KVK_PATTERN, "phone": PHONE_PATTERN, "email": EMAIL_PATTERN, "note": NO_NUL}.get(
        f.name, ONE_LINE
    )
    text = {"type": "string", "pattern": pattern, "maxLength": f.max_length}
    return {"anyOf": [text, {"type": "null"}], "description": label}


def _party_model(name: str, doc: str, *, changing: bool) -> type[BaseModel]:
    """A party's body: each field documented, handed on as it came (unknown ones too, so that the
    service names them with every other problem at once)."""
    fields = [f for f in PARTY_FIELDS if not (changing and f.name == "role")]
    required = [] if changing else ["role", "name"]

    def shape(schema: dict[str, Any]) -> None:
        for prop in schema.get("properties", {}).values():
            prop.pop("default", None)
        schema["required"] = required
        schema["additionalProperties"] = False
        if changing:
            schema["minProperties"] = 1

    documented: dict[str, Any] = {
        f.name: (Annotated[Any, WithJsonSchema(_party_schema(f, changing=changing))], None) for f in fields
    }
    return create_model(
        name, __config__=ConfigDict(extra="allow", json_schema_extra=shape), __doc__=doc, **documented
    )


PartyCreate = _party_model(
    "PartyCreate",
    "Een partij van de claim: rol en naam verplicht; adres, e-mail, kenmerk, kanaal en rekening naar keuze.",
    changing=False,
)
PartyChange = _party_model(
    "PartyChange",
    "De velden van een partij die veranderen (de rol ligt vast: een andere rol is een andere partij).",
    changing=True,
)
MELDING_PARTIES = {
    "type": "array",
    "maxItems": MAX_MELDING_PARTIES,
    "items": {
        **PartyCreate.model_json_schema(),
        "properties": {
            **PartyCreate.model_json_schema()["properties"],
            "role": {"type": "string", "enum": sorted(MELDING_ROLES)},
        },
    },
    "description": "partijen bij de melding (benadeelde met adres, advocaat, tussenpersoon, ...); een "
    "benadeelde of advocaat met de naam uit claimant of claimant_counsel is die partij",
}


MeldingCreate = _described(
    "MeldingCreate",
    "Een melding: een claim zoals die voor het eerst wordt gemeld. De polis moet bestaan, de data lopen "
    "op (fout <= bekend <= gemeld <= vandaag) en een manager kiest de behandelaar.",
    INTAKE_FIELDS,
    {"parties": MELDING_PARTIES},
)


def json_number(value: Any) -> Any:
    """A JSON number without a fraction read as the integer it is: JSON (and JSON Schema) make no
    difference between 114 and 114.0, Python's json module does (and the service refuses floats as
    money)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def melding_values(body: BaseModel) -> dict[str, Any]:
    """The melding's fields as they were sent (left-out fields stay out; unknown ones stay in)."""
    return {name: json_number(value) for name, value in body.model_dump(exclude_unset=True).items()}


def _scalars(data: Any) -> Any:
    return {k: json_number(v) for k, v in data.items()} if isinstance(data, dict) else data


_SCALAR = {
    "anyOf": [
        {"type": "string", "pattern": NO_NUL},
        {"type": "integer"},
        {"type": "boolean"},
        {"type": "null"},
    ]
}


class TransitionCreate(BaseModel):
    """A trigger fired on the claim as the caller last read it (its version), with the fields it asks."""

    model_config = ConfigDict(extra="forbid")
    trigger: str = Field(
        description="de transitie; welke nu kunnen staat in allowed_transitions van de claim",
        json_schema_extra=enum_of(TRIGGERS),
    )
    version: Annotated[int, BeforeValidator(json_number)] = Field(
        strict=True,  # a JSON integer (3 or 3.0), not "3"
        ge=1,
        le=MAX_INTEGER,
        description="de versie van de claim zoals u die las (optimistische vergrendeling)",
    )
    # checked by the service against the fields of the trigger (text, amounts as text, dates, ...)
    data: Annotated[
        dict[str, Any],
        BeforeValidator(_scalars),
        WithJsonSchema(
            {"type": "object", "propertyNames": {"pattern": NO_NUL}, "additionalProperties": _SCALAR}
        ),
    ] = Field(
        default_factory=dict,
        description="de velden die deze transitie vraagt (GET /api/workflows/{kind}: fields), per naam",
    )


_Comment = Annotated[str, WithJsonSchema({"type": "string", "pattern": r"^[^\x00]*$", "maxLength": 5000})]


class ReopenCreate(BaseModel):
    """Reopen a closed claim as the caller last read it (its version), with the reason (heropenen)."""

    model_config = ConfigDict(extra="forbid")
    version: Annotated[int, BeforeValidator(json_number)] = Field(
        strict=True, ge=1, le=MAX_INTEGER, description="de versie van de claim zoals u die las"
    )
    reason: _Comment = Field(description="waarom de claim weer open gaat (minstens 30 tekens)")


class PaidCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paid_on: Annotated[str, WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN})] = (
        Field(description="de dag waarop de bank betaalde (JJJJ-MM-DD)")
    )


# said in a few words: at least 3 characters besides the spaces around them (the service's own minimum)
# (white space as claims.text.SPACE has it: \s and what Python's strip() drops besides)
_SP = r"\s\x1c-\x1f\x85\ufeff"
SAID = rf"^[{_SP}]*[^\x00{_SP}][^\x00]+[^\x00{_SP}][{_SP}]*$"
_Said = Annotated[str, WithJsonSchema({"type": "string", "pattern": SAID, "maxLength": 5000})]


class ReasonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: _Said = Field(description="waarom de betaling vervalt (ten minste 3 tekens)")


class RejectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: _Said = Field(description="waarom het voorstel wordt afgewezen (ten minste 3 tekens)")


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: _Comment = Field("", description="toelichting (verplicht bij afwijzen)")


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, WithJsonSchema({"type": "string", "pattern": NOT_BLANK, "maxLength": 5000})] = Field(
        description="de notitie (niet leeg, hoogstens 5000 tekens)"
    )


# --- answers ----------------------------------------------------------------------------------------

Money = Annotated[
    str, Field(pattern=r"^-?[0-9]+\.[0-9]{2}$", description="euro's met twee decimalen, als tekst")
]
Mark = Literal["overdue", "near"]
# a moment as the API has always written it: ISO 8601 with its offset, 2026-09-07T07:30:00+00:00
Moment = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _enum(values: list[str], description: str = "") -> Any:
    return Field(description=description or None, json_schema_extra=enum_of(values))


class ErrorBody(BaseModel):
    """Every refusal: a Dutch sentence a person can act on."""

    detail: str


class InvalidBody(ErrorBody):
    """Invalid input: the sentence, and per wrong field what is wrong with it."""

    errors: dict[str, str]


class ConflictBody(ErrorBody):
    """Not possible now; a stale version adds what the claim is now."""

    current_state: str | None = Field(
        default=None, description="bij een verouderde versie: de fase nu", json_schema_extra=enum_of(STATES)
    )
    current_version: int | None = Field(default=None, description="bij een verouderde versie: de versie nu")


class ClaimCreated(BaseModel):
    reference: str = Field(description="het schadenummer, bijv. CF-2026-000012")
    state: str = _enum(STATES)
    version: int


class ChoicePublic(BaseModel):
    value: str
    label: str


class FieldPublic(BaseModel):
    """An input a transition asks for."""

    name: str
    type: Literal[tuple(sorted(FIELD_TYPES))]  # type: ignore[valid-type]
    label: str
    required: bool
    choices: list[ChoicePublic] = Field(default=[], description="bij type choice")
    role: Role | None = Field(default=None, description="bij type user: de rol van de gekozen gebruiker")
    help: str = Field(default="", description="uitleg bij het veld")

    @model_serializer(mode="wrap")
    def _leave_out_empty(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # as FieldSpec.as_dict: choices, role and help only where a field has them
        out = handler(self)
        return {k: v for k, v in out.items() if k not in ("choices", "role", "help") or v}


class DeadlineSpecPublic(BaseModel):
    name: str
    label: str
    amount: int
    unit: Literal[tuple(sorted(DEADLINE_UNITS))]  # type: ignore[valid-type]
    base: str
    met_by: list[str]
    responsible: Role
    statutory: bool
    scope: Literal["state", "claim"]
    when: str | None
    restarted_by: list[str]
    remind_before_days: int | None


class StatePublic(BaseModel):
    name: str
    label: str
    terminal: bool
    description: str
    deadlines: list[DeadlineSpecPublic]


class LetterSpecPublic(BaseModel):
    template: str
    to: Literal[RECIPIENTS]  # type: ignore[valid-type]
    paragraph: bool


class TransitionSpecPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    trigger: str = _enum(TRIGGERS)
    source: str = Field(alias="from", json_schema_extra=enum_of(STATES))
    to: str = _enum(STATES)
    label: str
    roles: list[Role]
    guards: list[str]
    fields: list[FieldPublic]
    letters: list[LetterSpecPublic]
    notify: list[str]
    outcome: Outcome | None


class WorkflowPublic(BaseModel):
    kind: str = _enum(KINDS)
    version: int
    label: str
    description: str
    initial: str = _enum(STATES)
    states: list[StatePublic]
    transitions: list[TransitionSpecPublic]


class ClaimListItem(BaseModel):
    reference: str
    kind: str = _enum(KINDS)
    state: str = _enum(STATES)
    version: int
    claimant: str
    insured: str
    handler: str = Field(description="e-mailadres")
    amount_claimed: Money
    created_at: Moment
    outcome: Outcome | None
    next_due: Moment | None
    next_due_label: str | None
    due_mark: Mark | None


class ClaimPage(BaseModel):
    items: list[ClaimListItem]
    next_cursor: str | None = Field(description="geef dit mee als cursor voor de volgende bladzijde")


class MoneyPublic(BaseModel):
    reserve: dict[CostType, Money]
    paid: dict[CostType, Money]
    deductible_applied: Money
    cover_per_claim: Money
    remaining_cover: Money = Field(
        description="wat het verzekerd bedrag nog biedt: per aanspraak (met de reeks), niet meer dan het jaar"
    )
    advanced_on_damages: Money = Field(
        "0.00", description="voorschotten op de schade (tellen mee voor de dekking)"
    )
    insured_share: Money = Field("0.00", description="boven de dekking, voor rekening van verzekerde")
    deductible_to_collect: Money = Field("0.00", description="eigen risico nog te verhalen op verzekerde")
    recovered: Money = Field("0.00", description="ontvangen regres (art. 7:962 BW)")
    claims_made_covered: bool | None = Field(None, description="binnen de claims-made-dekking in de tijd")
    claims_made_findings: list[str] = Field(default_factory=list)
    interest: dict[str, Any] | None = Field(None, description="de wettelijke rente tot vandaag, per periode")


class PaymentPublic(BaseModel):
    id: int
    reference: str
    payee_party_id: int
    payee_name: str
    iban: str
    amount: Money
    parts: dict[str, Money]
    status: Literal["proposed", "approved", "paid", "cancelled"]
    paid_on: date | None
    cancel_reason: str


class ProposalPublic(BaseModel):
    id: int
    trigger: str
    label: str
    amount: Money
    reasons: str
    status: Literal["open", "approved", "rejected", "withdrawn"]
    proposed_by: str
    decided_by: str | None
    comment: str


class DeadlinePublic(BaseModel):
    id: int
    name: str
    label: str
    # the state whose entry started it; "complaint" for a complaint's clock (claims.complaints)
    state: str = _enum([*STATES, *BESIDE_COURSE])
    responsible: Role
    started_at: Moment
    due_at: Moment
    met_at: Moment | None
    met_trigger: str | None
    cancelled_at: Moment | None
    overdue: bool
    mark: Mark | None = Field(
        description="overdue: verstreken; near: binnen twee dagen; leeg: gesloten of opgeschort"
    )
    counted_from: Moment | None = Field(None, description="vanaf wanneer de termijn telt")
    due_rule: str = Field("", description="welke regel de vervaldatum maakte (Atw, opschorting, ...)")
    paused_at: Moment | None = Field(None, description="opgeschort sinds (leeg: de termijn loopt)")


class DeadlineWithClaimPublic(DeadlinePublic):
    reference: str
    handler: str = Field(description="e-mailadres van de behandelaar van de claim")


class AvailablePublic(BaseModel):
    """A transition the caller's role may fire from the claim's state; `refused` says why a guard would
    refuse it now (firing it anyway is refused with the same reason)."""

    trigger: str = _enum(TRIGGERS)
    label: str
    to: str = _enum(STATES)
    to_label: str
    fields: list[FieldPublic]
    refused: str | None = Field(
        default=None, description="waarom een voorwaarde deze transitie nu weigert; null: nu mogelijk"
    )
    checked_on_submit: list[str] = Field(
        default_factory=list,
        description="voorwaarden die afhangen van wat u invult: die worden bij het indienen gecontroleerd",
    )


class ClaimPublic(BaseModel):
    reference: str
    kind: str = _enum(KINDS)
    spec_version: int
    state: str = _enum(STATES)
    state_label: str
    version: int
    outcome: Outcome | None
    policy_number: str
    insured: str
    claimant: str
    claimant_counsel: str
    description: str
    handler: str = Field(description="e-mailadres")
    expert: str | None = Field(description="e-mailadres")
    amount_claimed: Money
    date_error: date
    date_known: date
    date_reported: date
    created_at: Moment
    closed_at: Moment | None
    money: MoneyPublic
    open_deadlines: list[DeadlinePublic]
    allowed_transitions: list[AvailablePublic]
    payments: list[PaymentPublic] = Field(default_factory=list)
    proposals: list[ProposalPublic] = Field(
        default_factory=list,
        description="transities boven de bevoegdheid van wie ze deed: wachten op een manager",
    )


class LetterPublic(BaseModel):
    id: int
    event_id: int
    template: str
    template_version: int
    title: str
    recipient: Literal[RECIPIENTS]  # type: ignore[valid-type]
    recipient_name: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    created_at: Moment
    html_url: str
    pdf_url: str


class EventPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    id: int
    at: Moment
    actor: str | None = Field(description="e-mailadres; leeg bij wat het systeem deed")
    kind: str = Field(description="opened, transition, note, deadline_* …")
    trigger: str | None
    source: str | None = Field(alias="from")
    dest: str | None = Field(alias="to")
    data: dict[str, Any] = Field(description="wat de gebeurtenis vastlegde: de ingevulde velden, bedragen …")
    note: str
    version: int = Field(description="de versie van de claim na deze gebeurtenis")
    letters: list[LetterPublic]


class StateTimePublic(BaseModel):
    state: str = _enum(STATES)
    label: str
    days: str
    visits: int
    ongoing: bool


class TimelineRowPublic(BaseModel):
    """One row of a timeline export (a column of the CSV each, claims.exports.rows.COLUMNS); names and
    labels as the reader sees them, moments in the export's time zone."""

    model_config = ConfigDict(extra="forbid")
    reference: str
    claim_kind: str = Field(description="de soort claim, als label")
    at: Moment
    source: Literal["event", "deadline", "letter", "money"]
    type: str = Field(description="opened, transition, note, deadline_set, letter, payment …")
    description: str
    actor_name: str = Field(description="naam van wie het deed, of 'systeem'")
    actor: str = Field(description="e-mailadres, of 'systeem'")
    state: str = Field(description="de fase op dat moment, als label")
    from_state: str | None
    to_state: str | None
    due_at: Moment | None
    amount: Money | None
    cost_type: str | None
    days_in_state: str | None = Field(
        pattern=r"^[0-9]+\.[0-9]{2}$", description="dagen in de vorige fase, met twee decimalen"
    )
    detail: str
    source_id: int = Field(description="id van de gebeurtenis, termijn, brief of boeking")


class TimelineExport(BaseModel):
    """format=json: the export of one claim's timeline, with deadlines, letters, money and time per state
    (the rows of the CSV, as objects)."""

    reference: str
    kind: str = _enum(KINDS)
    kind_label: str
    state: str = _enum(STATES)
    state_label: str
    outcome: Outcome | None
    policy_number: str
    insured: str
    claimant: str
    handler: str
    amount_claimed: Money
    paid: Money
    reserve: Money
    timezone: str
    generated_at: Moment
    time_per_state: list[StateTimePublic]
    rows: list[TimelineRowPublic]


class Timeline(RootModel[list[EventPublic] | TimelineExport]):
    """The events in order, or with format=json the timeline export."""


class PartyPublic(BaseModel):
    """A party of the claim as the caller may see it: a bank account only for handlers and managers."""

    id: int
    role: PartyRole
    role_label: str
    name: str
    kvk: str
    attention: str
    street: str
    postcode: str
    city: str
    country: str
    email: str
    phone: str
    reference: str = Field(description="hun kenmerk: 'Uw kenmerk' in brieven aan hen")
    channel: Channel
    iban: str | None = Field(description="compact (NL91ABNA0417164300); null voor wie geen rekeningen ziet")
    account_holder: str | None = Field(description="null voor wie geen rekeningen ziet")
    copy_insured: bool
    invented: bool = Field(description="demogegevens: adres en nummers zijn verzonnen")
    note: str
    address_lines: list[str] = Field(description="het adresblok: naam, t.a.v., straat, postcode en plaats")
    created_at: Moment
    updated_at: Moment


class LetterPreview(BaseModel):
    template: str
    template_version: int
    title: str
    html: str


class PreviewPublic(BaseModel):
    letters: list[LetterPreview]


class NoteCreated(BaseModel):
    event_id: int


class OutboxMessagePublic(BaseModel):
    id: int
    claim_id: int | None
    user_id: int | None
    reference: str | None
    to_address: str
    to_name: str
    subject: str
    body: str
    status: OutboxStatus
    attempts: int
    last_error: str
    created_at: Moment
    next_attempt_at: Moment
    sent_at: Moment | None
    incident_at: Moment | None


class OutboxPublic(BaseModel):
    counts: dict[OutboxStatus, int] = Field(description="aantal berichten per status")
    messages: list[OutboxMessagePublic]


class RetryPublic(BaseModel):
    id: int
    status: Literal[OutboxStatus.pending]


class NotificationPublic(BaseModel):
    id: int
    kind: str
    message: str
    reference: str | None
    created_at: Moment
    read_at: Moment | None


# --- links: what a caller can do next with what an answer gave (schemathesis follows them too) -------


def _operation(path: str, method: str) -> str:
    """An operationRef: a JSON pointer into this document's paths."""
    escaped = path.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D")
    return f"#/paths/{escaped}/{method}"


def claim_links(reference: str, version: str | None) -> dict[str, Any]:
    """The `links` of an answer that names a claim (by the runtime expression `reference`), and its
    version when the answer says it (a transition needs the version it was read at)."""
    claim = "/api/claims/{reference}"
    links: dict[str, Any] = {
        "getClaim": (claim, "get"),
        "getTimeline": (f"{claim}/timeline", "get"),
        "listClaimDeadlines": (f"{claim}/deadlines", "get"),
        "listClaimLetters": (f"{claim}/letters", "get"),
        "addNote": (f"{claim}/notes", "post"),
    }
    out = {
        name: {"operationRef": _operation(path, method), "parameters": {"reference": reference}}
        for name, (path, method) in links.items()
    }
    if version is not None:
        for name, path in (("fireTransition", "transitions"), ("previewTransition", "preview")):
            out[name] = {
                "operationRef": _operation(f"{claim}/{path}", "post"),
                "parameters": {"reference": reference},
                "requestBody": {"version": version},
            }
    return out


def link(name: str, target: str, method: str, **parameters: str) -> dict[str, Any]:
    """One link to the operation `method target`, its `parameters` as runtime expressions."""
    return {name: {"operationRef": _operation(target, method), "parameters": parameters}}


# --- how a caller authenticates (claims.web.deps.api_viewer checks; these only document it) ---------

BEARER = HTTPBearer(auto_error=False, description="een API-token: claimflow users token EMAIL")
SESSION = APIKeyCookie(
    name=COOKIE, auto_error=False, description="de sessie van de webapplicatie; schrijven dan alleen als JSON"
)
API_AUTH: list[Depends] = [Security(BEARER), Security(SESSION)]

# --- the statuses each endpoint documents -----------------------------------------------------------

_RETRY_AFTER = {"description": "seconden", "schema": {"type": "integer"}, "required": True}
ERRORS: dict[int, dict[str, Any]] = {
    400: {
        "model": ErrorBody,
        "description": "Onleesbaar verzoek: een NUL in het adres, een formulier dat niet te lezen is",
    },
    401: {
        "model": ErrorBody,
        "description": "Niet ingelogd, of een ongeldig of ingetrokken token",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
    },
    403: {"model": ErrorBody, "description": "Niet toegestaan voor uw rol, of u staat niet op deze claim"},
    404: {"model": ErrorBody, "description": "Bestaat niet"},
    409: {"model": ConflictBody, "description": "Verouderde versie, of nu niet mogelijk"},
    413: {"model": ErrorBody, "description": "De body is te groot"},
    415: {
        "model": ErrorBody,
        "description": "Met de sessiecookie: stuur JSON (Content-Type: application/json)",
    },
    422: {"model": InvalidBody, "description": "Ongeldige invoer: per veld wat er mis is"},
    500: {"model": ErrorBody, "description": "Een brief kon niet worden gemaakt; er is niets doorgevoerd"},
    503: {
        "model": ErrorBody,
        "description": "De server is bezet; probeer het na Retry-After seconden opnieuw",
        "headers": {"Retry-After": _RETRY_AFTER},
    },
}
# what every /api call may answer: a NUL in the address, no (valid) credentials, a busy server
EVERY = (400, 401, 503)
# what every POST may answer besides: a body too large (claims.web.input_guard), a cookie caller sending
# no JSON
WRITES = (413, 415)


def answers(
    *statuses: int, files: dict[str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an endpoint: EVERY status and `statuses`, each with its body; `files` adds
    media types (each with its schema) to the 200 answer of a download."""
    out: dict[int | str, dict[str, Any]] = {code: ERRORS[code] for code in sorted({*EVERY, *statuses})}
    # every other refusal is {detail} too (405 for a method a path does not serve); documenting the range
    # also keeps FastAPI from adding its own 422 (HTTPValidationError) where no 422 can come
    out["4XX"] = {"model": ErrorBody, "description": "Elke andere weigering"}
    if files:
        out[200] = {"content": files}
    return out


BINARY = {"schema": {"type": "string", "format": "binary"}}
TEXT = {"schema": {"type": "string"}}
PDF = {MEDIA_TYPES[ExportFormat.pdf]: BINARY}
CSV = {MEDIA_TYPES[ExportFormat.csv]: TEXT}
XLSX = {MEDIA_TYPES[ExportFormat.xlsx]: BINARY}
HTML = {"text/html": TEXT}


# --- documents --------------------------------------------------------------------------------------

DOC_TYPE_NAMES = list(DOC_TYPES)


class DocumentPublic(BaseModel):
    id: int
    event_id: int
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    media_type: str = Field(description="zoals vastgesteld aan de inhoud, niet aan de naam")
    filename: str
    title: str
    doc_type: Literal[tuple(DOC_TYPES)]  # type: ignore[valid-type]
    received_on: date | None
    visibility: Literal["internal", "shared"]
    uploaded_by: str | None = Field(description="naam van wie het toevoegde")
    uploaded_at: datetime
    answers_request: int | None = Field(
        description="het informatieverzoek (0, 1, ... in volgorde) dat dit document beantwoordt"
    )


class DocumentAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    request: int = Field(ge=0, le=1000, description="welk informatieverzoek (0 = het eerste)")


# The upload's body, as the route reads it (claims.web.uploads); FastAPI cannot see it in a signature.
DOCUMENT_UPLOAD: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "title", "doc_type"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "title": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": NOT_BLANK},
                        "doc_type": {"type": "string", "enum": DOC_TYPE_NAMES},
                        "received_on": {"type": "string", "format": "date", "pattern": DATE_PATTERN},
                        "visibility": {"type": "string", "enum": ["internal", "shared"]},
                    },
                }
            }
        },
    }
}
DOCUMENT_FILES = {"*/*": BINARY}


# --- complaints (klachtbehandeling; claims.service.complaints checks them) ---------------------------

COMPLAINT_STATUSES = ["received", "acknowledged", "extended", "answered"]
COMPLAINT_OUTCOMES = ["gegrond", "deels_gegrond", "ongegrond"]
_Reason = Annotated[
    str, WithJsonSchema({"type": "string", "pattern": r"^\s*([^\x00]\s*){10,}$", "maxLength": 5000})
]


class ComplaintCreate(BaseModel):
    """A complaint as it came in: who complains (a party of the claim), about what, received when."""

    model_config = ConfigDict(extra="forbid")
    complainant: int = Field(
        ge=1, le=MAX_INTEGER, description="het nummer van een partij van de claim (GET .../parties)"
    )
    subject: Annotated[
        str, WithJsonSchema({"type": "string", "pattern": r"^\s*([^\x00]\s*){3,}$", "maxLength": 200})
    ] = Field(description="waarover (3 tot 200 tekens)")
    description: Annotated[str, WithJsonSchema({"type": "string", "pattern": NO_NUL, "maxLength": 5000})] = (
        Field("", description="toelichting (optioneel)")
    )
    received_on: Annotated[
        str, WithJsonSchema({"type": "string", "format": "date", "pattern": DATE_PATTERN})
    ] = Field(
        description="de dag waarop de klacht binnenkwam (JJJJ-MM-DD; niet in de toekomst, niet voor de "
        "meldingsdatum)"
    )


class ComplaintAcknowledge(BaseModel):
    """Nothing to say beyond the step itself: an empty object (the letter says what is needed)."""

    model_config = ConfigDict(extra="forbid")


class ComplaintExtend(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: _Reason = Field(
        description="waarom het antwoord later komt (ten minste 10 tekens; de klager leest het)"
    )


class ComplaintAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: _Reason = Field(description="het definitieve standpunt (ten minste 10 tekens)")
    outcome: str = Field(
        description="gegrond, deels_gegrond of ongegrond", json_schema_extra=enum_of(COMPLAINT_OUTCOMES)
    )


class ComplaintClockPublic(BaseModel):
    clock: Literal["acknowledge", "answer", "answer_extended"]
    label: str
    due_at: Moment
    met_at: Moment | None
    cancelled_at: Moment | None
    overdue: bool


class ComplaintPublic(BaseModel):
    id: int
    reference: str = Field(description="het schadenummer van de claim")
    number: int = Field(description="de hoeveelste klacht over deze claim")
    complainant_party_id: int
    complainant_name: str
    subject: str
    description: str
    received_on: date
    registered_by: str = Field(description="naam van wie de klacht registreerde")
    registered_at: Moment
    status: str = _enum(COMPLAINT_STATUSES)
    status_label: str
    acknowledged_at: Moment | None
    extended_at: Moment | None
    extension_reason: str
    answered_at: Moment | None
    answer: str
    outcome: str | None = Field(json_schema_extra={"enum": [*COMPLAINT_OUTCOMES, None]})
    next_due: Moment | None = Field(description="de eerstvolgende lopende termijn")
    overdue: bool = Field(description="een lopende termijn is verstreken")
    clocks: list[ComplaintClockPublic]
