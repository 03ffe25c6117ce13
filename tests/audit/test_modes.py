"""长辈 mode, voice guidance, headphones and high contrast: where they are switched,
how long they last, and that colour is never the only signal."""

from __future__ import annotations

import pygame

from kiosk.session import SessionState
from tools.headless import Harness


def test_elder_switch_on_attract_starts_a_session_in_elder_mode_with_voice(h: Harness) -> None:
    assert h.app.session.state is SessionState.ATTRACT
    h.tap_button("elder")
    modes = h.app.session.modes
    assert h.app.session.serving and h.app.screen.name == "home"
    assert modes.elder and modes.voice  # speech.voice_in_elder_mode is on in the demo config
    assert h.app.modes.theme.elder
    assert "长辈模式已打开" in h.speech.said
    h.key(pygame.K_1)  # 查询: the mode lasts across screens
    assert h.app.screen.name == "query_menu" and h.app.session.modes.elder
    h.app.lifecycle.end(completed=False)
    assert not h.app.session.modes.elder and not h.app.session.modes.voice
    assert not h.app.modes.theme.elder


def test_elder_switch_on_home_and_f2(h: Harness) -> None:
    h.tap((10, 10))  # a touch anywhere starts a session
    assert h.app.screen.name == "home" and not h.app.session.modes.elder
    h.tap_button("elder")
    assert h.app.session.modes.elder
    assert h.button("elder").label == "长辈模式：开"  # the switch says its state in words
    h.key(pygame.K_F2)
    assert not h.app.session.modes.elder
    h.key(pygame.K_F2)
    assert h.app.session.modes.elder


def test_f2_on_attract_starts_a_session(h: Harness) -> None:
    h.key(pygame.K_F2)
    assert h.app.session.serving and h.app.session.modes.elder


def test_voice_not_switched_on_with_elder_mode_when_configured_off(h: Harness) -> None:
    speech = h.config.speech.model_copy(update={"voice_in_elder_mode": False})
    h.config = h.config.model_copy(update={"speech": speech})
    h.new_app()
    h.key(pygame.K_F2)
    assert h.app.session.modes.elder and not h.app.session.modes.voice


def test_f3_toggles_voice_guidance(h: Harness) -> None:
    h.key(pygame.K_F3)
    assert h.app.session.modes.voice
    assert "语音播报已打开" in h.speech.said
    assert "请选择您要办理的业务" in h.speech.said  # the screen is read out at once
    h.key(pygame.K_F3)
    assert not h.app.session.modes.voice
    assert h.speech.said[-1] == "语音播报已关闭"


def test_headphones_hook_turns_voice_on_for_this_session_only(h: Harness) -> None:
    h.app.modes.set_headphones(True)
    modes = h.app.session.modes
    assert h.app.session.serving and modes.voice and modes.headphones
    assert "已连接耳机，语音播报已打开" in h.speech.said
    h.app.modes.set_headphones(False)
    assert not h.app.session.modes.headphones and h.app.session.modes.voice
    h.app.modes.set_headphones(True)
    h.app.lifecycle.end(completed=False)
    assert not h.app.session.modes.headphones and not h.app.session.modes.voice


def test_high_contrast_by_f4_and_from_help(h: Harness) -> None:
    h.key(pygame.K_F4)
    assert h.app.modes.theme.name == "high_contrast"
    h.key(pygame.K_6)  # 帮助
    assert h.app.screen.name == "help"
    h.tap_button("contrast")
    assert h.app.modes.theme.name == "standard"
    h.tap_button("contrast")
    assert h.app.modes.theme.name == "high_contrast"
    h.app.lifecycle.end(completed=False)
    assert h.app.modes.theme.name == "standard"


def test_colour_is_never_the_only_signal(h: Harness) -> None:
    h.devices.unavailable["printer"] = "打印机缺纸，暂时无法打印"
    h.key(pygame.K_RETURN)
    h.key(pygame.K_1)
    h.key(pygame.K_1)
    h.place_card()
    assert h.app.screen.name == "query_result"
    printing = h.button("print")
    assert not printing.enabled
    assert printing.note == "打印机缺纸，暂时无法打印"  # the reason is written on the button
    h.app.screen.show_notice("测试错误", "error")
    h.app.display.dirty = True
    h.app.step()
    drawn = h.text.cached_texts()
    assert "⚠" in drawn and any(t.startswith("错误：") for t in drawn)
    assert h.speech.said[-1] == "测试错误"  # and spoken
