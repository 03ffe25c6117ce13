"""The hub's replies as the terminal reads them: frozen pydantic models.

Each mirrors a response model of the hub's service API (named in its
docstring), as far as the terminal uses it. ``extra="ignore"``: a newer hub
may send more fields; a missing one is an error the client reports
(:class:`~kiosk.hub_client.errors.HubBadReply`) instead of a screen breaking
later. Open vocabularies (capabilities, statuses, kinds) are plain strings: a
hub that learns a new one must not make the terminal refuse the whole reply.

``dict[str, Any]`` stops at the client (:meth:`kiosk.hub_client.HubClient.call`);
flows and, after the switch, screens read these.
"""

from kiosk.hub_client.models.base import (
    HubReply,
    Kept,
    PersonHeader,
    Printable,
    PrintLine,
    PrintTable,
)
from kiosk.hub_client.models.catalogue import (
    Fee,
    Guide,
    ItemSummary,
    Location,
    Material,
    PlaceCatalogue,
    PlaceInfo,
    RatingLevel,
    RatingReason,
    RatingReasons,
    Ticket,
    TicketType,
    TicketTypes,
    TimeLimits,
    Topic,
    TopicList,
    TopicRef,
)
from kiosk.hub_client.models.payments import (
    Order,
    Payer,
    Quote,
    QuotePerson,
    SandboxPayment,
)
from kiosk.hub_client.models.person import (
    ApplicationAccepted,
    ApplicationList,
    ApplicationRecord,
    ApplicationStep,
    Certificate,
    Contribution,
    Contributions,
    ContributionTotals,
    Document,
    DocumentList,
    Eligibility,
    Identified,
    MedicalInsurance,
    MedicalYear,
    OpenedSession,
    PensionPayment,
    Pensions,
    PensionTotals,
    PhoneLink,
    SignedDocument,
    Subsidies,
    SubsidyPayment,
    SubsidyTotal,
)
from kiosk.hub_client.models.terminal_settings import (
    PayElsewhere,
    PaymentSettings,
    TerminalSettings,
)

__all__ = [
    "ApplicationAccepted",
    "ApplicationList",
    "ApplicationRecord",
    "ApplicationStep",
    "Certificate",
    "Contribution",
    "ContributionTotals",
    "Contributions",
    "Document",
    "DocumentList",
    "Eligibility",
    "Fee",
    "Guide",
    "HubReply",
    "Identified",
    "ItemSummary",
    "Kept",
    "Location",
    "Material",
    "MedicalInsurance",
    "MedicalYear",
    "OpenedSession",
    "Order",
    "PayElsewhere",
    "Payer",
    "PaymentSettings",
    "PensionPayment",
    "PensionTotals",
    "Pensions",
    "PersonHeader",
    "PhoneLink",
    "PlaceCatalogue",
    "PlaceInfo",
    "PrintLine",
    "PrintTable",
    "Printable",
    "Quote",
    "QuotePerson",
    "RatingLevel",
    "RatingReason",
    "RatingReasons",
    "SandboxPayment",
    "SignedDocument",
    "Subsidies",
    "SubsidyPayment",
    "SubsidyTotal",
    "TerminalSettings",
    "Ticket",
    "TicketType",
    "TicketTypes",
    "TimeLimits",
    "Topic",
    "TopicList",
    "TopicRef",
]
