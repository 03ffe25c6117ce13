"""Verifying a release through TUF before anything of it is installed
(python-tuf's ngclient; DESIGN §10).

The terminal trusts one thing from its image: the repository's first
``root.json`` (``trusted_root``). From it ngclient checks every role's
signatures, versions and expiry on each refresh, so:

- a tampered bundle fails the length/hash check of the signed targets;
- replayed (older) metadata fails the version checks;
- expired metadata (a hub that stopped re-signing) is refused;
- a downgrade (an offer older than what runs) is refused here, by the
  ``huimin.version`` the targets key signed.

The bundle is downloaded by :meth:`ReleaseVerifier.download` with ``Range``
so a cut download resumes, at a capped rate, pausing whenever the terminal
serves somebody (``busy()``); only a file whose length and SHA-256 match the
signed target is kept.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import TargetFile
from tuf.ngclient import Updater
from tuf.ngclient.fetcher import FetcherInterface

from kiosk.hub_client import HubClient, HubUnavailable
from protocol.updates import TUF_METADATA_PATH, TUF_TARGETS_PATH

CHUNK = 64 * 1024


class UpdateRefused(Exception):
    """The release must not be installed; ``reason`` says why (reported to the hub)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DownloadPaused(Exception):
    """The download stopped because the terminal is busy; it resumes later."""


def version_key(version: str) -> tuple[int, ...]:
    """``"1.2.10"`` → ``(1, 2, 10)``; an unreadable version sorts lowest."""
    try:
        return tuple(int(p) for p in version.split("."))
    except ValueError:
        return ()


class HubFetcher(FetcherInterface):
    """ngclient's fetcher over the terminal's own hub client: the pinned CA,
    the terminal credential, no redirects."""

    def __init__(self, client: HubClient, timeout_s: float = 30.0) -> None:
        self._client = client
        self._timeout = timeout_s

    def _fetch(self, url: str) -> Iterator[bytes]:
        path = url.removeprefix(self._client.base_url)
        try:
            response = self._client.open_stream(path, timeout_s=self._timeout)
        except HubUnavailable as exc:
            raise tuf_errors.DownloadError(str(exc)) from exc
        if response.status_code != 200:
            response.close()
            status = response.status_code
            raise tuf_errors.DownloadHTTPError(f"{path}: {status}", status)
        return self._chunks(response)

    @staticmethod
    def _chunks(response: object) -> Iterator[bytes]:
        try:
            yield from response.iter_content(CHUNK)  # type: ignore[attr-defined]
        except OSError as exc:
            raise tuf_errors.DownloadError(str(exc)) from exc
        finally:
            response.close()  # type: ignore[attr-defined]


