"""The scenario driver: reach every screen of every flow, the way a person would.

Starting from the attract screen, it touches the screen to start a session
and then, breadth first, tries every enabled option of every screen it
reaches (by tapping its button), places the sample ID card where a screen
waits for a card, scans a payment code where one waits for a code, and
types digits where a screen takes digits. A state is a screen with its
parameters and notice; each new state is reached again from a fresh kiosk
by replaying its path, so states never leak into each other. Screens added
to ``screens.REGISTRY`` later are found the same way, as long as some flow
leads to them; a registered screen no flow reaches is reported.

Besides the flows, three states come from the kiosk itself: the
out-of-service screen, the 呼叫工作人员 banner and the inactivity warning.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass

import pygame

from kiosk.session import SessionState
from kiosk.ui import Screen
from screens import REGISTRY
from tools.headless import Harness

log = logging.getLogger(__name__)

SAMPLE_DIGITS = "13800381234"  # a phone number: the longest entry a flow asks for
SAMPLE_PAYMENT_CODE = "134567890123456789"  # WeChat Pay-shaped demo code
PAGER = frozenset({"prev_page", "next_page"})
KEYPAD_KEYS = frozenset("0123456789.")  # a keypad's own keys: the "digits" action types
WAIT_AFTER_ACTION_S = 2  # well under any timeout and the thank-you screen's 8 s
MAX_VARIANTS = 3  # states explored per screen and parameters (notices, ticks, digits)
MAX_PER_SCREEN = 5  # states rendered per screen name (e.g. one per query kind)


@dataclass(frozen=True)
class Action:
    """One thing a person does. ``kind``: start, option, card, scan, digits, key, idle,
    maintenance (or preview: open a screen directly); ``arg``: the option's name, the
    digits, the key code or the screen."""

    kind: str
    arg: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


Path = tuple[Action, ...]


@dataclass(frozen=True)
class State:
    label: str  # unique, used in the table and file names
    screen: str
    path: Path


def perform(h: Harness, action: Action) -> None:
    """Do ``action`` on the harness's app and let it settle."""
    app = h.app
    if action.kind == "start":
        h.tap((h.surface.get_width() // 2, h.surface.get_height() // 2))
    elif action.kind == "option":
        h.tap_button(action.arg)
    elif action.kind == "card":
        h.place_card()
    elif action.kind == "scan":
        app.events.on_payment_code(SAMPLE_PAYMENT_CODE)
        h.settle()
    elif action.kind == "digits":
        for d in action.arg:
            h.key(getattr(pygame, f"K_{d}"), d)
    elif action.kind == "key":
        h.key(int(action.arg))
    elif action.kind == "idle":
        idle, _ = app.lifecycle.inactivity.limits(app.session.modes)
        h.advance(idle + 1)
        h.settle()
    elif action.kind == "preview":
        # A registered screen no explored flow reached: shown the way the screen
        # itself says it can be previewed (its ``preview`` parameters).
        cls = REGISTRY[action.arg]
        app.nav.go(action.arg, **dict(getattr(cls, "preview", {})))
        h.settle()
    elif action.kind == "maintenance":
        app.service.set_maintenance("设备维护中")
        h.settle()
    else:
        raise ValueError(f"unknown action {action}")
    for _ in range(WAIT_AFTER_ACTION_S):
        # Screens that poll (a payment waiting for the phone) move on with time.
        h.advance(1.0)
        h.settle()


def replay(h: Harness, path: Path) -> None:
    """A fresh kiosk, then every action of ``path``."""
    h.new_app()
    h.settle()
    for action in path:
        perform(h, action)


def _overrides(screen: Screen, method: str) -> bool:
    return getattr(type(screen), method) is not getattr(Screen, method)


def signature(h: Harness) -> tuple[str, ...]:
    app = h.app
    app.display.request_redraw()
    app.step()  # draw, so overlay_runs tells whether a banner is up
    screen = app.screen
    params = ",".join(f"{k}={v!r}"[:60] for k, v in sorted(screen.params.items()))
    # The screens below this one tell flows apart (identify before a query or an application).
    params += "|" + "/".join(s.name for s in app.nav.stack[:-1])
    notice = screen.notice.level if screen.notice is not None else ""
    overlay = (
        "warning"
        if app.session.state is SessionState.WARNING
        else "banner"
        if app.display.overlay_runs
        else ""
    )
    # What the screen shows (e.g. digits typed so far) tells states of one screen apart.
    shown = "|".join(block.spoken() for block in screen.blocks())
    return (screen.name, params, notice, overlay, str(hash(shown)))


def _label(sig: tuple[str, ...], taken: set[str]) -> str:
    name, _params, notice, overlay, _shown = sig
    base = name + (f"+{overlay}" if overlay else "") + (f"+{notice}" if notice else "")
    label, n = base, 2
    while label in taken:
        label, n = f"{base}-{n}", n + 1
    return label


def children(h: Harness) -> list[Action]:
    """What a person can do next on the current screen."""
    app = h.app
    if app.session.state is not SessionState.ACTIVE:
        return []
    screen = app.screen
    app.display.request_redraw()
    app.step()  # lay out so the buttons exist
    keypad = _overrides(screen, "on_digit")
    actions = [
        Action("option", b.name)
        for b in screen.buttons
        if b.enabled and b.name not in PAGER and not (keypad and b.key_label in KEYPAD_KEYS)
    ]
    if _overrides(screen, "on_identity"):
        actions.append(Action("card"))
    if _overrides(screen, "on_payment_code"):
        actions.append(Action("scan"))
    if _overrides(screen, "on_digit"):
        actions.append(Action("digits", SAMPLE_DIGITS))
    if screen.name == "home":
        actions += [Action("key", str(pygame.K_F1)), Action("idle")]
    return actions


def explore(
    h: Harness,
    visit: Callable[[State], None],
    *,
    max_states: int = 150,
    max_depth: int = 16,
    problems: list[str] | None = None,
) -> list[State]:
    """Visit reachable states (``visit`` is called with the app in each new state).

    Paths leading out of a screen seen for the first time are tried first, so
    every screen is reached before variants of known ones (another catalogue
    item, another rating reason) use up the ``max_states`` budget. At most
    :data:`MAX_PER_SCREEN` states of one screen are visited; all are explored.
    A registered screen still not reached is then shown directly with its
    ``preview`` parameters (after a card was read); one that cannot be shown
    is added to ``problems``.
    """
    problems = problems if problems is not None else []
    seen: set[tuple[str, ...]] = set()
    visited: list[State] = []
    per_screen: dict[str, int] = {}
    tries: dict[tuple[str, str], int] = {}
    variants: dict[tuple[str, ...], int] = {}
    counter = itertools.count()
    queue: list[tuple[int, int, Path]] = [
        (0, next(counter), p) for p in ((), (Action("maintenance"),), (Action("start"),))
    ]
    expanded = 0
    while queue and expanded < max_states:
        _, _, path = heapq.heappop(queue)
        try:
            replay(h, path)
        except Exception as exc:  # noqa: BLE001 - a broken flow is reported, not fatal
            log.warning("replaying %s failed: %s", " > ".join(map(str, path)), exc)
            continue
        app = h.app
        if path and path[-1].kind not in ("maintenance", "start") and not app.session.serving:
            continue  # the action ended the session (finish, timeout): back to attract
        sig = signature(h)
        if sig in seen or variants.get(sig[:2], 0) >= MAX_VARIANTS:
            continue  # known, or a third look of one screen (rating reasons ticked…)
        seen.add(sig)
        variants[sig[:2]] = variants.get(sig[:2], 0) + 1
        expanded += 1
        log.debug("state %d: %s at %s", expanded, sig[0], " > ".join(map(str, path)))
        times = per_screen.get(sig[0], 0)
        per_screen[sig[0]] = times + 1
        if len(path) < max_depth and sig[3] == "":
            for action in children(h):  # before visit() changes modes
                # What this button does on this screen was never tried (a journey's start
                # button, even on the twentieth guide): it goes first. Repeats (the rating
                # after every journey, ticking reasons) wait behind, within the budget.
                key = (sig[0], str(action))
                tried = tries.get(key, 0) if action.kind == "option" else 0  # cards open flows
                tries[key] = tried + 1
                heapq.heappush(queue, (tried, next(counter), (*path, action)))
        if times < MAX_PER_SCREEN:
            state = State(_label(sig, {s.label for s in visited}), sig[0], path)
            visited.append(state)
            visit(state)
    _preview_unreached(h, visit, visited, problems)
    return visited


def _preview_unreached(
    h: Harness, visit: Callable[[State], None], visited: list[State], problems: list[str]
) -> None:
    """Show each registered screen no flow reached with its ``preview`` parameters
    (after a card was read), or report why it cannot be shown."""
    for name in sorted(set(REGISTRY) - {s.screen for s in visited}):
        path = (Action("start"), Action("card"), Action("preview", name))
        try:
            replay(h, path)
        except Exception as exc:  # noqa: BLE001 - reported as a problem of that screen
            problems.append(f"screen {name!r} cannot be shown: {type(exc).__name__}: {exc}")
            continue
        if REGISTRY[name].transient:
            # Never drawn: it must decide and move on, which is all there is to check.
            if h.app.screen.name == name:
                problems.append(f"transient screen {name!r} stayed on screen")
            continue
        if h.app.screen.name != name:
            problems.append(f"screen {name!r} cannot be shown (got {h.app.screen.name!r})")
            continue
        state = State(f"{name}(preview)", name, path)
        visited.append(state)
        visit(state)
