"""`claimflow workflows schema`: the JSON Schema an editor checks spec files with, as the command prints it.

Every real spec file passes it, and it refuses the slips the loader refuses (a wrong key, a wrong unit), so
a claims expert sees them in the editor before `claimflow workflows check` does.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from claims.kinds.catalog import SPEC_DIR

CLAIMFLOW = Path(sys.executable).parent / "claimflow"
SPEC_FILES = sorted(SPEC_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    result = subprocess.run(
        [str(CLAIMFLOW), "workflows", "schema"], capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, result.stderr
    schema = yaml.safe_load(result.stdout)  # JSON is YAML; the schema must parse as JSON too
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def problems(validator: jsonschema.Draft202012Validator, document: object) -> list[str]:
    return [error.message for error in validator.iter_errors(document)]


def read(name: str) -> dict[str, Any]:
    data = yaml.safe_load((SPEC_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_there_are_real_specs_and_a_base() -> None:
    names = [p.name for p in SPEC_FILES]
    assert "_base.yaml" in names
    assert len(names) >= 5


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_every_real_spec_file_passes_the_printed_schema(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    assert problems(validator, yaml.safe_load(path.read_text(encoding="utf-8"))) == []


def _misspell_guards(data: dict[str, Any]) -> None:
    data["transitions"][0]["guard"] = data["transitions"][0].pop("guards", ["small_claim"])


def _misspell_state_label(data: dict[str, Any]) -> None:
    state = next(iter(data["states"].values()))
    state["labl"] = state.pop("label")


def _misspell_top_key(data: dict[str, Any]) -> None:
    data["intial"] = data.pop("initial")


def _misspell_deadline_key(data: dict[str, Any]) -> None:
    data["states"]["melding"]["deadlines"][0]["metby"] = ["settle"]


def _unknown_unit(data: dict[str, Any]) -> None:
    data["states"]["melding"]["deadlines"][0]["unit"] = "days"


def _version_as_text(data: dict[str, Any]) -> None:
    data["version"] = "1"


def _letter_with_a_bcc(data: dict[str, Any]) -> None:
    data["transitions"][0]["letters"] = [{"template": "ontvangstbevestiging", "bcc": "expert"}]


@pytest.mark.parametrize(
    ("name", "slip"),
    [
        ("contract_breach.yaml", _misspell_guards),
        ("data_loss.yaml", _misspell_state_label),
        ("contract_breach.yaml", _misspell_top_key),
        ("_base.yaml", _misspell_guards),
        ("_base.yaml", _misspell_deadline_key),
        ("_base.yaml", _unknown_unit),
        ("unpaid_fee.yaml", _version_as_text),
        ("late_delivery.yaml", _letter_with_a_bcc),
    ],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_the_printed_schema_refuses_a_slip(
    validator: jsonschema.Draft202012Validator, name: str, slip: Any
) -> None:
    data = read(name)
    assert problems(validator, data) == []
    broken = copy.deepcopy(data)
    slip(broken)
    assert problems(validator, broken) != []


def test_a_base_may_not_name_a_kind_without_its_version(validator: jsonschema.Draft202012Validator) -> None:
    # with `kind` the file is a kind's workflow, which needs a version and an initial state
    data = read("_base.yaml")
    assert problems(validator, {**data, "kind": "demo"}) != []
    assert problems(validator, {**data, "kind": "demo", "version": 1, "initial": "melding"}) == []