class ReleaseVerifier:
    """TUF checks and the resumable download of one terminal's releases.

    ``metadata_dir`` and ``download_dir`` live on the data partition (outside
    the slots); ``trusted_root`` is the root.json the image ships."""

    def __init__(
        self,
        client: HubClient,
        metadata_dir: str | Path,
        download_dir: str | Path,
        trusted_root: str | Path,
    ) -> None:
        self.client = client
        self.metadata_dir = Path(metadata_dir)
        self.download_dir = Path(download_dir)
        self.trusted_root = Path(trusted_root)
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        self.download_dir.mkdir(parents=True, exist_ok=True)

    def _updater(self) -> Updater:
        bootstrap = None
        if not (self.metadata_dir / "root.json").exists():
            bootstrap = self.trusted_root.read_bytes()
        base = self.client.base_url
        return Updater(
            metadata_dir=str(self.metadata_dir),
            metadata_base_url=base + TUF_METADATA_PATH + "/",
            target_dir=str(self.download_dir),
            target_base_url=base + TUF_TARGETS_PATH + "/",
            fetcher=HubFetcher(self.client),
            bootstrap=bootstrap,
        )

    def verify(self, target: str, version: str, installed: str) -> TargetFile:
        """Refresh the metadata and find ``target``, signed as ``version``,
        newer than ``installed``. Raises :class:`UpdateRefused` with the reason
        (expired, replayed, bad signature, unsigned, downgrade) and
        :class:`HubUnavailable` when the hub cannot be reached."""
        try:
            updater = self._updater()
            updater.refresh()
            info = updater.get_targetinfo(target)
        except tuf_errors.ExpiredMetadataError as exc:
            raise UpdateRefused(f"TUF: metadata expired ({exc})") from exc
        except tuf_errors.BadVersionNumberError as exc:
            raise UpdateRefused(f"TUF: replayed metadata ({exc})") from exc
        except tuf_errors.RepositoryError as exc:
            raise UpdateRefused(f"TUF: {type(exc).__name__}: {exc}") from exc
        except tuf_errors.DownloadError as exc:
            raise HubUnavailable(f"TUF metadata: {exc}") from exc
        if info is None:
            raise UpdateRefused(f"TUF: {target} is not a signed release")
        custom = info.unrecognized_fields.get("custom", {})
        signed = custom.get("huimin", {}).get("version") if isinstance(custom, dict) else None
        if signed != version:
            raise UpdateRefused(f"TUF: {target} is signed as {signed!r}, offered as {version!r}")
        if version_key(version) <= version_key(installed):
            raise UpdateRefused(f"downgrade refused: {version} is not newer than {installed}")
        return info

    def bundle_path(self, info: TargetFile) -> Path:
        return self.download_dir / info.path

    def download(
        self,
        info: TargetFile,
        rate_bps: int = 0,
        busy: Callable[[], bool] = lambda: False,
    ) -> Path:
        """The verified bundle of ``info`` on disk, downloading what is missing
        (resuming a ``.part`` file with ``Range``), at most ``rate_bps`` bytes
        per second (0: no cap). Raises :class:`DownloadPaused` when ``busy()``
        turns true, :class:`UpdateRefused` when the bytes do not match the
        signed length and hash (the partial file is deleted), and
        :class:`HubUnavailable` when the connection fails (it is kept)."""
        final = self.bundle_path(info)
        if final.exists() and self._matches(info, final):
            return final
        part = final.with_name(final.name + ".part")
        have = part.stat().st_size if part.exists() else 0
        if have < info.length:
            self._fetch_rest(info, part, have, rate_bps, busy)
        if not self._matches(info, part):
            part.unlink(missing_ok=True)
            raise UpdateRefused(f"TUF: {info.path} does not match its signed length and hash")
        os.replace(part, final)
        return final

    def _fetch_rest(
        self, info: TargetFile, part: Path, have: int, rate_bps: int, busy: Callable[[], bool]
    ) -> None:
        headers = {"Range": f"bytes={have}-"} if have else {}
        response = self.client.open_stream(
            TUF_TARGETS_PATH + "/" + info.path, headers=headers, timeout_s=30.0
        )
        with contextlib.closing(response):
            if response.status_code == 200:
                have = 0  # the hub ignored the range: start over
            elif response.status_code != 206:
                raise HubUnavailable(f"bundle download: hub answered {response.status_code}")
            started, sent = time.monotonic(), 0
            with open(part, "r+b" if have else "wb") as out:
                out.seek(have)
                out.truncate()
                try:
                    for chunk in response.iter_content(CHUNK):
                        if busy():
                            raise DownloadPaused("the terminal is serving somebody")
                        out.write(chunk)
                        if out.tell() > info.length + CHUNK:
                            break  # longer than signed: stop reading, refused below
                        sent += len(chunk)
                        if rate_bps:
                            ahead = sent / rate_bps - (time.monotonic() - started)
                            if ahead > 0:
                                time.sleep(ahead)
                except OSError as exc:
                    raise HubUnavailable(f"bundle download cut: {exc}") from exc
                finally:
                    out.flush()
                    os.fsync(out.fileno())

    @staticmethod
    def _matches(info: TargetFile, path: Path) -> bool:
        try:
            with open(path, "rb") as handle:
                info.verify_length_and_hashes(handle)
        except (OSError, tuf_errors.LengthOrHashMismatchError):
            return False
        return True
