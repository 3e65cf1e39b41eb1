"""The layers of the code, checked from its own imports (every ``import`` statement, including those inside
functions and under ``TYPE_CHECKING``): no import circle, and no import of a higher layer.

    workflows  <-  base modules  <-  models  <-  domain packages  <-  faces  <-  entry points

- ``workflows/``: the machines and the calendar rules; they import nothing of ours but each other.
- Base modules: the single modules directly under ``screening/`` (db, extensions, clock, ...) and the
  configuration package ``screening/config/``.
- Models: ``screening/<domain>/models.py``, a layer of their own below the domain logic.
- Domain packages: the rest of ``screening/<domain>/`` (operations, queries, deadlines, ...). Across
  packages, a domain module or a model imports only packages listed before its own in
  :data:`DOMAIN_ORDER`. The one exception is declared in :data:`MODEL_READS`: the clearances read the
  applications' table to know who relies on a clearance (the application links to the clearance it
  produced or relies on; the clearances' own logic stays below the applications').
- Faces: ``views.py`` (and ``*_views.py``: one blueprint's views split by subject, as the API's),
  ``forms.py``, ``cli.py`` of every package and subpackage, ``screening/cli_base.py``
  and ``scheduler/``. A face may use everything below and other faces, without a circle.
- Entry points: ``app.py``, ``cli.py``, ``wsgi.py``, ``demo.py``, ``models.py`` (the registry of every model
  for Alembic) and the migrations. They may see everything.

``docs/architecture.md`` explains the layers and where each kind of change goes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.nodb

ROOT = Path(__file__).resolve().parent.parent
TOP_PACKAGES = ("workflows", "screening", "scheduler")

#: Domain packages, lowest first: a package's domain modules (and its models) import only packages before it.
DOMAIN_ORDER = (
    "audit",
    "people",
    "organisations",
    "catalogue",
    "auth",
    "jobs",
    "notifications",
    "webhooks",
    "statuslist",
    "person_link",
    "decisions",
    "clearances",
    "applications",
    "certificates",
    "fees",
    "workforce",
    "reminders",
    "reports",
    "retention",
    "subjects",
    "core",
    "imports",
    "admin",
    "api",
)
#: The only reads of a later package's models: a clearance is relied on through the files linked to it
#: (``applications.clearance_id``), so the clearances' scoping and expiry notices read that column; and an
#: organisation whose register (``workforce_members``) says the holder left relies on it no more; the status
#: list is written in the clearances' transaction from the codes printed for them (``certificate_issues``).
MODEL_READS = frozenset({("clearances", "applications"), ("clearances", "workforce"), ("statuslist", "certificates")})
ENTRY_POINTS = frozenset({"screening.app", "screening.cli", "screening.wsgi", "screening.demo", "screening.models"})
FACE_MODULES = frozenset({"views", "forms", "cli"})
#: Base modules grown into packages (the configuration loader and its sections).
BASE_PACKAGES = frozenset({"config"})
WORKFLOWS, BASE, MODELS, DOMAIN, FACE, ENTRY = range(6)
LAYER_NAMES = ("workflows", "base module", "models", "domain package", "face", "entry point")

#: Known upward imports in files other engineers own while this test lands, each with its way out. The
#: list must shrink: an entry whose import is gone fails the test until it is removed from here.
ALLOWED: dict[tuple[str, str], str] = {}
#: Known import circles, the same way (each a set of modules); the list must shrink too.
ALLOWED_CIRCLES: list[frozenset[str]] = []


def _modules() -> dict[str, Path]:
    found = {}
    for top in TOP_PACKAGES:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(module: str) -> str | None:
    """The module of ours an imported name lives in (the longest known prefix), or None for a library."""
    if module.split(".")[0] not in TOP_PACKAGES:
        return None
    while module and module not in MODULES:
        module = module.rpartition(".")[0]
    return module or None


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != name:
                found.add(resolved)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def layer(module: str) -> int:
    parts = module.split(".")
    if parts[0] == "workflows":
        return WORKFLOWS
    if parts[0] == "scheduler":
        return FACE
    if module in ENTRY_POINTS or (len(parts) > 1 and parts[1] == "migrations"):
        return ENTRY
    if module == "screening.cli_base":
        return FACE
    if len(parts) == 1:  # the package screening itself
        return BASE
    if parts[1] in BASE_PACKAGES or (len(parts) == 2 and not (ROOT / "screening" / parts[1]).is_dir()):
        return BASE
    if len(parts) == 2:  # a domain package's __init__
        return MODELS
    if parts[-1] in FACE_MODULES or parts[-1].endswith("_views"):
        return FACE
    if parts[-1] == "models":
        return MODELS
    return DOMAIN


def domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "screening" and len(parts) > 2 else None


def violations() -> dict[tuple[str, str], str]:
    found = {}
    for importer, imported in sorted((a, b) for a, targets in GRAPH.items() for b in targets):
        high, low = layer(importer), layer(imported)
        if low > high:
            found[(importer, imported)] = f"{LAYER_NAMES[high]} imports a {LAYER_NAMES[low]}"
            continue
        own, other = domain(importer), domain(imported)
        if high not in (MODELS, DOMAIN) or low not in (MODELS, DOMAIN) or own == other:
            continue
        if own not in DOMAIN_ORDER or other not in DOMAIN_ORDER:
            found[(importer, imported)] = f"{own} or {other} is missing from DOMAIN_ORDER"
        elif DOMAIN_ORDER.index(other) > DOMAIN_ORDER.index(own) and not (
            low == MODELS and (own, other) in MODEL_READS
        ):
            found[(importer, imported)] = f"{own} comes before {other} in DOMAIN_ORDER"
    return found


def circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(GRAPH[node]):
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
                found.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_every_kind_of_import() -> None:
    """Function-level imports count as much as those at the top (they once hid circles)."""
    assert "screening.scheduler" not in MODULES
    assert {"workflows.machine", "screening.db", "scheduler.jobs"} <= MODULES.keys()
    assert "scheduler.runner" in GRAPH["screening.cli"]  # imported inside a command function


def test_no_import_circle() -> None:
    unexpected = [circle for circle in circles() if frozenset(circle) not in ALLOWED_CIRCLES]
    assert unexpected == []


def test_the_allowed_circles_only_shrink() -> None:
    found = [frozenset(circle) for circle in circles()]
    assert [circle for circle in ALLOWED_CIRCLES if circle not in found] == []


def test_no_import_of_a_higher_layer() -> None:
    found = violations()
    unexpected = {edge: why for edge, why in found.items() if edge not in ALLOWED}
    assert unexpected == {}, "\n".join(f"{a} -> {b}: {why}" for (a, b), why in unexpected.items())


def test_the_allowed_exceptions_only_shrink() -> None:
    stale = [edge for edge in ALLOWED if edge not in violations()]
    assert stale == [], f"these imports are gone: remove them from ALLOWED: {stale}"


def test_every_domain_package_is_placed() -> None:
    packages = {domain(name) for name in MODULES if domain(name) and layer(name) in (MODELS, DOMAIN)}
    assert packages <= set(DOMAIN_ORDER), packages - set(DOMAIN_ORDER)


def test_the_layer_of_known_modules() -> None:
    assert layer("workflows.application") == WORKFLOWS
    assert layer("screening.db") == BASE
    assert layer("screening.config.ldap") == BASE
    assert layer("screening.auth.factors.views") == FACE
    assert layer("screening.applications.models") == MODELS
    assert layer("screening.applications.operations") == DOMAIN
    assert layer("screening.auth.directory.client") == DOMAIN
    assert layer("screening.applications.views") == FACE
    assert layer("scheduler.runner") == FACE
    assert layer("screening.app") == ENTRY
    assert layer("screening.migrations.env") == ENTRY
