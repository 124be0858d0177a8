"""Pydantic's validation errors of a spec file as messages a claims expert can act on.

A message says where in the spec the problem is by name ("transition 'settle': field 'amount'"), not by
pydantic's location (`transitions.14.fields.0`), and what is wrong in plain words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from workflow.spec.model import LETTER_BY_NAME, LETTER_IN_FULL

# Locations pydantic adds that are no key of the YAML: the tags of the two ways to write a letter, and
# the name of the model it tried when a file may be a kind or a base.
_NOT_KEYS = frozenset({LETTER_BY_NAME, LETTER_IN_FULL, "SpecFile", "SpecBase"})


def describe(error: ValidationError, raw: object) -> str:
    """Every problem in `error`, each naming its place in `raw` (the YAML it validated)."""
    seen: list[str] = []
    for detail in error.errors(include_url=False):
        message = _one(detail, raw)
        if message not in seen:
            seen.append(message)
    return "; ".join(seen)


def _one(detail: ErrorDetails, raw: object) -> str:
    loc = [part for part in detail["loc"] if part not in _NOT_KEYS]
    place, rest = _place(loc, raw)
    key = ".".join(str(part) for part in rest)
    problem = _problem(detail, key, place)
    return f"{place}: {problem}" if place and not problem.startswith(place) else problem


def _place(loc: Sequence[int | str], raw: object) -> tuple[str, list[int | str]]:
    """The named place of `loc` in the spec, and what is left of it (the key at that place)."""
    place = state = ""
    i = 0
    node: Any = raw
    while i + 1 < len(loc):
        container, item = loc[i], loc[i + 1]
        child = _at(_at(node, container), item)
        if container == "states" and isinstance(item, str):
            place, state = f"state '{item}'", item
        elif container == "deadlines" and isinstance(item, int) and place.startswith("state "):
            name = _at(child, "name")
            named = f"'{name}'" if isinstance(name, str) else f"#{item + 1}"
            place = f"bad deadline: deadline {named} in state '{state}'"
        elif container == "transitions" and isinstance(item, int) and not place:
            trigger = _at(child, "trigger")
            place = f"transition '{trigger}'" if isinstance(trigger, str) else f"transition #{item + 1}"
        elif container == "fields" and isinstance(item, int) and place.startswith("transition"):
            name = _at(child, "name")
            place += f": field '{name}'" if isinstance(name, str) else ": a field"
        elif container == "letters" and isinstance(item, int) and place.startswith("transition"):
            template = child if isinstance(child, str) else _at(child, "template")
            place += f": letter '{template}'" if isinstance(template, str) else ": a letter"
        else:
            break
        node = child
        i += 2
    return place, list(loc[i:])


def _at(node: object, part: int | str) -> object:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _problem(detail: ErrorDetails, key: str, place: str) -> str:
    kind, value = detail["type"], detail.get("input")
    quoted = f"'{key}'"
    if kind == "missing":
        return f"{quoted} is missing"
    if kind == "extra_forbidden":
        return f"unknown key {quoted}"
    if kind == "literal_error":
        expected = detail.get("ctx", {}).get("expected", "")
        return f"unknown {key} {value!r} (one of {expected})"
    if kind in ("int_type", "int_parsing", "int_from_float", "greater_than"):
        return f"{quoted} must be a positive integer, got {value!r}"
    if kind in ("bool_type", "bool_parsing"):
        return f"{quoted} must be true or false, not {value!r}"
    if kind == "string_type":
        return f"{quoted} must be a text, not {value!r}"
    if kind in ("string_too_short", "string_pattern_mismatch"):
        return f"{quoted} must be a non-empty text"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        if not key:
            return f"{place or 'the spec'} must be a mapping"
        if key.endswith("choices"):
            return f"{quoted} must map value to label"
        return f"{quoted} must be a mapping, not {value!r}"
    if kind in ("list_type", "tuple_type"):
        return f"{quoted} must be a list, not {value!r}"
    if kind == "value_error":
        reason = str(detail.get("ctx", {}).get("error", detail["msg"]))
        return f"{quoted} {reason}" if key else reason
    return f"{quoted}: {detail['msg']}" if key else detail["msg"]
