"""Keeps the gettext catalogues in step with the code.

``python scripts/i18n.py`` finds every msgid in the code (``N_("…")``,
``tr("…")``, ``tr.format("…")``) and adds missing ones to
``locale/en/LC_MESSAGES/huimin.po`` with an empty translation, keeping
existing translations. ``--check`` changes nothing and exits 1 listing
msgids without an English translation (the test suite runs it).
The source language is Chinese, so ``zh_CN`` needs no translations.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("kiosk", "screens", "drivers", "main.py", "hub/services")
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "huimin.po"
CALL = re.compile(
    r"""\b(?:N_|tr|tr\.format|gettext)\(\s*(?P<q>["'])(?P<text>(?:\\.|(?!(?P=q)).)+)(?P=q)\s*[,)]"""
)

HEADER = """# Huimin kiosk: English translations of the Chinese source strings.
msgid ""
msgstr ""
"Project-Id-Version: huimin\\n"
"Language: en\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"""


def has_cjk(text: str) -> bool:
    return any(
        "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
        for ch in text
    )


def find_msgids() -> dict[str, str]:
    """msgid → first place it is used (only strings with Chinese in them)."""
    found: dict[str, str] = {}
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            text = file.read_text(encoding="utf-8")
            for match in CALL.finditer(text):
                msgid = (
                    match.group("text")
                    .encode()
                    .decode("unicode_escape")
                    .encode("latin-1")
                    .decode("utf-8")
                )
                if has_cjk(msgid):
                    line = text.count("\n", 0, match.start()) + 1
                    found.setdefault(msgid, f"{file.relative_to(ROOT)}:{line}")
    return found


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report untranslated msgids")
    args = parser.parse_args()
    where = find_msgids()
    entries = read_po(PO)
    missing = [m for m in where if not entries.get(m)]
    if args.check:
        for msgid in missing:
            print(f"untranslated: {where[msgid]}: {msgid}")
        return 1 if missing else 0
    for msgid in where:
        entries.setdefault(msgid, "")
    write_po(PO, entries, where)
    print(f"{len(where)} msgids, {len(missing)} without an English translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
