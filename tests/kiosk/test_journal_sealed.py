"""Sealed storage: AES-GCM with a per-terminal 0600 key (DESIGN §6, PIPL Art. 51)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.sealed import SEALED_PREFIX, SealedError, Sealer, is_sealed


def test_round_trip_and_the_key_file_is_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "terminal.key"
    sealer = Sealer(key)
    token = sealer.seal({"id_number": "410102199001011234", "姓名": "张三"})
    assert token.startswith(SEALED_PREFIX) and is_sealed(token)
    assert "4101" not in token and "张" not in token
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32
    # A second Sealer (after a restart) uses the same key, never a new one.
    assert Sealer(key).open(token) == {"id_number": "410102199001011234", "姓名": "张三"}
    assert sealer.seal({"a": 1}) != sealer.seal({"a": 1})  # fresh nonce each time


def test_other_key_and_altered_token_are_refused(tmp_path: Path) -> None:
    token = Sealer(tmp_path / "a.key").seal({"pan": "6222021234567890123"})
    with pytest.raises(SealedError, match="another key") as caught:
        Sealer(tmp_path / "b.key").open(token)
    assert "6222" not in str(caught.value)
    body = token[len(SEALED_PREFIX) :]
    flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
    with pytest.raises(SealedError):
        Sealer(tmp_path / "a.key").open(SEALED_PREFIX + flipped)
    with pytest.raises(SealedError, match="not a sealed token"):
        Sealer(tmp_path / "a.key").open("6222021234567890123")


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "terminal.key"
    Sealer(key)
    os.chmod(key, 0o644)
    with pytest.raises(SealedError, match="600"):
        Sealer(key)
