"""The Debian commands and files the tests use, from the set-up's one list.

``require_tool("udevadm")`` returns the command's absolute path, or fails the
test at once with "udevadm not found (Debian package udev): run
scripts/setup.sh" instead of an unrelated error deeper in. A name that is not
in ``scripts/debian-packages.txt`` fails too: the set-up would not install it,
which is how issue 11 (udev never installed) went unseen.

The lookup is the one ``scripts/setup.sh --check`` makes (tests/test_setup.py
holds the two to the same answers): a command is an executable file in a
directory of root's PATH, a file is an absolute path that exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE_LIST = REPO / "scripts" / "debian-packages.txt"
# root's PATH on Debian, as in scripts/setup.sh.
SEARCH_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


@dataclass(frozen=True)
class DebianPackage:
    """One line of the list: the package, what the project uses from it, and why."""

    name: str
    items: tuple[str, ...]
    why: str


def debian_packages(path: Path = PACKAGE_LIST) -> list[DebianPackage]:
    """The list's packages in order; ValueError names a malformed line."""
    packages = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split("|")]
        if len(fields) != 3 or not all(fields):
            raise ValueError(f"{path}:{number}: want 'package | commands or files | why'")
        name, items, why = fields
        packages.append(DebianPackage(name, tuple(items.split()), why))
    return packages


def package_for(item: str) -> DebianPackage:
    """The package the list gives for a command or file; LookupError when none does."""
    for package in debian_packages():
        if item in package.items:
            return package
    raise LookupError(item)


def find(item: str, root: Path | None = None) -> str | None:
    """Where ``item`` is (under ``root`` when given), or None: the set-up's lookup."""
    prefix = str(root) if root is not None else ""
    if item.startswith("/"):
        return item if os.path.exists(prefix + item) else None
    for directory in SEARCH_PATH:
        path = f"{directory}/{item}"
        full = prefix + path
        if os.path.isfile(full) and os.access(full, os.X_OK):
            return path
    return None


def require_tool(item: str) -> str:
    """The absolute path of command or file ``item``; fails the calling test when it
    is absent (naming its Debian package) or when the list does not name it."""
    try:
        package = package_for(item)
    except LookupError:
        pytest.fail(
            f"{item} is not in scripts/debian-packages.txt: add it with its Debian package "
            "so that scripts/setup.sh installs and checks it"
        )
    path = find(item)
    if path is None:
        pytest.fail(f"{item} not found (Debian package {package.name}): run scripts/setup.sh")
    return path
