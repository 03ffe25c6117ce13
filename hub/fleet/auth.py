"""Terminal credentials: a random bearer token per terminal, stored only as
its SHA-256, checked by the :func:`current_terminal` dependency.

Lookups are cached per hub process for a few seconds (the heartbeat path is
benchmarked); revoking a terminal clears the cache of the process that did
it, and other processes follow within ``TOKEN_CACHE_TTL_S``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import HTTPException, Request
from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool

from hub.fleet.models import Terminal

TOKEN_CACHE_TTL_S = 5.0
_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class TerminalIdentity:
    """The authenticated terminal of a request."""

    id: int
    name: str
    county: str
    town: str
    village: str
    branch: str | None
    service_point: str | None = None  # catalogue code; tickets are drawn only there

    @property
    def place_path(self) -> str:
        """``county/town/village`` (empty parts dropped), the key place scopes match."""
        return place_path(self.county, self.town, self.village)


def place_path(county: str, town: str, village: str) -> str:
    return "/".join(p for p in (county, town, village) if p)


def new_token() -> str:
    """32 random bytes, URL-safe base64."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenCache:
    """token hash → identity (or ``None`` for unknown/revoked), for a few seconds."""

    def __init__(self, engine: Engine, ttl_s: float = TOKEN_CACHE_TTL_S) -> None:
        self._engine = engine
        self._ttl = ttl_s
        self._entries: dict[str, tuple[TerminalIdentity | None, float]] = {}
        self._lock = threading.Lock()

    def cached(self, token_hash: str) -> tuple[bool, TerminalIdentity | None]:
        """(hit, identity) without touching the database."""
        entry = self._entries.get(token_hash)
        if entry is None or entry[1] < time.monotonic():
            return False, None
        return True, entry[0]

    def load(self, token_hash: str) -> TerminalIdentity | None:
        """Look the token up in the database and cache the answer."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    Terminal.id,
                    Terminal.name,
                    Terminal.county,
                    Terminal.town,
                    Terminal.village,
                    Terminal.branch,
                    Terminal.service_point,
                ).where(Terminal.token_hash == token_hash, Terminal.revoked_at.is_(None))
            ).first()
        identity = (
            TerminalIdentity(
                row.id, row.name, row.county, row.town, row.village, row.branch, row.service_point
            )
            if row is not None
            else None
        )
        with self._lock:
            if len(self._entries) >= _CACHE_LIMIT:
                self._entries.clear()
            self._entries[token_hash] = (identity, time.monotonic() + self._ttl)
        return identity

    def invalidate_terminal(self, terminal_id: int) -> None:
        with self._lock:
            for key in [
                k for k, (ident, _) in self._entries.items() if ident and ident.id == terminal_id
            ]:
                del self._entries[key]


def public_key_bytes(text: str) -> bytes:
    """The 32 raw bytes of a base64url Ed25519 public key; ValueError when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a base64url Ed25519 public key (32 bytes)") from exc
    return raw


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def bearer_token_hash(request: Request) -> str:
    """SHA-256 of the request's bearer token; 401 when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 200:
        raise _unauthorised("missing bearer token")
    return hash_token(token)


async def current_terminal(request: Request) -> TerminalIdentity:
    """FastAPI dependency: the terminal whose bearer token the request carries.

    Raises 401 when the header is missing or the token is unknown or revoked.
    """
    token_hash = bearer_token_hash(request)
    cache: TokenCache = request.app.state.fleet.tokens
    hit, identity = cache.cached(token_hash)
    if not hit:
        identity = await run_in_threadpool(cache.load, token_hash)
    if identity is None:
        raise _unauthorised("unknown or revoked terminal credential")
    return identity
