"""One module per screen; :data:`REGISTRY` maps screen names to classes.

The app creates screens by name (``ctx.go("identify", then=...)``), so
screens never import each other's classes to navigate.
"""

from __future__ import annotations

from screens.attract import AttractScreen
from screens.base import Screen
from screens.help import HelpScreen
from screens.home import HomeScreen
from screens.identify import IdentifyScreen
from screens.out_of_service import OutOfServiceScreen
from screens.query_menu import QueryMenuScreen
from screens.query_result import QueryResultScreen
from screens.rate import RateReasonsScreen, RateScreen
from screens.thanks import ThanksScreen

_SCREENS: tuple[type[Screen], ...] = (
    AttractScreen,
    HomeScreen,
    QueryMenuScreen,
    IdentifyScreen,
    QueryResultScreen,
    RateScreen,
    RateReasonsScreen,
    ThanksScreen,
    OutOfServiceScreen,
    HelpScreen,
)

REGISTRY: dict[str, type[Screen]] = {cls.name: cls for cls in _SCREENS}
