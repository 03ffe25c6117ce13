"""The catalogue and guides from the real hub, kept for offline reading."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.flows import Catalogue, Flows, OfflineCache
from kiosk.hub_client import HubClient, HubError, HubUnavailable
from tests.kiosk.flows.conftest import SERVICE_POINT, RealHub, closed_port_url


def test_the_catalogue_here_and_every_guide_in_it(flows: Flows) -> None:
    catalogue = flows.catalogue.catalogue()
    assert catalogue.place is not None and catalogue.place.code == SERVICE_POINT
    items = [item for topic in catalogue.topics for item in topic.items]
    assert items and all(topic.items for topic in catalogue.topics)
    assert not catalogue.offline and catalogue.fetched_at is None
    pension = flows.catalogue.guide("rsi_resident_pension_enrol")
    assert pension.form == "resident_pension_enrol" and "apply" in pension.capabilities
    assert pension.options["grades_yuan"][0] == 200
    assert pension.time_limits.promised_days >= 0 and pension.materials and pension.where
    assert len(flows.catalogue.topics().root) == 31
    assert flows.catalogue.keep_offline() == len(items)


def test_guides_are_served_from_the_kept_copy_while_the_hub_is_down(
    real_hub: RealHub, tmp_path: Path
) -> None:
    address = [real_hub.url]
    client = HubClient(lambda: address[0], token=lambda: real_hub.token)
    catalogue = Catalogue(client, service_point=SERVICE_POINT, offline=OfflineCache(tmp_path))
    kept = catalogue.keep_offline()
    live = catalogue.guide("med_resident_pay")
    address[0] = closed_port_url()  # the hub goes away
    offline = catalogue.guide("med_resident_pay")
    assert offline.offline and offline.fetched_at is not None
    assert offline.model_dump(exclude={"offline", "fetched_at"}) == live.model_dump(
        exclude={"offline", "fetched_at"}
    )
    assert sum(len(t.items) for t in catalogue.catalogue().topics) == kept
    with pytest.raises(HubUnavailable):
        catalogue.topics()  # not kept: the hub is needed
    client.close()


def test_a_service_point_the_hub_does_not_know_is_refused(client: HubClient) -> None:
    with pytest.raises(HubError) as unknown:
        Catalogue(client, service_point="no-such-place").catalogue()
    assert unknown.value.status == 404 and "服务点" in unknown.value.detail
