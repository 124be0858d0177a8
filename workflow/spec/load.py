"""Loading a spec: read its YAML, resolve `extends`, validate the file format, build and check it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from workflow.errors import SpecError
from workflow.spec.build import build_spec
from workflow.spec.check import SpecVocabulary, check_spec
from workflow.spec.messages import describe
from workflow.spec.model import SpecBase, SpecFile
from workflow.spec.objects import WorkflowSpec

M = TypeVar("M", bound=BaseModel)


def load_spec(path: Path, vocabulary: SpecVocabulary) -> WorkflowSpec:
    """Load and check one spec file; raise SpecError naming the file and the problem."""
    raw = _read_yaml(path)
    if isinstance(raw, dict) and "extends" in raw:
        raw = _extend(raw, path)
    return parse_spec(raw, vocabulary, source=str(path))


def parse_spec(raw: object, vocabulary: SpecVocabulary, source: str = "<spec>") -> WorkflowSpec:
    """Build a WorkflowSpec from already-parsed YAML and check it."""
    spec = build_spec(validate(SpecFile, raw, source), source)
    check_spec(spec, vocabulary)
    return spec


def validate(model: type[M], raw: object, source: str) -> M:
    """`raw` as a `model`, or a SpecError naming `source` and every problem pydantic found."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise SpecError(source, describe(exc, raw)) from None


# libyaml's parser when PyYAML was built with it: the pure-Python one spends a quarter of a second on the
# specs at every start-up; both are the safe loader and read the same documents
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(str(path), f"cannot read YAML: {exc}") from exc


def _extend(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """A kind that `extends` a shared base: its states replace the base's of the same name; its
    transitions replace the base's of the same trigger and add the rest. A base may itself extend an
    older base the same way (a new version of the shared part names only what it changes)."""
    return _merge(_base(str(raw["extends"]), path, ()), raw)


def _base(name: str, path: Path, seen: tuple[str, ...]) -> dict[str, Any]:
    """The base `name` beside `path`, its own `extends` resolved."""
    base_path = path.parent / f"{name}.yaml"
    if not base_path.is_file():
        raise SpecError(str(path), f"extends unknown base '{name}'")
    if name in seen:
        raise SpecError(str(base_path), f"extends itself through {' -> '.join((*seen, name))}")
    base = _read_yaml(base_path)
    if not isinstance(base, dict):
        raise SpecError(str(base_path), "the base must be a mapping")
    if "extends" in base:
        base = _merge(_base(str(base["extends"]), base_path, (*seen, name)), base)
    # a slip in the base is reported against the base, not against each kind that extends it
    validate(SpecBase, base, str(base_path))
    return base


def _merge(base: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    """`raw` over `base`; what `raw` names under `drop` (states, triggers) is left out of the base."""
    dropped = raw.get("drop") or {}
    if not isinstance(dropped, dict):  # left for the validation to refuse
        return {**base, **raw}
    gone_states = set(dropped.get("states") or ())
    gone_triggers = set(dropped.get("transitions") or ())
    merged = {**{k: v for k, v in base.items() if k not in ("states", "transitions")}, **raw}
    merged.pop("extends", None)
    merged.pop("drop", None)
    inherited_states = {k: v for k, v in (base.get("states") or {}).items() if k not in gone_states}
    own_states = raw.get("states") or {}
    if isinstance(own_states, dict):  # anything else is left for the validation to refuse
        merged["states"] = {**inherited_states, **own_states}
    own = raw.get("transitions") or []
    if not isinstance(own, list):
        return merged
    replaced = {t.get("trigger") for t in own if isinstance(t, dict)} | gone_triggers
    inherited = [t for t in base.get("transitions") or [] if t.get("trigger") not in replaced]
    merged["transitions"] = [*inherited, *own]
    return merged
