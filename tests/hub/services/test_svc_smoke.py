from __future__ import annotations

from fastapi.testclient import TestClient

from tests.hub.services.conftest import S, id_of


def test_identify_smoke(svc_client: TestClient) -> None:
    r = svc_client.post(f"{S}/query/identify", json={"id_number": id_of("zhang_xiulan")})
    assert r.status_code == 200, r.text
    print(r.json())
    for path in ("contributions", "pension", "medical", "subsidies", "applications"):
        r = svc_client.post(f"{S}/query/{path}", json={"id_number": id_of("wang_fang")})
        assert r.status_code == 200, r.text
        print(path, r.json()["printable"])
