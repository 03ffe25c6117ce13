"""TUF on the terminal, against a real hub process serving the repository:
a good release verifies and downloads (resuming with Range); a tampered
bundle, replayed metadata, expired metadata and a downgrade are refused."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.releases.repository import load_signer
from kiosk.agent.update_tuf import ReleaseVerifier, UpdateRefused
from protocol.updates import TUF_TARGETS_PATH
from tests.ota.conftest import OtaHub


def verifier(hub: OtaHub, client: object, where: Path) -> ReleaseVerifier:
    where.mkdir(parents=True, exist_ok=True)
    root = where / "trusted-root.json"
    root.write_bytes((hub.signed.repo.metadata_dir / "1.root.json").read_bytes())
    return ReleaseVerifier(client, where / "tuf", where / "downloads", root)  # type: ignore[arg-type]


def test_good_release_verifies_and_downloads(ota_hub: OtaHub, tmp_path: Path) -> None:
    bundle = ota_hub.signed.release("1.1.0", tmp_path)
    _, client = ota_hub.terminal_client()
    v = verifier(ota_hub, client, tmp_path / "t")
    info = v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.0.0")
    path = v.download(info)
    assert path.read_bytes() == bundle.read_bytes()


def test_interrupted_download_resumes_with_range(ota_hub: OtaHub, tmp_path: Path) -> None:
    bundle = ota_hub.signed.release("1.1.0", tmp_path)
    _, client = ota_hub.terminal_client()
    # The hub answers a range with 206 and only the rest.
    response = client.open_stream(
        TUF_TARGETS_PATH + "/huimin-1.1.0.tar.gz", headers={"Range": "bytes=100-"}
    )
    assert response.status_code == 206
    assert response.content == bundle.read_bytes()[100:]
    v = verifier(ota_hub, client, tmp_path / "t")
    info = v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.0.0")
    # A cut download left the first half: only the rest is fetched.
    half = bundle.read_bytes()[: bundle.stat().st_size // 2]
    part = v.bundle_path(info).with_name("huimin-1.1.0.tar.gz.part")
    part.write_bytes(half)
    requested: list[str] = []
    original = client.open_stream

    def spy(
        path: str, headers: dict[str, str] | None = None, timeout_s: float | None = None
    ) -> object:
        requested.append((headers or {}).get("Range", ""))
        return original(path, headers=headers, timeout_s=timeout_s)

    client.open_stream = spy  # type: ignore[method-assign,assignment]
    path = v.download(info)
    assert requested == [f"bytes={len(half)}-"]
    assert path.read_bytes() == bundle.read_bytes()


def test_tampered_bundle_is_refused(ota_hub: OtaHub, tmp_path: Path) -> None:
    ota_hub.signed.release("1.1.0", tmp_path)
    served = ota_hub.signed.repo.targets_dir / "huimin-1.1.0.tar.gz"
    data = bytearray(served.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte on the hub's disk
    served.write_bytes(bytes(data))
    _, client = ota_hub.terminal_client()
    v = verifier(ota_hub, client, tmp_path / "t")
    info = v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.0.0")
    with pytest.raises(UpdateRefused, match="does not match its signed"):
        v.download(info)
    assert not any(v.download_dir.iterdir()), "nothing of the tampered bundle is kept"


def test_targets_signed_by_the_hub_alone_are_refused(ota_hub: OtaHub, tmp_path: Path) -> None:
    """A hub holding only the online keys cannot forge a release: targets
    signed with the snapshot key fail the signature threshold."""
    ota_hub.signed.release("1.1.0", tmp_path)
    from tuf.api.metadata import Metadata

    repo = ota_hub.signed.repo
    md = Metadata.from_file(str(repo.metadata_dir / "targets.json"))
    md.signed.version += 1
    md.sign(load_signer(ota_hub.signed.online / "snapshot.pem"), append=False)
    repo._write(md, "targets.json")
    repo.publish(
        load_signer(ota_hub.signed.online / "snapshot.pem"),
        load_signer(ota_hub.signed.online / "timestamp.pem"),
    )
    _, client = ota_hub.terminal_client()
    v = verifier(ota_hub, client, tmp_path / "t")
    with pytest.raises(UpdateRefused, match="TUF"):
        v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.0.0")


def test_replayed_metadata_is_refused(ota_hub: OtaHub, tmp_path: Path) -> None:
    ota_hub.signed.release("1.1.0", tmp_path)
    repo = ota_hub.signed.repo
    old = tmp_path / "old-metadata"
    shutil.copytree(repo.metadata_dir, old)
    ota_hub.signed.release("1.2.0", tmp_path)
    _, client = ota_hub.terminal_client()
    v = verifier(ota_hub, client, tmp_path / "t")
    v.verify("huimin-1.2.0.tar.gz", "1.2.0", installed="1.0.0")  # the terminal saw the new one
    # An attacker (or a hub restored from backup) serves the older, validly
    # signed timestamp again.
    shutil.copy(old / "timestamp.json", repo.metadata_dir / "timestamp.json")
    with pytest.raises(UpdateRefused, match="replayed metadata"):
        v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.0.0")


def test_expired_metadata_is_refused(ota_hub: OtaHub, tmp_path: Path) -> None:
    ota_hub.signed.release("1.1.0", tmp_path)
    # The hub stopped re-signing: its timestamp ran out yesterday.
    signer = load_signer(ota_hub.signed.online / "timestamp.pem")
    ota_hub.signed.repo.refresh_timestamp(signer, now=datetime.now(UTC) - timedelta(days=2))
    _, client = ota_hub.terminal_client()
    v = verifier(ota_hub, client, tmp_path / "t")
    with pytest.raises(UpdateRefused, match="expired"):
        v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.0.0")


def test_downgrade_is_refused(ota_hub: OtaHub, tmp_path: Path) -> None:
    ota_hub.signed.release("1.1.0", tmp_path)
    _, client = ota_hub.terminal_client()
    v = verifier(ota_hub, client, tmp_path / "t")
    with pytest.raises(UpdateRefused, match="downgrade"):
        v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.2.0")
    with pytest.raises(UpdateRefused, match="downgrade"):
        v.verify("huimin-1.1.0.tar.gz", "1.1.0", installed="1.1.0")
    # An offer that names a different version than the signed one is refused too.
    with pytest.raises(UpdateRefused, match="signed as"):
        v.verify("huimin-1.1.0.tar.gz", "9.0.0", installed="1.0.0")


def test_repository_refuses_an_older_release(ota_hub: OtaHub, tmp_path: Path) -> None:
    from hub.releases import RepositoryError

    ota_hub.signed.release("1.1.0", tmp_path)
    with pytest.raises(RepositoryError, match="not newer"):
        ota_hub.signed.release("1.0.5", tmp_path)


def test_tuf_routes_refuse_a_caller_without_credential(ota_hub: OtaHub) -> None:
    import httpx

    for path in (
        "/api/v1/terminal/releases/metadata/root.json",
        "/api/v1/terminal/releases/targets/x.tar.gz",
    ):
        assert httpx.get(ota_hub.url + path).status_code == 401
    _, client = ota_hub.terminal_client()
    for name in ("..%2Froot.json", "nothing.json"):
        response = client.open_stream("/api/v1/terminal/releases/metadata/" + name)
        assert response.status_code == 404
