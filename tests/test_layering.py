"""The architecture, checked from the source (DESIGN §1; issue 12).

One reader (:func:`imports_of`, with ``ast``) sees every import wherever it
stands: at the top, inside a function (lazy imports count like any other)
or under ``TYPE_CHECKING`` (the app ↔ input circle was one of those). From it:

- :data:`RULES`, one row per layer: which of our modules it must not import;
- no import circles in any package, nor across them;
- the size rules: ``App`` has at most 25 methods, no module of ``kiosk/`` or
  ``screens/`` is over 400 lines;
- screens ask the flows: no screen module spells a REST path;
- one of each: one hub client class, one ``HubUnavailable``, one printer
  settings model, one headless harness.

Each check has a test showing it can fail.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from kiosk.flows.api import API, ROUTES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("protocol", "kiosk", "screens", "drivers", "hub", "tools")
APP_MAX_METHODS = 25
MODULE_MAX_LINES = 400
SIZED = ("kiosk", "screens")


def top_level_names(root: Path = ROOT) -> frozenset[str]:
    """Our importable top-level names: each package (a folder with ``__init__.py``)
    and each module at the root (``main``)."""
    packages = {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in root.glob("*.py")}
    return frozenset(packages | modules)


OURS = top_level_names()


# --- the one import reader ------------------------------------------------------------------


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name, relative imports resolved
    where: str  # path:line
    from_part: bool = False  # the ``pkg`` of ``from pkg import name`` (each name comes too)

    def reaches(self, target: str) -> bool:
        """Whether this import loads ``target`` (a dotted name) or something inside it."""
        return self.imported == target or self.imported.startswith(target + ".")


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _dotted(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def imports_of(path: Path, root: Path = ROOT) -> Iterator[Import]:
    """Every import statement in ``path``, as the module names it loads."""
    name = module_name(path, root)
    is_package = path.name == "__init__.py"
    where = str(path.relative_to(root))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, f"{where}:{node.lineno}")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                # ``from . import x`` in a package means the package itself; in a
                # module, the package holding it.
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                module = _dotted(*base, module)
            if module:
                yield Import(name, module, f"{where}:{node.lineno}", from_part=True)
            for alias in node.names:  # ``from pkg import submodule`` loads pkg.submodule
                yield Import(name, _dotted(module, alias.name), f"{where}:{node.lineno}")


@cache
def python_files(layer: str, root: Path = ROOT) -> tuple[Path, ...]:
    base = root / layer
    files = sorted(base.rglob("*.py")) if base.is_dir() else [root / f"{layer}.py"]
    files = [f for f in files if f.is_file()]
    return tuple(f for f in files if "__pycache__" not in f.parts)


def import_graph(layers: Iterable[str] = OURS, root: Path = ROOT) -> dict[str, set[str]]:
    """module → the modules of ``layers`` it imports. ``import a.b.c`` loads the
    longest prefix that is a module, so ``from pkg import function`` is an edge to
    ``pkg`` and ``from pkg import module`` one to ``pkg.module`` only, as grimp
    counts them: the package's ``__init__`` runs first, but a package that names
    its modules (``screens.REGISTRY``) would otherwise be in a circle with each."""
    layers = tuple(layers)
    modules = {module_name(f, root) for layer in layers for f in python_files(layer, root)}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for layer in layers:
        for path in python_files(layer, root):
            for imp in imports_of(path, root):
                if imp.from_part:
                    continue  # its names carry the edges
                target = imp.imported
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != imp.importer:
                    graph[imp.importer].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph.get(node, ())):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
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

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


# --- the rule table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """Modules of ``layer`` must not import any of ``forbidden`` (dotted names: a
    package, or one module of a package)."""

    layer: str
    forbidden: frozenset[str]
    why: str


RULES: tuple[Rule, ...] = (
    Rule(
        "protocol",
        OURS - {"protocol"},
        "the shared vocabulary is a leaf: every layer may import it, so it imports none",
    ),
    Rule(
        "hub",
        frozenset({"kiosk", "drivers", "screens"}),
        "the hub is deployed apart from the terminal and never imports it",
    ),
    Rule(
        "drivers",
        frozenset({"kiosk", "screens", "hub"}),
        "drivers know nothing of the app, its screens or the hub",
    ),
    Rule(
        "kiosk",
        frozenset({"screens", "tools"}),
        "the entry point hands the screens in; the tools beside the product are not shipped",
    ),
    Rule(
        "screens",
        frozenset({"hub", "tools", "requests", "kiosk.hub_client.client"}),
        "screens ask the flows; the flows ask the hub client (DESIGN §2)",
    ),
)


def violations(rule: Rule, root: Path = ROOT) -> list[Import]:
    return [
        imp
        for path in python_files(rule.layer, root)
        for imp in imports_of(path, root)
        if any(imp.reaches(target) for target in rule.forbidden)
    ]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.layer)
def test_each_layer_imports_only_what_it_may(rule: Rule) -> None:
    assert python_files(rule.layer), f"no modules found for {rule.layer}/"
    found = violations(rule)
    # One line per import statement (``from a import b`` also yields ``a.b``).
    first: dict[str, str] = {}
    for imp in found:
        first.setdefault(imp.where, imp.imported)
    listed = "\n".join(f"  {where}: imports {module}" for where, module in first.items())
    assert not found, (
        f"{rule.layer}/ must not import {sorted(rule.forbidden)} ({rule.why}):\n{listed}"
    )


def test_protocol_needs_only_the_standard_library_and_pydantic() -> None:
    allowed = set(sys.stdlib_module_names) | {"pydantic", "protocol", "__future__"}
    outside = [
        f"{imp.where}: {imp.imported}"
        for path in python_files("protocol")
        for imp in imports_of(path)
        if imp.imported.split(".")[0] not in allowed
    ]
    assert not outside, outside


@pytest.mark.parametrize("package", [*PACKAGES, "across packages"])
def test_no_import_circles(package: str) -> None:
    """A circle makes import order matter, hides which module owns a type, and
    breaks as soon as a ``TYPE_CHECKING`` import becomes a real one."""
    graph = import_graph(PACKAGES if package == "across packages" else (package,))
    assert cycles(graph) == []


# --- sizes ----------------------------------------------------------------------------------


def methods_of(path: Path, class_name: str) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return [
                n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
    raise LookupError(f"no class {class_name} in {path}")


def test_the_app_stays_thin() -> None:
    methods = methods_of(ROOT / "kiosk" / "app.py", "App")
    assert len(methods) <= APP_MAX_METHODS, methods


def long_modules(layers: Iterable[str] = SIZED, root: Path = ROOT) -> list[str]:
    out = []
    for layer in layers:
        for path in python_files(layer, root):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MODULE_MAX_LINES:
                out.append(f"{path.relative_to(root)}: {lines} lines")
    return out


def test_no_module_of_kiosk_or_screens_is_over_400_lines() -> None:
    assert long_modules() == []


# --- screens ask the flows ------------------------------------------------------------------


def rest_paths_in(text: str) -> list[str]:
    """The service API's paths that ``text`` spells: ``/api/`` anywhere, or a route the
    flows call standing as a path (``hub/services/tickets.py`` names a file, not one)."""
    found = ["/api/"] if "/api/" in text else []
    text = text.replace(API, " ")  # a route right after the API's prefix is a path too
    for route in ROUTES:
        if re.search(rf"(?<![\w./-]){re.escape(route)}(?![\w-])", text):
            found.append(route)
    return found


def test_no_screen_module_spells_a_rest_path() -> None:
    spelled = {
        str(path.relative_to(ROOT)): paths
        for path in python_files("screens")
        if (paths := rest_paths_in(path.read_text(encoding="utf-8")))
    }
    assert spelled == {}


# --- one of each ----------------------------------------------------------------------------

ONE_OF_EACH = ("HubClient", "HubUnavailable", "PrinterSettings", "Harness")


def class_definitions(
    names: Iterable[str], layers: Iterable[str], root: Path = ROOT
) -> dict[str, list[str]]:
    """Where each class of ``names`` is defined (path:line) in ``layers``."""
    wanted = set(names)
    found: dict[str, list[str]] = {name: [] for name in wanted}
    for layer in layers:
        for path in python_files(layer, root):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name in wanted:
                    found[node.name].append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_one_hub_client_one_hub_unavailable_one_printer_settings_one_harness() -> None:
    defined = class_definitions(ONE_OF_EACH, OURS - {"tests"})
    assert {name: len(where) for name, where in defined.items()} == dict.fromkeys(ONE_OF_EACH, 1), (
        defined
    )
    assert defined["HubClient"][0].startswith("kiosk/hub_client/")
    assert defined["HubUnavailable"][0].startswith("kiosk/hub_client/")


# --- the checks can fail --------------------------------------------------------------------


def test_the_import_reader_sees_every_form_of_import(tmp_path: Path) -> None:
    """Each way of importing is seen and relative imports resolve."""
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "__init__.py").write_text("from . import sub\n", encoding="utf-8")
    (tmp_path / "hub" / "sub.py").write_text(
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import kiosk.app\n"
        "from drivers import health\n"
        "from .. import screens\n"
        "if TYPE_CHECKING:\n"
        "    from screens.base import Screen\n"
        "def later() -> None:\n"
        "    import kiosk.fleet_host\n",
        encoding="utf-8",
    )
    rule = Rule("hub", frozenset({"kiosk", "drivers", "screens"}), "test")
    found = {(imp.importer, imp.imported) for imp in violations(rule, tmp_path)}
    assert {
        ("hub.sub", "kiosk.app"),
        ("hub.sub", "drivers"),
        ("hub.sub", "drivers.health"),
        ("hub.sub", "screens.base"),
        ("hub.sub", "kiosk.fleet_host"),
    } <= found
    # ``from .. import screens`` in hub/sub.py reaches above the package: the root.
    assert ("hub.sub", "screens") in found
    graph = import_graph(("hub",), tmp_path)
    assert graph == {"hub": {"hub.sub"}, "hub.sub": set()}
    # A rule may name one module of a package: the package's other modules are allowed.
    narrow = Rule("hub", frozenset({"kiosk.fleet_host"}), "test")
    assert {imp.imported for imp in violations(narrow, tmp_path)} == {"kiosk.fleet_host"}


def test_a_circle_is_found_also_through_type_checking_and_lazy_imports(tmp_path: Path) -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    pkg = tmp_path / "kiosk"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "app.py").write_text("from kiosk.input import route\n", encoding="utf-8")
    (pkg / "input.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kiosk.app import App\n"
        "def later():\n    from . import helpers\n",
        encoding="utf-8",
    )
    (pkg / "helpers.py").write_text("def later():\n    import kiosk.app.App\n", encoding="utf-8")
    graph = import_graph(("kiosk",), tmp_path)
    assert graph["kiosk.input"] == {"kiosk.app", "kiosk.helpers"}
    assert graph["kiosk.helpers"] == {"kiosk.app"}  # ``kiosk.app.App`` loads kiosk.app
    assert cycles(graph) == [["kiosk.app", "kiosk.helpers", "kiosk.input"]]
    # The real graph has the real edges: the reader is not blind to our code.
    assert {"kiosk.core", "kiosk.input", "kiosk.ui"} <= import_graph(("kiosk",))["kiosk.app"]


def test_the_size_checks_can_fail(tmp_path: Path) -> None:
    (tmp_path / "kiosk").mkdir()
    fat = "class App:\n" + "".join(f"    def m{i}(self): ...\n" for i in range(26))
    (tmp_path / "kiosk" / "app.py").write_text(fat, encoding="utf-8")
    assert len(methods_of(tmp_path / "kiosk" / "app.py", "App")) == APP_MAX_METHODS + 1
    (tmp_path / "kiosk" / "long.py").write_text("x = 1\n" * 401, encoding="utf-8")
    assert long_modules(("kiosk",), tmp_path) == ["kiosk/long.py: 401 lines"]


def test_the_rest_path_check_can_fail() -> None:
    assert rest_paths_in('gateway.post("/tickets", body)') == ["/tickets"]
    assert rest_paths_in(f'client.request("GET", "{API}/guides/x")') == ["/api/", "/guides"]
    assert rest_paths_in("f'/query/pension'") == ["/query/pension"]
    # Names of files and screens are not paths of the API.
    assert rest_paths_in("see hub/services/tickets.py and screens/ticket.py") == []
    assert rest_paths_in("``/verify/<code>`` on the hub") == []


def test_the_one_of_each_check_can_fail(tmp_path: Path) -> None:
    (tmp_path / "kiosk").mkdir()
    (tmp_path / "kiosk" / "a.py").write_text("class HubUnavailable(Exception): ...\n")
    (tmp_path / "kiosk" / "b.py").write_text("def f():\n    class HubUnavailable(Exception): ...\n")
    defined = class_definitions(["HubUnavailable", "HubClient"], ("kiosk",), tmp_path)
    assert defined == {"HubUnavailable": ["kiosk/a.py:1", "kiosk/b.py:2"], "HubClient": []}
