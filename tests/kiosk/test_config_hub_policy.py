"""The hub client's address policy is checked when the config is loaded, so a
terminal set up to talk plain http across a network, or https without the
hub's CA, never starts (exit 2 with the problem), rather than trusting
whatever it meets."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("hub", "problem"),
    [
        ({"url": "http://10.20.30.40:8700"}, "plain http is allowed only for a loopback hub"),
        ({"url": "http://hub.lankao.gov.cn"}, "plain http is allowed only for a loopback hub"),
        ({"url": "https://hub.lankao.gov.cn:8700"}, "hub.ca_file (the hub's CA) is required"),
        ({"url": "https://hub.lankao.gov.cn/?debug=1", "ca_file": "/etc/ca.pem"}, "query"),
    ],
)
def test_a_hub_address_the_client_would_refuse_is_a_config_error(
    hub: dict[str, str], problem: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config({"hub": hub})
    (line,) = refused.value.problems
    assert line.startswith("hub: ") and problem in line


def test_addresses_the_client_accepts_load() -> None:
    for hub in (
        {"url": "embedded"},
        {"url": "http://127.0.0.1:8700"},
        {"url": "http://localhost:8700"},
        {"url": "https://hub.lankao.gov.cn:8700", "ca_file": "/etc/huimin/hub-ca.pem"},
    ):
        assert parse_config({"hub": hub}).hub.url == hub["url"]
    production = load_config(ROOT / "config" / "kiosk.production.example.toml")
    assert production.hub.url.startswith("https://") and production.hub.ca_file is not None
