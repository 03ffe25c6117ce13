"""Keeps the gettext catalogues in step with the code.

``python scripts/i18n.py`` finds every msgid in the code (``N_("…")``,
``tr("…")``, ``tr.format("…")``) and adds missing ones to
``locale/en/LC_MESSAGES/huimin.po`` with an empty translation, keeping
existing translations. ``--check`` changes nothing and exits 1 listing
msgids without an English translation, and markers whose argument is built
(f-string, ``+``, ``%``, ``.format``) and so can never be translated (the
test suite runs it).
The source language is Chinese, so ``zh_CN`` needs no translations.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every package of the application (a folder with ``__init__.py``) and main.py, so a
# msgid is found wherever it is marked (protocol/ holds shared ones). The first ones
# keep the catalogue's order; any other package follows.
NOT_SHIPPED = frozenset({"tests", "bench"})
_FIRST = ("kiosk", "screens", "drivers", "main.py", "hub")
SOURCES = (
    *_FIRST,
    *sorted(
        p.name
        for p in ROOT.iterdir()
        if (p / "__init__.py").is_file() and p.name not in NOT_SHIPPED and p.name not in _FIRST
    ),
)
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "huimin.po"
MARKERS = ("N_", "tr", "gettext")

HEADER = """# Huimin kiosk: English translations of the Chinese source strings.
msgid ""
msgstr ""
"Project-Id-Version: huimin\\n"
"PO-Revision-Date: 2026-11-22 00:00+0800\\n"
"Last-Translator: Huimin team\\n"
"Language-Team: English\\n"
"Language: en\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"""


def has_cjk(text: str) -> bool:
    return any(
        "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
        for ch in text
    )


def _is_marker(func: ast.expr) -> bool:
    """``N_(…)``, ``tr(…)``, ``gettext(…)``, ``x.tr(…)``, ``tr.format(…)``, ``x.tr.format(…)``."""
    if isinstance(func, ast.Name):
        return func.id in MARKERS
    if isinstance(func, ast.Attribute):
        if func.attr in ("tr", "gettext"):
            return True
        if func.attr == "format":
            inner = func.value
            return (isinstance(inner, ast.Name) and inner.id == "tr") or (
                isinstance(inner, ast.Attribute) and inner.attr == "tr"
            )
    return False


def _literal_cjk(node: ast.AST) -> bool:
    """True if any string literal inside ``node`` has Chinese text in it."""
    return any(
        isinstance(sub, ast.Constant) and isinstance(sub.value, str) and has_cjk(sub.value)
        for sub in ast.walk(node)
    )


def _built(arg: ast.expr) -> bool:
    """An argument assembled before translation: f-string, ``+``, ``%`` or ``"…".format()``."""
    if isinstance(arg, (ast.JoinedStr, ast.BinOp)):
        return True
    return (
        isinstance(arg, ast.Call)
        and isinstance(arg.func, ast.Attribute)
        and arg.func.attr == "format"
        and isinstance(arg.func.value, ast.Constant)
    )


def scan() -> tuple[dict[str, str], list[str]]:
    """(msgid → first place it is used, places that build a Chinese message before translating).

    Parsed with ``ast`` rather than matched as text, so adjacent literals that Python joins
    (``tr("第一段" "第二段")``, split over lines) are one msgid, as at run time. A marker whose
    argument is an f-string, ``+``, ``%`` or ``.format()`` with Chinese in it cannot be looked
    up in a catalogue: it is reported, never guessed at.
    """
    found: dict[str, str] = {}
    built: list[str] = []
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            name = str(file.relative_to(ROOT))
            tree = ast.parse(file.read_text(encoding="utf-8"), filename=name)
            calls = sorted(
                (
                    node
                    for node in ast.walk(tree)
                    if isinstance(node, ast.Call) and node.args and _is_marker(node.func)
                ),
                key=lambda node: (node.lineno, node.col_offset),
            )
            for call in calls:
                arg = call.args[0]
                where = f"{name}:{call.lineno}"
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    if has_cjk(arg.value):
                        found.setdefault(arg.value, where)
                elif _built(arg) and _literal_cjk(arg):
                    built.append(where)
    return found, built


def find_msgids() -> dict[str, str]:
    """msgid → first place it is used (only strings with Chinese in them)."""
    return scan()[0]


def _unquote(s: str) -> str:
    return s.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def _quote(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def read_po(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    if not path.exists():
        return entries
    msgid: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            msgid = _unquote(line[7:-1])
        elif line.startswith("msgstr ") and msgid is not None:
            if msgid:
                entries[msgid] = _unquote(line[8:-1])
            msgid = None
    return entries


def write_po(path: Path, entries: dict[str, str], where: dict[str, str]) -> None:
    out = [HEADER]
    for msgid in sorted(entries, key=lambda m: (where.get(m, "~"), m)):
        out.append("")
        if msgid in where:
            out.append(f"#: {where[msgid]}")
        else:
            out.append("#. no longer used in the code")
        out.append(f'msgid "{_quote(msgid)}"')
        out.append(f'msgstr "{_quote(entries[msgid])}"')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report untranslated msgids")
    args = parser.parse_args(argv)
    where, built = scan()
    entries = read_po(PO)
    missing = [m for m in where if not entries.get(m)]
    for place in built:
        print(f"not extractable (message built before translation): {place}")
    if args.check:
        for msgid in missing:
            print(f"untranslated: {where[msgid]}: {msgid}")
        return 1 if missing or built else 0
    for msgid in where:
        entries.setdefault(msgid, "")
    write_po(PO, entries, where)
    print(f"{len(where)} msgids, {len(missing)} without an English translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
