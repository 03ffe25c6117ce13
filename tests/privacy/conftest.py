"""The privacy tests reuse the e2e journeys' fixtures: ``hub`` (a ``python -m hub``
process) and ``make_kiosk`` (the real app with the simulated devices)."""

from tests.e2e.conftest import hub, make_kiosk  # noqa: F401 - fixtures
