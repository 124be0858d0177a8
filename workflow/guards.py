"""Guards and effects by name, each with the contract it declares. The engine knows only names; the
domain registers what each one checks or does, and what it needs from the spec to do so.

A guard receives the context of the attempted transition and returns None when it passes, or the
reason (a sentence for the person who tried) when it refuses; a refusal that belongs to one typed field
may raise InvalidInput naming it instead, so the form marks that field. Guards run before any effect:
an effect refuses nothing itself, it names the guards it relies on (Contract.guards).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Generic, TypeVar

C = TypeVar("C")

OPTIONAL = "?"  # a declared input type ending in this: the field may be absent or left empty


@dataclass(frozen=True)
class Contract:
    """What a guard, an effect or a letter needs from the transition it runs on: input fields by name
    with their spec field type ("money", "text", ...; "money?" when it copes without the field), the
    deadlines it names, and the role that must be able to fire the transition.

    An effect also names the guards that must run before it (`guards`: the refusals it relies on, so
    nothing is staged for a transition that is then refused) and the facts it leaves for the letters
    (`supplies`); a letter names the facts it needs an effect of its transition to supply (`facts`)."""

    inputs: Mapping[str, str] = field(default_factory=dict)
    deadlines: tuple[str, ...] = ()
    role: str | None = None
    guards: tuple[str, ...] = ()
    supplies: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # frozen means frozen: a caller's dict changed later must not change the contract
        object.__setattr__(self, "inputs", MappingProxyType(dict(self.inputs)))

    def required_inputs(self) -> dict[str, str]:
        return {n: t for n, t in self.inputs.items() if not t.endswith(OPTIONAL)}

    def optional_inputs(self) -> dict[str, str]:
        return {n: t.removesuffix(OPTIONAL) for n, t in self.inputs.items() if t.endswith(OPTIONAL)}


NO_CONTRACT = Contract()


@dataclass
class GuardRegistry(Generic[C]):
    """Named guard functions over a context type the domain chooses."""

    _guards: dict[str, Callable[[C], str | None]] = field(default_factory=dict)
    _contracts: dict[str, Contract] = field(default_factory=dict)

    def register(
        self,
        name: str,
        *,
        inputs: Mapping[str, str] | None = None,
        deadlines: tuple[str, ...] = (),
        role: str | None = None,
    ) -> Callable[[Callable[[C], str | None]], Callable[[C], str | None]]:
        contract = Contract(inputs or {}, deadlines, role)

        def add(func: Callable[[C], str | None]) -> Callable[[C], str | None]:
            if name in self._guards:
                raise ValueError(f"guard '{name}' is registered twice")
            self._guards[name] = func
            self._contracts[name] = contract
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

    def contract(self, name: str) -> Contract:
        return self._contracts[name]


@dataclass
class EffectRegistry(Generic[C]):
    """Named effects: what a transition does to the domain's data besides changing state. An effect
    that pays out also says how much (`pays`), so the authority guards can weigh it before it runs."""

    _effects: dict[str, Callable[[C], None]] = field(default_factory=dict)
    _contracts: dict[str, Contract] = field(default_factory=dict)
    _payments: dict[str, Callable[[C], Decimal]] = field(default_factory=dict)

    def register(
        self,
        name: str,
        *,
        inputs: Mapping[str, str] | None = None,
        deadlines: tuple[str, ...] = (),
        role: str | None = None,
        guards: tuple[str, ...] = (),
        supplies: tuple[str, ...] = (),
        pays: Callable[[C], Decimal] | None = None,
    ) -> Callable[[Callable[[C], None]], Callable[[C], None]]:
        contract = Contract(inputs or {}, deadlines, role, guards=guards, supplies=supplies)

        def add(func: Callable[[C], None]) -> Callable[[C], None]:
            if name in self._effects:
                raise ValueError(f"effect '{name}' is registered twice")
            self._effects[name] = func
            self._contracts[name] = contract
            if pays is not None:
                self._payments[name] = pays
            return func

        return add

    def __getitem__(self, name: str) -> Callable[[C], None]:
        return self._effects[name]

    def names(self) -> frozenset[str]:
        return frozenset(self._effects)

    def contract(self, name: str) -> Contract:
        return self._contracts[name]

    def payment(self, name: str) -> Callable[[C], Decimal] | None:
        """What effect `name` will pay out, or None when it pays nothing."""
        return self._payments.get(name)
