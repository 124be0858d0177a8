"""Guards by name. The engine knows only names; the domain registers what each one checks.

A guard receives the context of the attempted transition and returns None when it passes, or the
reason (a sentence for the person who tried) when it refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

C = TypeVar("C")


@dataclass
class GuardRegistry(Generic[C]):
    """Named guard functions over a context type the domain chooses."""

    _guards: dict[str, Callable[[C], str | None]] = field(default_factory=dict)

    def register(self, name: str) -> Callable[[Callable[[C], str | None]], Callable[[C], str | None]]:
        def add(func: Callable[[C], str | None]) -> Callable[[C], str | None]:
            if name in self._guards:
                raise ValueError(f"guard '{name}' is registered twice")
            self._guards[name] = func
            return func

        return add

    def __getitem__(self, name: str) -> Callable[[C], str | None]:
        return self._guards[name]

    def __contains__(self, name: object) -> bool:
        return name in self._guards

    def __iter__(self) -> Iterator[str]:
        return iter(self._guards)

    def names(self) -> frozenset[str]:
        return frozenset(self._guards)


@dataclass
class EffectRegistry(Generic[C]):
    """Named effects: what a transition does to the domain's data besides changing state."""

    _effects: dict[str, Callable[[C], None]] = field(default_factory=dict)

    def register(self, name: str) -> Callable[[Callable[[C], None]], Callable[[C], None]]:
        def add(func: Callable[[C], None]) -> Callable[[C], None]:
            if name in self._effects:
                raise ValueError(f"effect '{name}' is registered twice")
            self._effects[name] = func
            return func

        return add

    def __getitem__(self, name: str) -> Callable[[C], None]:
        return self._effects[name]

    def names(self) -> frozenset[str]:
        return frozenset(self._effects)
