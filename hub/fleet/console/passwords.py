"""The console's password policy and hashing (argon2id, argon2-cffi).

A password is accepted when it is 12 to 200 characters long, mixes at least
three of the four character classes (lower case, upper case, digits, other),
does not contain the account name, and neither is nor contains one of the
demo's published passwords or the configured bootstrap password (which sits in
a config file, so it is never a secret for long). GB/T 22239-2019 8.1.4.1 a) asks for
complexity and periodic change; the length and classes follow the usual
reading of it by assessors.
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.published import DEMO_PASSWORDS, is_demo_password

MIN_LENGTH = 12
MAX_LENGTH = 200
MIN_CLASSES = 3

_hasher = PasswordHasher()
# Verified against when the account does not exist, so an unknown name costs
# the same hash time as a known one (no timing oracle for account names).
_DUMMY_HASH = _hasher.hash("timing-equaliser")

_ZH = {
    "short": f"密码至少 {MIN_LENGTH} 位",
    "long": "密码过长",
    "classes": "密码须包含大写字母、小写字母、数字、符号中的至少三类",
    "name": "密码不能包含用户名",
    "bootstrap": "不能使用初始密码或演示密码",
}
_EN = {
    "short": f"at least {MIN_LENGTH} characters",
    "long": f"at most {MAX_LENGTH} characters",
    "classes": "mix at least three of: lower case, upper case, digits, symbols",
    "name": "must not contain the account name",
    "bootstrap": "must not be a demo or example password",
}


def _classes(password: str) -> int:
    kinds = (
        any(c in string.ascii_lowercase for c in password),
        any(c in string.ascii_uppercase for c in password),
        any(c.isdigit() for c in password),
        any(not (c.isascii() and c.isalnum()) for c in password),
    )
    return sum(kinds)


def _problem(password: str, username: str, forbidden: tuple[str, ...]) -> str | None:
    if len(password) < MIN_LENGTH:
        return "short"
    if len(password) > MAX_LENGTH:
        return "long"
    if _classes(password) < MIN_CLASSES:
        return "classes"
    if len(username) >= 3 and username.casefold() in password.casefold():
        return "name"
    folded = password.casefold()
    if is_demo_password(password) or any(
        value.casefold() in folded for value in (*DEMO_PASSWORDS, *forbidden) if value
    ):
        return "bootstrap"
    return None


def password_problem(
    password: str, username: str = "", forbidden: tuple[str, ...] = ()
) -> str | None:
    """Why ``password`` is unacceptable for ``username``, in Chinese; None if it is fine.

    ``forbidden`` adds values that must not be reused (the bootstrap password).
    """
    problem = _problem(password, username, forbidden)
    return _ZH[problem] if problem else None


def password_problem_en(password: str, username: str = "") -> str | None:
    """The same check for the start-up refusal lines, in English."""
    problem = _problem(password, username, ())
    return _EN[problem] if problem else None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_hash_time(password: str) -> None:
    """Spend one verification's time, for a login that fails before any hash check."""
    verify_password(_DUMMY_HASH, password)


def one_time_password() -> str:
    """A random password that passes the policy (for ``operators reset-password``):
    four groups of four from an alphabet without look-alikes, one upper-case and
    one digit guaranteed, e.g. ``k7Rm-p2Xa-9dQe-w4Tn``."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        groups = ["".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4)]
        candidate = "-".join(groups)
        if _problem(candidate, "", ()) is None:
            return candidate
