"""The spec file format as pydantic models: what a YAML file may say, and its JSON Schema for editors.

Only what one file can know is checked here (keys, types, units, a choice field's choices). What needs the
whole spec or the application's names (unknown states, guards, roles; the graph) is checked in
`workflow.spec.check` once the file is built into `workflow.spec.objects`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import models_json_schema

FieldType = Literal[
    "text",
    "textarea",
    "money",
    "percent",
    "integer",
    "date",
    "datetime",
    "boolean",
    "choice",
    "user",
    "party",
]
DeadlineUnit = Literal["hours", "calendar_days", "working_days", "weeks", "months", "years"]
FIELD_TYPES = frozenset(get_args(FieldType))
DEADLINE_UNITS = frozenset(get_args(DeadlineUnit))

# The tags of the two ways to write a letter; they appear in pydantic's error locations.
LETTER_BY_NAME = "letter-name"
LETTER_IN_FULL = "letter"


def _one_or_many(value: object) -> object:
    """YAML lets an expert write one name bare (`met_by: settle`) or leave a list empty (`guards:`)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(x, str) for x in value):
        return tuple(value)
    raise ValueError("must be a name or a list of names")


def _empty_when_none(value: object) -> object:
    return () if value is None else value


Text = Annotated[StrictStr, Field(min_length=1, pattern=r"\S")]
Positive = Annotated[StrictInt, Field(gt=0)]
Names = Annotated[
    tuple[str, ...],
    BeforeValidator(_one_or_many),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
                {"type": "null"},
            ]
        }
    ),
]


def _shown_as(description: str) -> ConfigDict:
    """The Dutch description a claims expert reads in the editor (the docstring is for who reads the code)."""
    return ConfigDict(json_schema_extra={"description": description})


class _SpecPart(BaseModel):
    # frozen: a validated part cannot be altered on its way to the engine; forbid: a typo or a YAML slip
    # (a comma in an unquoted flow value) never passes silently
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldModel(_SpecPart):
    """An input the person firing a transition fills in."""

    model_config = _shown_as("Een invoerveld dat wie de stap doet invult.")

    name: Text = Field(
        description="Technische naam van het veld; effecten en brieven lezen het onder deze naam."
    )
    type: FieldType = Field("text", description="Soort invoer: bepaalt het formulierveld en de controle.")
    label: Text | None = Field(
        None, description="Wat de behandelaar boven het veld leest (standaard de naam)."
    )
    required: StrictBool = Field(
        True, description="Moet het veld ingevuld zijn om de transitie te kunnen doen?"
    )
    choices: dict[str, str] = Field(
        default_factory=dict,
        description="Alleen bij type choice: de keuzes als waarde: label.",
    )
    role: Text | None = Field(
        None, description="Alleen bij type user: de rol die de gekozen gebruiker moet hebben."
    )
    help: str = Field("", description="Uitleg onder het veld.")
    minimum: StrictInt | None = Field(
        None, description="Alleen bij type integer: de kleinste toegestane waarde."
    )
    maximum: StrictInt | None = Field(
        None, description="Alleen bij type integer: de grootste toegestane waarde."
    )

    @field_validator("choices", mode="before")
    @classmethod
    def _choices_as_text(cls, value: object) -> object:
        # YAML reads `1: Een` or `ja: Ja` keys as numbers and booleans; a choice's value is text
        if value is None:
            return {}
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _choices_fit_the_type(self) -> FieldModel:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice field needs 'choices' as value: label")
        if self.type != "choice" and self.choices:
            raise ValueError(f"a field of type {self.type} cannot have 'choices'")
        bounded = self.minimum is not None or self.maximum is not None
        if bounded and self.type != "integer":
            raise ValueError(f"a field of type {self.type} cannot have 'minimum' or 'maximum'")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}")
        return self


