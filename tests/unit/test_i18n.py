"""The English catalogue covers the code, keeps placeholders, and loads through ``Translator``.

The extraction script (``scripts/i18n.py``) is run in-process in ``--check`` mode, so a msgid
added to the code without an English translation fails here with its file and line.
"""

from __future__ import annotations

import importlib.util
import string
import subprocess
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from kiosk.i18n import LANGUAGES, LOCALE_DIR, Translator
from tests.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "huimin.po"
ZH_PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "huimin.po"
# The language switch names the *other* language in its own script, so in English mode it
# reads 中文: the one English entry that is Chinese on purpose.
CHINESE_ON_PURPOSE = {"中文"}


@pytest.fixture(scope="module")
def script() -> ModuleType:
    """scripts/i18n.py loaded as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(po: Path) -> Catalog:
    with po.open("rb") as src:
        return read_po(src, locale=po.parent.parent.name)


def fields(text: str) -> set[str]:
    """The ``{name}`` fields of a str.format template (ValueError on stray braces)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def translated(catalog: Catalog) -> list[tuple[str, str]]:
    return [(str(m.id), str(m.string)) for m in catalog if m.id and m.string]


# --- coverage of the code --------------------------------------------------------------------


def test_every_msgid_in_the_code_has_an_english_translation(
    script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    code = script.main(["--check"])
    out = capsys.readouterr().out
    assert code == 0, f"run `PYTHONPATH=. .venv/bin/python scripts/i18n.py` and translate:\n{out}"
    # The check really looked at the code: the footer's buttons are among its msgids.
    assert {"返回", "首页", "呼叫工作人员"} <= set(script.find_msgids())


def test_check_fails_and_names_an_untranslated_msgid(
    script: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    po = tmp_path / "huimin.po"
    entries = script.read_po(EN_PO)
    assert entries["返回"]
    entries["返回"] = ""
    script.write_po(po, entries, script.find_msgids())
    monkeypatch.setattr(script, "PO", po)
    assert script.main(["--check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("untranslated: ") and out.rstrip().endswith(": 返回")
    assert out.count("\n") == 1


def test_extraction_joins_adjacent_literals_and_reports_built_messages(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "sample.py").write_text(
        "from kiosk.i18n import N_\n"
        "A = N_(\n"
        '    "第一段，"\n'
        '    "第二段"\n'
        ")\n"
        "def f(tr, n):\n"
        '    tr.format("共{n}步", n=n)\n'
        '    tr(f"第{n}步")\n'
        '    tr("第" + str(n))\n'
        '    tr("第{n}步".format(n=n))\n'
        "    tr(n)\n"
        '    N_("not Chinese")\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(script, "ROOT", tmp_path)
    monkeypatch.setattr(script, "SOURCES", ("pkg",))
    found, built = script.scan()
    assert found == {"第一段，第二段": "pkg/sample.py:2", "共{n}步": "pkg/sample.py:7"}
    assert built == ["pkg/sample.py:8", "pkg/sample.py:9", "pkg/sample.py:10"]


# --- the catalogue itself --------------------------------------------------------------------


def test_every_translation_keeps_exactly_the_placeholders_of_its_msgid() -> None:
    pairs = translated(load(EN_PO))
    assert len(pairs) > 400  # the whole catalogue, not an empty file
    wrong = [(m, s) for m, s in pairs if fields(m) != fields(s)]
    assert wrong == []


def chinese_typography(text: str) -> bool:
    """Chinese script or punctuation, or the quotes and ellipsis CJK fonts draw full width."""
    return any(
        "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" or ch in "\u201c\u201d\u2026"
        for ch in text
    )


def test_english_translations_are_english() -> None:
    assert chinese_typography("请按“确认”……") and not chinese_typography('Press "OK"...')
    found = [
        (m, s)
        for m, s in translated(load(EN_PO))
        if s not in CHINESE_ON_PURPOSE and chinese_typography(s)
    ]
    assert found == []


@pytest.mark.parametrize("po", [EN_PO, ZH_PO], ids=["en", "zh_CN"])
def test_msgfmt_check_passes(po: Path, tmp_path: Path) -> None:
    msgfmt = require_tool("msgfmt")
    result = subprocess.run(
        [msgfmt, "--check", "-o", str(tmp_path / "out.mo"), str(po)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.mo").stat().st_size > 0


# --- loading through Translator --------------------------------------------------------------


def test_compiled_english_catalogue_gives_every_translation() -> None:
    en = Translator("en")
    pairs = translated(load(EN_PO))
    assert [(m, en(m)) for m, _ in pairs] == pairs
    assert en("返回") == dict(pairs)["返回"] != "返回"


def test_chinese_is_the_source_text() -> None:
    zh = Translator("zh_CN")
    assert zh("返回") == "返回"
    assert zh.format("第{n}步，共{total}步", n=2, total=3) == "第2步，共3步"


def test_format_fills_placeholders_after_translating() -> None:
    en = Translator("en")
    template = dict(translated(load(EN_PO)))["第{n}步，共{total}步"]
    assert en.format("第{n}步，共{total}步", n=2, total=3) == template.format(n=2, total=3)
    assert "2" in en.format("第{n}步，共{total}步", n=2, total=3)


def test_switching_language_on_one_translator() -> None:
    tr = Translator()
    assert tr("首页") == "首页"
    tr.set_language("en")
    english = tr("首页")
    assert english != "首页" and english.isascii()
    tr.set_language("zh_CN")
    assert tr("首页") == "首页"


@pytest.mark.parametrize("language", ["fr", "zh", "EN", ""])
def test_unsupported_language_raises(language: str) -> None:
    assert language not in LANGUAGES
    with pytest.raises(ValueError, match="unsupported language"):
        Translator(language)
    tr = Translator("en")
    with pytest.raises(ValueError):
        tr.set_language(language)
    assert tr.language == "en"  # a refused switch leaves the translator as it was


# --- English on the screen ---------------------------------------------------------------------


def broken_words(text: str, lines: list[str]) -> list[str]:
    """Lines of ``text`` that start in the middle of a Latin word (a word wider than its line)."""
    broken: list[str] = []
    pos = 0
    for line in lines:
        if not line:
            continue
        at = text.find(line, pos)
        before = text[at - 1] if at > 0 else " "
        if before.isascii() and before.isalnum() and line[0].isascii() and line[0].isalnum():
            broken.append(line)
        pos = max(pos, at + len(line)) if at >= 0 else pos
    return broken


def test_broken_words_finds_a_word_split_by_characters() -> None:
    assert broken_words("Unhelpful staff", ["Unhelpf", "ul staff"]) == ["ul staff"]
    assert broken_words("Poor service", ["Poor", "service"]) == []
    assert broken_words("城乡居民（Guide only）", ["城乡居民（Guide", "only）"]) == []


@pytest.mark.parametrize("elder", [False, True], ids=["standard", "senior"])
def test_english_button_labels_keep_their_words_whole(
    elder: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every screen in English at the demo window's 1280x800: no button label has a word cut
    in two (the sign that its English is too long for the button; choose shorter wording)."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    import pygame

    from screens import REGISTRY
    from tools.headless import Harness, canary_identity

    h = Harness(window=(1280, 800))
    app = h.app
    h.press(pygame.K_RETURN)
    h.place_card(canary_identity())
    app.modes.set(elder=elder, language="en")
    wrapped: list[tuple[str, list[str]]] = []
    wrap = app.text.wrap

    def recording_wrap(text: str, size: int, max_width: int, bold: bool = False) -> list[str]:
        lines = wrap(text, size, max_width, bold)
        wrapped.append((text, lines))
        return lines

    monkeypatch.setattr(app.text, "wrap", recording_wrap)
    cut: list[str] = []
    drawn = 0
    for name, cls in sorted(REGISTRY.items()):
        if name == "attract":
            continue
        app.nav.stack.append(cls(app.ctx, **cls.preview))
        app.screen.on_enter()
        h.settle()
        wrapped.clear()
        app.draw()
        labels = {b.label for b in [*app.screen.buttons, *app.screen.chrome]}
        drawn += len(labels)
        cut.extend(
            f"{name}: {text!r} -> {lines}"
            for text, lines in wrapped
            if text in labels and broken_words(text, lines)
        )
        app.nav.stack.pop()
    assert drawn > 50  # the screens really drew their buttons
    assert cut == []
