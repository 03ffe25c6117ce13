"""What the fleet agent needs from the app (the app implements it)."""

from __future__ import annotations

from typing import Any, Protocol

from protocol.commands import CommandArgs, CommandKind


class AgentHost(Protocol):
    """The app as the fleet agent sees it.

    Every method is called from an agent thread, never the UI thread: the app
    hands UI work (commands, the screenshot) to its loop and waits for the
    answer. None of the answers may contain personal data.
    """

    def status_snapshot(self) -> dict[str, Any]:
        """Keys: ``version`` (str), ``uptime_s`` (int), ``devices`` (list of
        ``DeviceHealth`` or ``DeviceHealth.to_dict()``), ``screen`` (screen name),
        ``session_state`` (``SessionState`` value), ``maintenance`` (bool),
        ``journal_backlog`` (int; used when the agent does not carry the journal).
        Other keys are ignored."""
        ...

    def personal_data_on_screen(self) -> bool:
        """True while the screen shows someone's data (a session is active)."""
        ...

    def take_screenshot(self) -> bytes | None:
        """PNG bytes of the screen, or None when personal data is on it."""
        ...

    def run_command(
        self, kind: CommandKind, args: CommandArgs, timeout_s: float
    ) -> tuple[bool, str]:
        """Execute a remote command on the UI thread; answer within ``timeout_s``.

        ``kind`` is any kind but ``screenshot`` (the agent takes that itself);
        ``args`` is that kind's model (``protocol.commands.COMMANDS[kind].args``),
        already checked. Returns ``(ok, result)``; ``result`` is a short text for
        the operator. For ``restart`` answer first and restart afterwards, so the
        acknowledgement reaches the hub and the command is not run twice.
        """
        ...