class DeadlineModel(_SpecPart):
    """A term that starts when its state is entered and is met by one of `met_by`."""

    model_config = _shown_as(
        "Een termijn die start bij binnenkomst in de fase en gehaald wordt door een van `met_by`."
    )

    name: Text = Field(description="Technische naam van de termijn.")
    label: Text | None = Field(None, description="Naam van de termijn zoals de behandelaar hem ziet.")
    amount: Positive = Field(description="Lengte van de termijn, in `unit`.")
    unit: DeadlineUnit = Field(
        description="Eenheid: uren, kalenderdagen, werkdagen, weken, maanden of jaren."
    )
    base: Text = Field(
        "entered",
        description="Vanaf wanneer de termijn loopt: `entered` (het moment van binnenkomst in de fase) "
        "of een datum van de claim, zoals date_reported of awareness_at.",
    )
    met_by: Names = Field((), description="De triggers die de termijn halen; minstens één.")
    responsible: Text = Field("handler", description="De rol die de termijn moet halen.")
    statutory: StrictBool = Field(
        False,
        description="Een wettelijke termijn: de Algemene termijnenwet schuift hem door na weekend of "
        "feestdag.",
    )
    scope: Literal["state", "claim"] = Field(
        "state",
        description="state: vervalt als de fase wordt verlaten; claim: loopt door tot de termijn is "
        "gehaald of de claim is gesloten.",
    )
    when: Text | None = Field(
        None, description="Start de termijn alleen als deze vlag van de claim aan staat."
    )
    restarted_by: Names = Field(
        (),
        description="Triggers die de termijn opnieuw laten beginnen (bijv. stuiting van verjaring, "
        "7:942 BW).",
    )
    remind_before_days: Positive | None = Field(
        None, description="Zoveel dagen voor de vervaldatum waarschuwen, in plaats van de algemene termijn."
    )
    started_by: Names = Field(
        (),
        description="Triggers die de termijn starten (opnieuw als hij loopt), in plaats van de binnenkomst "
        "in de fase: een erkenning of afwijzing start een nieuwe verjaringstermijn (7:942 BW).",
    )
    stopped_by: Names = Field(
        (),
        description="Triggers die de termijn beëindigen zonder nieuwe (een nieuwe schriftelijke aanspraak).",
    )
    paused_by: Names = Field(
        (), description="Triggers die de termijn opschorten (bijv. een informatieverzoek aan de verzekerde)."
    )
    resumed_by: Names = Field(
        (), description="Triggers die de opgeschorte termijn laten doorlopen met de resterende tijd."
    )
    met_at: Text | None = Field(
        None, description="Het veld van de stap die de termijn haalt met het moment waarop hij gehaald is."
    )
    amount_from: Text | None = Field(
        None, description="Het veld van de startende stap met de lengte van de termijn (in `unit`)."
    )
    from_field: Text | None = Field(
        None,
        description="Het datumveld van een herstartende stap waarvandaan de nieuwe termijn telt (de dag van "
        "het overleg, niet die van het vastleggen).",
    )
    waiting: Text | None = Field(
        None,
        description="Wat de claimpagina zegt zolang een termijn met started_by niet loopt; {date_reported} "
        "en andere datums van de claim worden ingevuld.",
    )


class LetterModel(_SpecPart):
    """A letter a transition sends."""

    model_config = _shown_as("Een brief die de stap maakt.")

    template: Text = Field(description="De briefsjabloon, een bestand in templates/letters/ zonder .html.j2.")
    to: Text = Field(
        "insured",
        description=(
            "Aan wie: insured (de verzekerde), claimant (de benadeelde; diens advocaat als die er is), "
            "counsel, broker (de tussenpersoon), expert, handler of manager."
        ),
    )
    cc: Names = Field(
        (),
        description=(
            "Wie een kopie krijgt (dezelfde rollen als `to`); een tussenpersoon met 'kopie aan verzekerde' "
            "krijgt de brieven aan de verzekerde altijd."
        ),
    )
    paragraph: StrictBool = Field(False, description="Mag wie de transitie doet een eigen alinea toevoegen?")


def _letter_form(value: object) -> str:
    return LETTER_BY_NAME if isinstance(value, str) else LETTER_IN_FULL


Letter = Annotated[
    Annotated[Text, Tag(LETTER_BY_NAME)] | Annotated[LetterModel, Tag(LETTER_IN_FULL)],
    Discriminator(_letter_form),
]


