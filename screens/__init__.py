"""One module per screen; :data:`REGISTRY` maps screen names to classes.

The app creates screens by name (``ctx.nav.go("identify", then=...)``), so
screens never import each other's classes to navigate.
"""

from __future__ import annotations

from kiosk.i18n import Translator
from kiosk.ui import Screen, ScreenSet
from screens.apply_allowance import AllowanceCheckScreen, ApplyAccountScreen
from screens.apply_common import (
    ApplyConfirmScreen,
    ApplyDeliveryScreen,
    ApplyFormScreen,
    ApplySlipScreen,
    MessageScreen,
)
from screens.apply_pension import ApplyGradeScreen
from screens.attract import AttractScreen
from screens.catalog import ApplyMenuScreen, CatalogItemsScreen
from screens.certificate import CertificateScreen
from screens.consent import ConsentScreen
from screens.entry import EntryScreen
from screens.guide import GuideScreen
from screens.help import HelpScreen
from screens.home import HomeScreen
from screens.identify import IdentifyScreen
from screens.out_of_service import OutOfServiceScreen
from screens.pay import PayConfirmScreen, PayMenuScreen, PayPeopleScreen
from screens.pay_run import PayDoneScreen, PayQrScreen, PayScanScreen
from screens.print_menu import PrintMenuScreen, ReprintScreen
from screens.progress import ProgressResultScreen, ProgressScreen
from screens.query_menu import QueryMenuScreen
from screens.query_result import QueryResultScreen
from screens.rate import RateReasonsScreen, RateScreen
from screens.signed_document import PhoneDownloadScreen
from screens.sound import SoundScreen
from screens.thanks import ThanksScreen
from screens.ticket import TicketDoneScreen, TicketScreen

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
    SoundScreen,
    # Service journeys (issue 4)
    ApplyMenuScreen,
    CatalogItemsScreen,
    GuideScreen,
    EntryScreen,
    MessageScreen,
    ConsentScreen,
    AllowanceCheckScreen,
    ApplyFormScreen,
    ApplyGradeScreen,
    ApplyAccountScreen,
    ApplyDeliveryScreen,
    ApplyConfirmScreen,
    ApplySlipScreen,
    CertificateScreen,
    ProgressScreen,
    ProgressResultScreen,
    PayMenuScreen,
    PayPeopleScreen,
    PayConfirmScreen,
    PayQrScreen,
    PayScanScreen,
    PayDoneScreen,
    PrintMenuScreen,
    ReprintScreen,
    TicketScreen,
    TicketDoneScreen,
    PhoneDownloadScreen,
)

REGISTRY: dict[str, type[Screen]] = {cls.name: cls for cls in _SCREENS}


def fixed_prompts(tr: Translator) -> list[str]:
    """Prompts that never change (titles, instructions, option labels, the
    warning), synthesised once at start so speech begins without waiting."""
    prompts: set[str] = {
        tr("已呼叫工作人员，请稍候，工作人员马上就到"),
        tr("好的，请继续办理"),
        tr("已退出，您的信息已清除"),
        tr("读取成功"),
    }
    for cls in _SCREENS:
        prompts.add(tr(cls.title))
        if cls.instruction:
            prompts.add(tr(cls.instruction))
    return sorted(p for p in prompts if p)


# The first journey (home → 查询 → rating → thanks) and help: their whole speech,
# options with their keys included, is synthesised at start so it begins at once.
PREWARMED = ("home", "query_menu", "rate", "thanks", "help")

SCREENS = ScreenSet(REGISTRY, fixed_prompts, prewarm=PREWARMED)
