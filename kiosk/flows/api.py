"""Where the hub's service API lives; every flow builds its paths here."""

from __future__ import annotations

from urllib.parse import quote, urlencode

API = "/api/v1/services"


def service_path(route: str, *segments: str, **query: str | int) -> str:
    """``API + route``, each segment percent-encoded, then the query string.

    Query values travel in the path (not as request parameters) so the
    client's JSON boundary stays ``request(method, path, body)``; no personal
    data ever goes in a path: ID numbers travel in bodies.
    """
    path = API + route + "".join("/" + quote(s, safe="") for s in segments)
    return f"{path}?{urlencode(query)}" if query else path
