"""Workflow specs: YAML files loaded into typed, checked objects.

`model` is the file format (pydantic, with its JSON Schema for editors), `load` reads a file and resolves
`extends`, `build` turns the validated file into the frozen `objects` the engine and the domain use, and
`check` refuses a spec whose names or graph would misbehave at run time. `load_spec` refuses a bad spec at
load time with a message naming the file and the problem.
"""

from workflow.spec.check import SpecVocabulary, check_spec
from workflow.spec.load import load_spec, parse_spec
from workflow.spec.model import DEADLINE_UNITS, FIELD_TYPES, json_schema
from workflow.spec.objects import (
    ANY_OPEN_STATE,
    ENTERED,
    PARAGRAPH_FIELD,
    SAME_STATE,
    DeadlineSpec,
    FieldSpec,
    LetterSpec,
    StateSpec,
    TransitionSpec,
    WorkflowSpec,
)

__all__ = [
    "ANY_OPEN_STATE",
    "DEADLINE_UNITS",
    "ENTERED",
    "FIELD_TYPES",
    "PARAGRAPH_FIELD",
    "SAME_STATE",
    "DeadlineSpec",
    "FieldSpec",
    "LetterSpec",
    "SpecVocabulary",
    "StateSpec",
    "TransitionSpec",
    "WorkflowSpec",
    "check_spec",
    "json_schema",
    "load_spec",
    "parse_spec",
]
