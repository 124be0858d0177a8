"""The melding (a claim as first reported): its fields, shared by the CLI, the API and the web form."""

from __future__ import annotations

from workflow.spec import FieldSpec

KIND_LABELS = {
    "contract_breach": "Contractbreuk",
    "data_loss": "Dataverlies",
    "late_delivery": "Termijnoverschrijding",
    "unpaid_fee": "Onbetaalde vordering",
}

INTAKE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("kind", "choice", "Soort claim", choices=tuple(KIND_LABELS.items())),
    FieldSpec("policy_number", "text", "Polisnummer"),
    FieldSpec("claimant", "text", "Benadeelde (opdrachtgever)"),
    FieldSpec("claimant_counsel", "text", "Advocaat of makelaar benadeelde", required=False),
    FieldSpec("description", "textarea", "Omschrijving"),
    FieldSpec("date_error", "date", "Datum van de fout"),
    FieldSpec("date_known", "date", "Datum bekend bij verzekerde"),
    FieldSpec("date_reported", "date", "Meldingsdatum", required=False),
    FieldSpec("amount_claimed", "money", "Geclaimd bedrag"),
    FieldSpec("is_circumstance", "boolean", "Omstandigheid (nog geen aanspraak)", required=False),
    FieldSpec("personal_data", "boolean", "Persoonsgegevens betrokken", required=False),
    FieldSpec("awareness_at", "datetime", "Datalek ontdekt op (datum en tijd)", required=False),
    FieldSpec(
        "data_role",
        "choice",
        "Rol verzekerde (AVG)",
        required=False,
        choices=(("controller", "Verwerkingsverantwoordelijke"), ("processor", "Verwerker")),
    ),
    FieldSpec("insured_reference", "text", "Kenmerk verzekerde of makelaar", required=False),
    FieldSpec("handler", "user", "Behandelaar", required=False, role="handler"),
    *(
        FieldSpec(
            f"reserve_{cost_type}",
            "money",
            f"Eerste reserve {label}",
            required=False,
            help="binnen uw bevoegdheid en de dekking; daarboven later via Reserve aanpassen, als voorstel",
        )
        for cost_type, label in (
            ("damages", "schadevergoeding"),
            ("defence", "kosten van verweer"),
            ("expert", "expertisekosten"),
            ("mitigation", "beredding"),
        )
    ),
)
# the cost types a melding may reserve for at once, by their field
INITIAL_RESERVES = {
    f.name: f.name.removeprefix("reserve_") for f in INTAKE_FIELDS if f.name.startswith("reserve_")
}

# fields that apply to some kinds only: the melding form shows them for those (AVG art. 33: data loss)
KIND_SPECIFIC: dict[str, tuple[str, ...]] = {
    "personal_data": ("data_loss",),
    "awareness_at": ("data_loss",),
    "data_role": ("data_loss",),
}


def applies(field: str, kind: str | None) -> bool:
    """Whether the melding field `field` belongs to a melding of `kind` (None: not chosen yet)."""
    kinds = KIND_SPECIFIC.get(field)
    return kinds is None or kind is None or kind in kinds
