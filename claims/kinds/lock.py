"""The lock on the spec versions: the fingerprint of every (kind, version) that claims may run under,
committed beside the specs (workflows/specs.lock). A locked version cannot change under the claims that
started under it: a spec whose fingerprint differs from its lock is refused at load, with the advice to
raise its version. `claimflow workflows lock` adds the versions that are not locked yet, never changes one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from workflow.errors import SpecError
from workflow.spec import WorkflowSpec

LOCK_FILE = "specs.lock"
_HEADER = (
    "# The fingerprint of each claim kind's spec version (sha256 over the resolved spec). Written by\n"
    "# `claimflow workflows lock`, which adds new versions only; a changed spec needs a new version.\n"
)

Lock = dict[tuple[str, int], str]


def read_lock(directory: Path) -> Lock:
    """The lock beside the specs in `directory`; empty when there is none (a folder of specs being tried)."""
    path = directory / LOCK_FILE
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {
            (str(kind), int(version)): str(fingerprint)
            for kind, versions in data.items()
            for version, fingerprint in versions.items()
        }
    except (yaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
        raise SpecError(str(path), f"cannot read the lock: {exc}") from None


def check_locked(specs: Iterable[WorkflowSpec], lock: Mapping[tuple[str, int], str]) -> None:
    """SpecError for the first spec whose version is locked with another fingerprint."""
    for spec in specs:
        locked = lock.get(spec.key)
        if locked is not None and locked != spec.fingerprint:
            raise SpecError(
                spec.source_file,
                f"kind '{spec.kind}' version {spec.version} is not the spec it was locked as "
                f"({LOCK_FILE}: {locked[:12]}, now {spec.fingerprint[:12]}); claims run under version "
                f"{spec.version}, so it may not change: give the changed spec version {spec.version + 1} "
                "(keeping the old version's file if claims still run under it) and run "
                "`claimflow workflows lock`",
            )


def unlocked(specs: Iterable[WorkflowSpec], lock: Mapping[tuple[str, int], str]) -> list[WorkflowSpec]:
    """The specs whose version the lock does not hold yet."""
    return sorted((s for s in specs if s.key not in lock), key=lambda s: s.key)


def write_lock(directory: Path, specs: Iterable[WorkflowSpec]) -> list[tuple[str, int]]:
    """Add the versions not locked yet to the lock in `directory` (creating it); the ones added. A locked
    version that changed is refused (check_locked), never rewritten."""
    specs = list(specs)
    lock = read_lock(directory)
    check_locked(specs, lock)
    added = [s.key for s in unlocked(specs, lock)]
    lock.update({s.key: s.fingerprint for s in specs if s.key in added})
    by_kind: dict[str, dict[int, str]] = {}
    for (kind, version), fingerprint in sorted(lock.items()):
        by_kind.setdefault(kind, {})[version] = fingerprint
    text = _HEADER + yaml.safe_dump(by_kind, sort_keys=True, allow_unicode=True)
    (directory / LOCK_FILE).write_text(text, encoding="utf-8")
    return added
