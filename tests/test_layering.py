"""Layering (DESIGN §1; issue 12): which of our packages each layer may import.

Every module's imports are read with ``ast``, wherever they stand: at the top,
inside a function (lazy imports count like any other) or under
``TYPE_CHECKING``. A rule is one row of :data:`RULES`; :func:`import_graph`
gives the whole module graph for rules about more than one layer.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def top_level_names(root: Path = ROOT) -> frozenset[str]:
    """Our importable top-level names: each package (a folder with ``__init__.py``)
    and each module at the root (``main``)."""
    packages = {p.name for p in root.iterdir() if (p / "__init__.py").is_file()}
    modules = {p.stem for p in root.glob("*.py")}
    return frozenset(packages | modules)


OURS = top_level_names()


@dataclass(frozen=True)
class Rule:
    """Modules of ``layer`` must not import any of ``forbidden`` (top-level names)."""

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
)


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name, relative imports resolved
    where: str  # path:line

    @property
    def top(self) -> str:
        return self.imported.split(".")[0]


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
                yield Import(name, module, f"{where}:{node.lineno}")
            for alias in node.names:  # ``from pkg import submodule`` loads pkg.submodule
                yield Import(name, _dotted(module, alias.name), f"{where}:{node.lineno}")


@cache
def python_files(layer: str, root: Path = ROOT) -> tuple[Path, ...]:
    base = root / layer
    files = sorted(base.rglob("*.py")) if base.is_dir() else [root / f"{layer}.py"]
    files = [f for f in files if f.is_file()]
    return tuple(f for f in files if "__pycache__" not in f.parts)


def import_graph(layers: frozenset[str] = OURS, root: Path = ROOT) -> dict[str, set[str]]:
    """module → the modules of ours it imports (``pkg.name`` kept only where it is
    a module of ours: ``from pkg import function`` names ``pkg``)."""
    modules = {module_name(f, root) for layer in layers for f in python_files(layer, root)}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for layer in layers:
        for path in python_files(layer, root):
            for imp in imports_of(path, root):
                if imp.imported in modules and imp.imported != imp.importer:
                    graph[imp.importer].add(imp.imported)
    return graph


def violations(rule: Rule, root: Path = ROOT) -> list[Import]:
    return [
        imp
        for path in python_files(rule.layer, root)
        for imp in imports_of(path, root)
        if imp.top in rule.forbidden
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
        if imp.top not in allowed
    ]
    assert not outside, outside


def test_the_import_reader_sees_every_form_of_import(tmp_path: Path) -> None:
    """The rules can fail: each way of importing is seen and relative imports resolve."""
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
    graph = import_graph(frozenset({"hub"}), tmp_path)
    assert graph == {"hub": {"hub.sub"}, "hub.sub": set()}
