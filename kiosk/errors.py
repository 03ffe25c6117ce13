"""The terminal's one error root, and the person's words for any error.

Every error the terminal's own code raises towards a person derives from
:class:`KioskError` (the hub client's tree in :mod:`kiosk.hub_client.errors`,
:class:`~kiosk.flows.payments.PaymentNotStarted`,
:class:`~kiosk.journal.JournalError` …). Like the drivers' tree, each class
carries ``user_message``: a plain Chinese msgid (marked with ``N_``) that the
screen translates when it shows and speaks it; the exception's own text
(``detail``) is for logs and the fleet console.

Device errors are NOT in this tree: they stay in :mod:`drivers.errors`
(drivers must not import ``kiosk``), and already carry the same
``user_message``. :func:`words_for` speaks both, and anything else, so the
app turns any failure into words in one line.

Errors a person never sees (a bad config file at start, a corrupt credential
the agent logs) keep their own bases.
"""

from __future__ import annotations

from drivers.errors import DeviceError
from kiosk.i18n import N_, Translator

SOMETHING_WENT_WRONG = N_("出现了问题，请稍后再试或联系工作人员")


class KioskError(Exception):
    """A failure of the terminal's own making or of the hub it depends on.

    ``detail`` says what happened, for logs (never personal data);
    ``user_message`` is a msgid for the person, per class or per instance.
    """

    user_message: str = SOMETHING_WENT_WRONG

    def __init__(self, detail: str = "", *, user_message: str | None = None) -> None:
        super().__init__(detail or self.user_message)
        self.detail = detail
        if user_message is not None:
            self.user_message = user_message

    def message_for(self, tr: Translator) -> str:
        """The person's words in ``tr``'s language."""
        return tr(self.user_message)


def words_for(exc: BaseException, tr: Translator) -> str:
    """Plain words for the person for any exception a task, flow or driver raises."""
    if isinstance(exc, KioskError):
        return exc.message_for(tr)
    if isinstance(exc, DeviceError):
        return tr(exc.user_message)
    return tr(SOMETHING_WENT_WRONG)
