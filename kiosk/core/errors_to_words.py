"""Plain words for the person, for any error a task or driver can raise.

Errors are translated at the boundary (STYLE.md): a driver's
``DeviceError`` and the hub client's errors carry a message for the
person; anything else gets a general apology, never a traceback.
"""

from __future__ import annotations

from drivers.errors import DeviceError
from kiosk.i18n import Translator
from kiosk.services import HubError, HubUnavailable


def error_message(tr: Translator, exc: Exception) -> str:
    """What to show and say for ``exc``, in the screen's language."""
    if isinstance(exc, DeviceError):
        return tr(exc.user_message)
    if isinstance(exc, HubUnavailable):
        return tr("暂时无法连接服务中心，请稍后再试或联系工作人员")
    if isinstance(exc, HubError):
        return exc.user_message(tr)
    return tr("出现了问题，请稍后再试或联系工作人员")
