"""No import circles (issue 12): a module never imports, directly or through
others, something that imports it back. Circles make import order matter,
hide which module owns a type, and break as soon as a ``TYPE_CHECKING``
import becomes a real one.

grimp builds the graph (every import, including ``TYPE_CHECKING`` blocks and
imports inside functions); :mod:`graphlib` finds a circle and names it.
``kiosk`` and ``screens`` join the list once their restructuring has
removed the circles they still have.
"""

from __future__ import annotations

import graphlib

import grimp
import pytest

PACKAGES = ("hub", "drivers")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_circles(graph: grimp.ImportGraph, package: str) -> None:
    modules = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    sorter = graphlib.TopologicalSorter(
        {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        circle = " → ".join(exc.args[1])
        pytest.fail(f"import circle: {circle}")
