"""The vocabulary the terminal and the hub share (DESIGN §1, "a leaf").

Imports nothing of ours, only the standard library and pydantic, so every
layer may import it: drivers (the i18n marker, device states), the kiosk
and its fleet agent, and the hub (which never imports the terminal).

- :mod:`protocol.i18n`: ``N_``, the gettext marker.
- :mod:`protocol.devices`: device and paper states, the health snapshot and its report.
"""

from protocol.devices import (
    FAULT_STATES,
    USABLE_STATES,
    DeviceHealth,
    DeviceReport,
    DeviceState,
    PaperState,
)
from protocol.i18n import N_

__all__ = [
    "FAULT_STATES",
    "N_",
    "USABLE_STATES",
    "DeviceHealth",
    "DeviceReport",
    "DeviceState",
    "PaperState",
]
