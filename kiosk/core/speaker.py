"""What the kiosk says: the voice-guidance side of every screen and switch.

With voice guidance on, a screen is read out when it appears (after its
layout, so the reading matches the page shown) and every choice is
echoed. Warnings and errors are spoken whether or not guidance is on.
Digits typed into masked fields give a tone instead, unless the person
listens privately on headphones (accessibility.md §5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kiosk.core.navigator import Navigator
from kiosk.i18n import N_, Translator
from kiosk.session import Session
from kiosk.ui.context import Spoken
from kiosk.voice import VOLUME_STEPS, VoiceGuide

# The chrome's echoes and the mode and volume messages: said the same way every time.
FIXED_MESSAGES = (
    N_("返回"),
    N_("首页"),
    N_("呼叫工作人员"),
    N_("长辈模式已打开"),
    N_("长辈模式已关闭"),
    N_("语音播报已打开"),
    N_("语音播报已关闭"),
    N_("已连接耳机，语音播报已打开"),
    N_("没有这个选项，请重新选择"),
    N_("语速已调整"),
)


class Speaker:
    """Implements :class:`kiosk.ui.context.Voice` for screens."""

    def __init__(
        self,
        guide: VoiceGuide,
        session: Session,
        tr: Translator,
        nav: Navigator,
        *,
        layout: Callable[[], None],
    ) -> None:
        self.guide = guide
        self.session = session
        self.tr = tr
        self.nav = nav
        self._layout = layout  # lays out the current screen (its pages decide what is read)

    def say(self, text: str) -> None:
        self.guide.alert(text)

    def echo(self, label: str) -> None:
        self.guide.echo(label, self.session.modes.voice)

    def echoed(self, msgid: str, action: Callable[[], None]) -> Callable[[], None]:
        """``action`` preceded by the echo of its label (a footer button)."""

        def act() -> None:
            self.echo(self.tr(msgid))
            action()

        return act

    def announce(self, screen: Spoken) -> None:
        if screen is self.nav.screen:
            self._layout()
            self.guide.announce(screen.speech(), self.session.modes.voice)

    def repeat(self) -> None:
        """Read the screen as it is now (a finished print changes its options), not the
        words said when it appeared; heard even with voice guidance off."""
        self._layout()
        self.guide.announce(self.nav.screen.speech(), voice_on=True)

    def key_feedback(self, digit: str, masked: bool) -> None:
        """A digit went into an entry field: a tone for a masked field unless the person
        listens privately (headphones), else the digit is spoken in voice mode
        (accessibility.md §5: PINs and masked fields give tones, EN 301 549 §5.1.3.8)."""
        if masked and not self.session.modes.headphones:
            self.guide.tone()
        else:
            self.echo(digit)

    def stop(self) -> None:
        """Any action interrupts speech."""
        self.guide.stop()

    def reset(self) -> None:
        """A visit ended: volume, speed and voice back to defaults, what was said forgotten."""
        self.guide.reset()

    def spoken_prompts(self, screens: Iterable[str]) -> list[str]:
        """What voice guidance says the same way every time: the echoes of the chrome, the
        mode and volume messages, and ``screens`` (the first journey) with their options."""
        tr = self.tr
        prompts = [tr(m) for m in FIXED_MESSAGES]
        prompts += [tr.format("音量{step}", step=n + 1) for n in range(VOLUME_STEPS)]
        for name in screens:
            prompts += self.nav.make(name).speech()
        return list(dict.fromkeys(prompts))
