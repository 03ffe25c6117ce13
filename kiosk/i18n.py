"""Translations through gettext catalogues.

The source language is simplified Chinese: every msgid in the code is the
Chinese text, ``locale/en/LC_MESSAGES/huimin.po`` translates it to English.
Catalogues are kept as ``.po`` in git and compiled to ``.mo`` on first use
(the compiled file is cached beside the ``.po`` and ignored by git).

The ``N_`` marker itself lives in the shared vocabulary (``protocol.i18n``),
so drivers and the hub mark strings without importing the terminal; it is
re-exported here for the kiosk and the screens.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from protocol.i18n import N_

__all__ = ["DEFAULT_LANGUAGE", "DOMAIN", "LANGUAGES", "LOCALE_DIR", "N_", "Translator"]

DOMAIN = "huimin"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT_LANGUAGE = "zh_CN"
LANGUAGES = ("zh_CN", "en")


def _compile_if_needed(language: str) -> None:
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not po.exists():
        return
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return
    # Imported lazily: babel is only needed when a catalogue changed.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as src:
        catalog = read_po(src, locale=language)
    tmp = mo.with_suffix(".mo.tmp")
    with tmp.open("wb") as dst:
        write_mo(dst, catalog)
    tmp.replace(mo)


class Translator:
    """Translates msgids for one language; cheap to switch between languages."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self._cache: dict[str, gettext.NullTranslations] = {}
        self.language = DEFAULT_LANGUAGE
        self.set_language(language)

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; choose one of {LANGUAGES}")
        self.language = language
        if language not in self._cache:
            _compile_if_needed(language)
            self._cache[language] = gettext.translation(
                DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True
            )

    def gettext(self, message: str) -> str:
        return self._cache[self.language].gettext(message)

    __call__ = gettext

    def format(self, message: str, **values: object) -> str:
        """Translate, then fill ``{name}`` placeholders."""
        return self.gettext(message).format(**values)
