"""The terminal's layers, checked from the source: ``kiosk/`` never imports
``screens/`` (the entry point hands the screens in) nor the tools beside the
product, and no module of ``kiosk/``, ``screens/`` or ``tools/`` imports
itself round a circle — counting every import, also those inside functions
and under ``TYPE_CHECKING`` (the app ↔ input circle was one of those)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("kiosk", "screens", "tools")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    return {
        module_name(path): path for package in packages for path in (ROOT / package).rglob("*.py")
    }


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ``known`` that ``name`` (at ``path``) imports, anywhere in its body.

    ``from a.b import c`` imports ``a.b.c`` when that is a module, else ``a.b``;
    relative imports are resolved against the module's package.
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            # ``import a.b.c`` names a module; the longest known prefix is what it loads.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
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


def test_kiosk_imports_no_screens_and_no_tools() -> None:
    graph = import_graph()
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in graph.items()
        if name.split(".")[0] == "kiosk"
        for target in targets
        if target.split(".")[0] in ("screens", "tools")
    )
    assert wrong == []


def test_no_import_circles() -> None:
    assert cycles(import_graph()) == []


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The graph sees a circle, and an import under TYPE_CHECKING, when there is one."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    known = modules()
    app = imports_of("kiosk.app", known["kiosk.app"], known)
    assert {"kiosk.core", "kiosk.input", "kiosk.ui"} <= app  # the real edges are found
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from kiosk.app import App\n"
        "def later():\n    from . import input\n",
        encoding="utf-8",
    )
    assert imports_of("kiosk.probe", probe, known) == {"kiosk.app", "kiosk.input"}
