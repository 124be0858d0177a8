"""The house's arrows: which area of the code may import which, and no import cycle anywhere.

Every import is counted, also one inside a function (a lazy import hides a cycle, it does not remove it).
An area is a package of claims/ (claims.storage, claims.kinds, ...), one of claims' top modules
(claims.config, ...), or workflow/ and notifications/ as a whole."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("claims", "workflow", "notifications")

# What each area may import besides itself: the arrows of DESIGN.md ("The house"), lowest first.
# workflow/ and notifications/ know nothing of claims; nothing but claims.web imports claims.web.
BASE = {"workflow", "notifications"}
ALLOWED: dict[str, set[str]] = {
    "workflow": set(),
    "notifications": set(),
    "claims.errors": BASE,
    "claims.text": BASE,
    "claims.rules": BASE,
    "claims.storage": BASE | {"claims.errors"},
    "claims.money": BASE | {"claims.storage"},
    "claims.people": BASE | {"claims.errors", "claims.storage"},
    "claims.parties": BASE | {"claims.errors", "claims.storage", "claims.text"},
    "claims.kinds": BASE | {"claims.money", "claims.rules", "claims.storage"},
    "claims.letters": BASE | {"claims.kinds", "claims.parties", "claims.storage"},
    # the complaint track's terms and words (klachtbehandeling): data and dates, no database
    "claims.complaints": BASE,
    "claims.runtime": BASE | {"claims.complaints", "claims.kinds", "claims.rules"},
    "claims.notify": BASE
    | {
        "claims.errors",
        "claims.letters",
        "claims.people",
        "claims.runtime",
        "claims.storage",
    },
    # documents sit beside letters and notify (DESIGN.md places them with the parties, above storage)
    "claims.documents": BASE | {"claims.errors", "claims.storage"},
    "claims.config": BASE | {"claims.documents", "claims.notify", "claims.rules", "claims.storage"},
    "claims.deadlines": BASE
    | {
        "claims.config",
        "claims.letters",
        "claims.notify",
        "claims.runtime",
        "claims.storage",
    },
}
DOMAIN = set(ALLOWED) - {"workflow", "notifications"}
ALLOWED["claims.service"] = BASE | DOMAIN
ALLOWED["claims.reads"] = BASE | DOMAIN
ALLOWED["claims.exports"] = BASE | DOMAIN | {"claims.reads"}
ALLOWED["claims.cli"] = BASE | DOMAIN | {"claims.service", "claims.reads", "claims.exports", "claims.text"}
ALLOWED["claims.web"] = ALLOWED["claims.cli"]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _sources() -> dict[str, Path]:
    found = {}
    for top in OURS:
        for path in (ROOT / top).rglob("*.py"):
            if "versions" not in path.parts:  # Alembic's revisions are history, not the house
                found[_module_name(path)] = path
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `path` imports, anywhere in it."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            named.add(node.module)
            named.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {_owning_module(name, known) for name in named if name.split(".")[0] in OURS} - {None}  # type: ignore[misc]


def _owning_module(name: str, known: set[str]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def area(module: str) -> str:
    parts = module.split(".")
    if parts[0] != "claims":
        return parts[0]
    return ".".join(parts[:2])


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {module: _imports(path, known) - {module} for module, path in sources.items()}


GRAPH = _graph()


def test_every_area_is_known_and_documented() -> None:
    areas = {area(m) for m in GRAPH} - {"claims"}
    assert areas <= set(ALLOWED), f"areas without arrows in this test: {sorted(areas - set(ALLOWED))}"
    for package in (ROOT / "claims").iterdir():
        if package.is_dir() and (package / "__init__.py").exists():
            doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
            assert doc, f"claims/{package.name}/__init__.py says nothing of what lives there"


@pytest.mark.parametrize("source", sorted(ALLOWED))
def test_arrows_run_one_way(source: str) -> None:
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if area(module) == source
        for target in targets
        if area(target) != source and area(target) not in ALLOWED[source]
    )
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle() -> None:
    # Tarjan's strongly connected components over modules; a component of two or more is a cycle.
    # A package's __init__ is not counted as importing its submodules (Python runs it first anyway).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_the_walk_sees_imports() -> None:
    # the test above cannot pass by seeing nothing
    assert "claims.storage.db" in GRAPH["claims.service.transition"]
    assert any(area(t) == "claims.web" for t in GRAPH["claims.web.app"])
    assert defaultdict(set, GRAPH)["workflow.engine"] <= {m for m in GRAPH if m.startswith("workflow.")}


# --- Only storage touches SQL -------------------------------------------------------------------------

QUERY_CONSTRUCTS = {"select", "insert", "update", "delete", "func", "text"}
SQL_LIBRARIES = ("sqlalchemy", "sqlmodel")
RUNS_STATEMENTS = {"exec", "execute"}  # Session.exec, Connection.execute and Session.execute


def sql_in(source: str) -> list[str]:
    """What in this source builds or runs a statement: a query construct imported from SQLAlchemy or
    SQLModel (also through the module, as in `sa.select`), or a call of .exec() or .execute()."""
    tree = ast.parse(source)
    found: list[str] = []
    library_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in SQL_LIBRARIES:
            named = [a.name for a in node.names if a.name in QUERY_CONSTRUCTS]
            found += [f"imports {name} from {node.module}" for name in named]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in SQL_LIBRARIES:
                    library_names.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in library_names
            and node.attr in QUERY_CONSTRUCTS
        ):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in RUNS_STATEMENTS
        ):
            found.append(f"line {node.lineno}: .{node.func.attr}()")
    return found


def _sql_outside_storage() -> dict[str, list[str]]:
    return {
        module: found
        for module, path in _sources().items()
        if area(module) not in ("claims.storage", "workflow", "notifications")
        and (found := sql_in(path.read_text(encoding="utf-8")))
    }


def test_only_storage_touches_sql() -> None:
    doing_sql = _sql_outside_storage()
    assert not doing_sql, "SQL outside claims/storage (put it in a repository function):\n" + "\n".join(
        f"{module}: {', '.join(found)}" for module, found in sorted(doing_sql.items())
    )


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import select",
        "from sqlmodel import Session, select",
        "from sqlalchemy.sql.expression import text",
        "import sqlalchemy as sa\nq = sa.update(t)",
        "import sqlmodel\nq = sqlmodel.func.count()",
        "rows = session.exec(query).all()",
        "conn.execute(query)",
    ],
)
def test_the_sql_check_sees_statements(source: str) -> None:
    assert sql_in(source)


@pytest.mark.parametrize(
    "source",
    [
        "from sqlalchemy import ColumnElement, false, true",
        "from sqlalchemy.engine import Connection\nfrom sqlmodel import Session",
        "from claims.storage.repositories import users\nusers.all_by_role(session)",
        "import sqlalchemy\nerror = sqlalchemy.exc.OperationalError",
    ],
)
def test_the_sql_check_lets_repository_calls_pass(source: str) -> None:
    assert not sql_in(source)


def test_the_fast_path_is_private_to_storage() -> None:
    # effects, guards and services reach the database through repositories, whichever path those use
    users = sorted(
        module
        for module, targets in GRAPH.items()
        if "claims.storage.statements" in targets and area(module) != "claims.storage"
    )
    assert not users, f"claims.storage.statements used outside storage by {users}"
