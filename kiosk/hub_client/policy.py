"""Which hub addresses the terminal may talk to (the TLS policy's address half).

Plain ``http://`` only to a loopback hub (the embedded demo hub, tests);
anything else must be ``https://`` with the hub's CA file, which is then the
only trust anchor (see :mod:`kiosk.hub_client.client`). Pure functions, no
network: the config check uses them too, so a bad address is reported when
the config is loaded, with its key.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from kiosk.hub_client.errors import HubConfigError


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_hub(
    hub_url: str, ca_file: str | Path | None, *, check_file: bool = True
) -> tuple[str, Path | None]:
    """Check the hub address and CA file; returns ``(base_url, ca_path)``.

    ``ca_path`` is None for a loopback http hub. Raises :class:`HubConfigError`
    for a scheme other than http(s), plain http to a host that is not loopback,
    https without ``ca_file``, or (with ``check_file``) a CA file that is not
    a readable file.
    """
    parts = urlsplit(hub_url)
    try:
        host = parts.hostname or ""
    except ValueError:  # e.g. an unbalanced "[" in the host
        host = ""
    if parts.scheme not in ("http", "https") or not host:
        raise HubConfigError(f"hub.url {hub_url!r} must be https://host[:port]")
    if parts.query or parts.fragment:
        raise HubConfigError(f"hub.url {hub_url!r} must not carry a query or fragment")
    if parts.scheme == "http":
        if not is_loopback(host):
            raise HubConfigError(
                f"hub.url {hub_url!r}: plain http is allowed only for a loopback hub"
                " (127.0.0.0/8, ::1, localhost); use https with hub.ca_file"
            )
        return hub_url.rstrip("/"), None
    if ca_file is None:
        raise HubConfigError(
            f"hub.url {hub_url!r} is https: hub.ca_file (the hub's CA) is required"
        )
    ca_path = Path(ca_file)
    if check_file and not ca_path.is_file():
        raise HubConfigError(f"hub.ca_file {ca_path} does not exist or is not a file")
    return hub_url.rstrip("/"), ca_path
