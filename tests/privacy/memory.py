"""Find a person's data in what a live object can reach (gc referents)."""

from __future__ import annotations

import gc
import types
from collections.abc import Iterable
from typing import Any

_SKIP_TYPES = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
)


def reachable(root: object, *, outside: Iterable[object] = (), limit: int = 2_000_000) -> list[Any]:
    """Every object reachable from ``root`` through ``gc.get_referents``.

    Objects in ``outside`` (and what only they reach) are not walked: the
    simulated devices stand for the world outside the kiosk (the card on the
    reader, the paper in the printer). Modules, classes and code are not
    walked either (they hold no session data, and reach everything).
    Raises ``AssertionError`` past ``limit`` objects (a bound, not a result).
    """
    stop = {id(o) for o in outside}
    seen: set[int] = {id(root)}
    found: list[Any] = [root]
    todo: list[Any] = [root]
    while todo:
        obj = todo.pop()
        for ref in gc.get_referents(obj):
            if id(ref) in seen or id(ref) in stop or isinstance(ref, _SKIP_TYPES):
                continue
            seen.add(id(ref))
            found.append(ref)
            todo.append(ref)
            assert len(found) < limit, f"more than {limit} objects reachable"
    return found


def holders(objects: Iterable[Any], texts: Iterable[str], blobs: Iterable[bytes]) -> list[str]:
    """Describe each str holding one of ``texts`` and each bytes-like holding one of ``blobs``."""
    texts, blobs = list(texts), list(blobs)
    hits: list[str] = []
    for obj in objects:
        if isinstance(obj, str):
            hits += [f"str {obj[:60]!r}… holds {t[:2]}…" for t in texts if t in obj]
        elif isinstance(obj, bytes | bytearray | memoryview):
            data = bytes(obj)
            hits += [
                f"{type(obj).__name__}[{len(data)}] holds photo bytes" for b in blobs if b in data
            ]
            hits += [
                f"{type(obj).__name__}[{len(data)}] holds {t[:2]}…"
                for t in texts
                for enc in ("utf-8", "gb18030")
                if t.encode(enc) in data
            ]
    return hits