class StateModel(_SpecPart):
    """A phase of the claim."""

    model_config = _shown_as("Een fase van de claim.")

    label: Text | None = Field(None, description="Naam van de fase zoals de behandelaar hem ziet.")
    terminal: StrictBool = Field(False, description="Een eindfase: de claim is daarna gesloten.")
    deadlines: tuple[DeadlineModel, ...] = Field((), description="Termijnen die starten bij binnenkomst.")
    description: str = Field("", description="Wat er in deze fase gebeurt.")
    reopens_to: Text | None = Field(
        None,
        description="Alleen bij een eindfase: de fase waarin een heropende claim terugkomt (heropenen).",
    )
    role: Literal["approval"] | None = Field(
        None,
        description="`approval`: hier wacht een voorstel op de goedkeuring van een tweede (vier ogen); "
        "het dashboard van de manager toont de claims in zo'n fase.",
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_state(cls, value: object) -> object:
        # `melding:` with nothing under it is a state with every default
        return {} if value is None else value

    @field_validator("deadlines", mode="before")
    @classmethod
    def _no_deadlines(cls, value: object) -> object:
        return _empty_when_none(value)


class TransitionModel(_SpecPart):
    """A step from one phase to another, and what it needs and does."""

    model_config = _shown_as(
        "Een stap van de ene fase naar de andere: wie hem mag doen, wat hij vraagt en wat hij doet."
    )

    trigger: Text = Field(description="Technische naam van de stap; uniek per fase waaruit hij vertrekt.")
    source: Names = Field(
        alias="from",
        description='De fase(s) waaruit de stap vertrekt; "*" is elke niet-eindfase behalve de bestemming.',
    )
    to: Text = Field(
        description="De fase waarin de stap eindigt; `same` blijft in de fase waaruit hij vertrekt."
    )
    label: Text | None = Field(None, description="De knop die de behandelaar ziet (standaard de trigger).")
    roles: Names = Field(description="Wie de stap mag doen: handler, manager, expert, ...")
    guards: Names = Field((), description="Controles die alle moeten slagen voordat de stap mag.")
    fields: tuple[FieldModel, ...] = Field((), description="Wat wie de stap doet moet invullen.")
    letters: tuple[Letter, ...] = Field(
        (),
        description="Brieven die de stap maakt: een sjabloonnaam, of {template, to, paragraph}.",
    )
    notify: Names = Field((), description="Rollen die een bericht krijgen.")
    effects: Names = Field((), description="Wat de stap verder doet (betaling, reserve, notitie).")
    outcome: Text | None = Field(
        None, description="De uitkomst van de claim, verplicht bij een stap naar een eindfase."
    )
    approval: StrictBool = Field(
        False,
        description="De stap keurt een voorstel goed (vier ogen): wie hem doet, moet zelf bevoegd zijn "
        "voor het voorgestelde bedrag.",
    )

    @field_validator("fields", "letters", mode="before")
    @classmethod
    def _none_given(cls, value: object) -> object:
        return _empty_when_none(value)

    @field_validator("roles")
    @classmethod
    def _someone_may_fire_it(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("must name who may fire it")
        return value


class DropModel(BaseModel):
    """What a file leaves out of the base it extends."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Niet overnemen")
    states: tuple[Text, ...] = Field((), description="Fasen van de basis die vervallen.")
    transitions: tuple[Text, ...] = Field((), description="Triggers van de basis die vervallen.")


class SpecBase(_SpecPart):
    """A shared base (a file whose name starts with `_`): states and transitions that kinds extend."""

    model_config = ConfigDict(
        title="Gedeelde basis van een workflow",
        json_schema_extra={"description": "Fasen en stappen die soorten claims met `extends` overnemen."},
    )

    extends: Text | None = Field(
        None,
        description=(
            "De basis (een bestand _naam.yaml ernaast) waarvan dit bestand de fasen en stappen overneemt; "
            "wat dit bestand zelf noemt, vervangt die van de basis."
        ),
    )
    states: dict[str, StateModel] = Field(
        default_factory=dict,
        description="De fasen, op naam. Een soort die een fase van de basis noemt, vervangt die helemaal.",
    )
    transitions: tuple[TransitionModel, ...] = Field(
        (),
        description="De stappen. Een soort die een trigger van de basis noemt, vervangt elke stap met die "
        "trigger.",
    )
    drop: DropModel | None = Field(
        None,
        description="Fasen en stappen van de basis die dit bestand niet overneemt (een nieuwe versie die "
        "iets afschaft).",
    )


class SpecFile(SpecBase):
    """The workflow of one kind of claim, in one version."""

    model_config = ConfigDict(
        title="Workflow van een soort claim",
        json_schema_extra={"description": "De workflow van één soort claim, in één versie."},
    )

    kind: Text = Field(description="Technische naam van de soort claim.")
    version: Positive = Field(
        description="Versie van de workflow; een claim blijft onder de versie waaronder hij begon."
    )
    label: Text | None = Field(None, description="Naam van de soort claim zoals gebruikers hem zien.")
    description: str = Field("", description="Wat voor claims dit zijn.")
    extends: Text | None = Field(
        None, description="De gedeelde basis waarop deze soort voortbouwt, bijv. _base."
    )
    initial: Text = Field(description="De fase waarin een nieuwe claim begint.")
    migrates_from: dict[Positive, dict[str, str]] = Field(
        default_factory=dict,
        description="Van welke oudere versies open claims naar deze versie mogen (`claimflow workflows "
        "migrate`), elk met de fasen die een andere naam kregen als oude fase: nieuwe fase. Een fase die "
        "haar naam houdt, hoeft er niet in; een claim in een fase die hier niet staat en in deze versie "
        "niet bestaat, wordt niet gemigreerd.",
    )

    @field_validator("migrates_from", mode="before")
    @classmethod
    def _bare_versions(cls, value: object) -> object:
        # `migrates_from: {1: }`: a version whose states all keep their names
        if isinstance(value, dict):
            return {k: {} if v is None else v for k, v in value.items()}
        return {} if value is None else value

    @model_validator(mode="after")
    def _migrates_from_older_versions(self) -> SpecFile:
        newer = sorted(v for v in self.migrates_from if v >= self.version)
        if newer:
            raise ValueError(
                f"migrates_from names version {newer[0]}: a spec migrates only from older versions"
            )
        return self


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a spec file, for an editor's completion and checks while writing YAML."""
    refs, schema = models_json_schema([(SpecFile, "validation"), (SpecBase, "validation")])
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "claimflow workflow spec",
        "description": "Een workflow-spec van claimflow (claims/kinds/workflows/*.yaml): een soort claim of "
        "de gedeelde basis die soorten uitbreiden. `claimflow workflows check` controleert daarna de "
        "samenhang.",
        **schema,
        # a file is either a kind's workflow or a shared base it extends
        "anyOf": [refs[(SpecFile, "validation")], refs[(SpecBase, "validation")]],
    }
