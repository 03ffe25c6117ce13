"""A keypad entry screen for numbers: phone numbers, ID numbers, 受理编号.

Digits come from the physical 12-key pad or from the on-screen keys (the
same digits, so touch and keypad users see one layout); BackSpace deletes,
Return confirms, Esc goes back. The value is validated on confirm and the
reason for a refusal is shown and spoken. Digits of a *private* field
(another person's ID number, a phone number) are echoed as a tone unless
the person listens privately through headphones (accessibility.md §5:
"masked fields give tones, not spoken digits, unless private listening").

The flow that opens the screen passes an :class:`EntrySpec` and an
``on_value`` callback; the callback runs on the UI thread with the checked
value and decides where to go next (the entry screen never navigates on
its own except back).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pygame

from kiosk.i18n import N_
from kiosk.ui import Option, Screen, ScreenContext
from kiosk.ui.blocks import Block, Paragraph

# GB 11643-1999 check digit: weights 2^(17-i) mod 11, remainder → code.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
X_KEYS = {pygame.K_x, pygame.K_PERIOD, pygame.K_KP_PERIOD}


def id_number_error(value: str) -> str:
    """Empty if ``value`` is a valid 18-character ID number (GB 11643), else a msgid."""
    if len(value) != 18:
        return N_("身份证号码应为18位，请核对")
    body, check = value[:17], value[17].upper()
    if not body.isdigit():
        return N_("身份证号码前17位应为数字")
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    if _CHECK[total % 11] != check:
        return N_("身份证号码校验位不正确，请核对后重新输入")
    return ""


def phone_error(value: str) -> str:
    """Empty if ``value`` is an 11-digit mobile number starting with 1, else a msgid."""
    if len(value) != 11:
        return N_("手机号码应为11位，请核对")
    if not _MOBILE.match(value):
        return N_("手机号码应以1开头，第二位为3到9，请核对")
    return ""


def acceptance_no_error(value: str) -> str:
    """Empty if ``value`` looks like a 受理编号 (14 digits), else a msgid."""
    if len(value) != 14 or not value.isdigit():
        return N_("受理编号应为14位数字，请核对受理回执")
    return ""


@dataclass(frozen=True)
class EntrySpec:
    """What to ask for. ``title``/``prompt`` are msgids; ``validate`` returns a msgid or ""."""

    title: str
    prompt: str
    max_len: int
    validate: Callable[[str], str]
    private: bool = True  # digits give tones unless headphones are in
    allow_x: bool = False  # last character may be X (ID numbers)
    group: tuple[int, ...] = ()  # display grouping, e.g. (3, 4, 4) for phones
    step: tuple[int, int] | None = None


PHONE = EntrySpec(
    N_("请输入手机号码"),
    N_("用于接收办理进度短信，输入11位手机号码后按“确认”"),
    11,
    phone_error,
    group=(3, 4, 4),
)
ID_NUMBER = EntrySpec(
    N_("请输入身份证号码"),
    N_("输入18位身份证号码后按“确认”；末位是X请按小数点键或屏幕上的X"),
    18,
    id_number_error,
    allow_x=True,
    group=(6, 8, 4),
)
ACCEPTANCE_NO = EntrySpec(
    N_("请输入受理编号"),
    N_("受理编号印在受理回执上，共14位数字，输入后按“确认”"),
    14,
    acceptance_no_error,
    private=False,
    group=(8, 6),
)


def grouped(value: str, groups: tuple[int, ...]) -> str:
    """``"13800381234"`` with (3, 4, 4) → ``"138 0038 1234"`` (easier to check)."""
    if not groups:
        return value
    parts, i = [], 0
    for g in groups:
        if i >= len(value):
            break
        parts.append(value[i : i + g])
        i += g
    if i < len(value):
        parts.append(value[i:])
    return " ".join(parts)


class EntryScreen(Screen):
    name = "entry"
    personal = True
    preview: ClassVar[dict[str, Any]] = {"spec": PHONE, "on_value": lambda value: None}

    def __init__(self, ctx: ScreenContext, **params: Any) -> None:
        super().__init__(ctx, **params)
        self.spec: EntrySpec = params["spec"]
        self.on_value: Callable[[str], None] = params["on_value"]
        self.value = str(params.get("initial", ""))

    @property
    def step(self) -> tuple[int, int] | None:  # type: ignore[override]
        return self.spec.step

    def title_text(self) -> str:
        return self.ctx.tr(self.spec.title)

    def instruction_text(self) -> str:
        return self.ctx.tr(self.spec.prompt)

    def blocks(self) -> list[Block]:
        shown = grouped(self.value, self.spec.group) if self.value else "＿"
        count = self.ctx.tr.format(
            "已输入{n}位，共{total}位", n=len(self.value), total=self.spec.max_len
        )
        return [Paragraph(shown, bold=True, large=True), Paragraph(count, muted=True)]

    def numbered_options(self) -> list[tuple[str, Option]]:
        """The on-screen keypad: each digit button carries its own digit as key."""
        keys = [
            (d, Option(d, self._touch_digit(d), "secondary", name=f"digit_{d}"))
            for d in "1234567890"
        ]
        if self.spec.allow_x:
            keys.append((".", Option("X", self._touch_digit("X"), "secondary", name="digit_x")))
        # The keys' own names, as printed on the keypad (translated with the screen).
        tr = self.ctx.tr
        keys.append((tr("退格"), Option(N_("删除"), self._delete, "secondary", name="delete")))
        keys.append((tr("确认"), Option(N_("确认"), self._confirm, confirm=True, name="confirm")))
        return keys

    def options(self) -> list[Option]:
        return [opt for _, opt in self.numbered_options()]

    def speech(self) -> list[str]:
        """Title, instruction, any error (so a typing mistake is heard), then how
        to delete and confirm; the digits themselves need no reading out."""
        tr = self.ctx.tr
        parts = [self.title_text(), self.instruction_text()]
        if self.notice is not None:
            parts.append(self.notice.spoken())
        parts.append(tr("请用数字键输入，按返回键取消"))
        for key, opt in self.numbered_options()[-2:]:
            parts.append(tr.format("{label}，请按{key}", label=tr(opt.label), key=key))
        return [p for p in parts if p]

    # --- input ---------------------------------------------------------------------------

    def handle_key(self, key: int, now: float) -> bool:
        if self.spec.allow_x and key in X_KEYS:
            return self._type("X")
        return super().handle_key(key, now)

    def on_digit(self, digit: str) -> bool:
        self._type(digit)
        return True

    def on_backspace(self) -> bool:
        self._delete()
        return True

    def _touch_digit(self, digit: str) -> Callable[[], None]:
        def touch() -> None:
            self._type(digit)

        return touch

    def _choose(self, opt: Option) -> bool:
        # Keypad keys echo what they type themselves (digit or tone), not their label.
        if opt.name.startswith("digit_") or opt.name == "delete":
            opt.action()
            return True
        return super()._choose(opt)

    def _type(self, char: str) -> bool:
        if len(self.value) >= self.spec.max_len:
            self.ctx.voice.say(self.ctx.tr("已输入完整，请按确认键"))
            return True
        if char == "X" and len(self.value) != self.spec.max_len - 1:
            self.ctx.voice.say(self.ctx.tr("X只能作为身份证号码的最后一位"))
            return True
        self.value += char
        self.notice = None
        self._feedback(char)
        self.refresh()
        return True

    def _feedback(self, char: str) -> None:
        # The app decides: a tone for a private field unless headphones are in,
        # else the character is echoed in voice mode (accessibility.md §5).
        self.ctx.voice.key_feedback(char, self.spec.private)

    def _delete(self) -> None:
        if self.value:
            self.value = self.value[:-1]
            self.ctx.voice.echo(self.ctx.tr("删除"))
            self.notice = None
            self.refresh()

    def _confirm(self) -> None:
        error = self.spec.validate(self.value)
        if error:
            self.show_notice(self.ctx.tr(error), "error")
            return
        self.on_value(self.value)
