"""The set-up's one list of Debian packages (scripts/debian-packages.txt) and its check.

Issue 11: the set-up never installed udev and nothing noticed, because the CI
machine happened to have it. These tests hold the list to what it claims:
every item belongs to the package it is listed under (dpkg -S), a package that
is missing makes ``scripts/setup.sh --check`` fail naming it (for every package,
in a fake root that holds everything but that package), the Python lookup the
tests use agrees with the shell one, every tool a test requires is listed, and
the README's table is the list. ``scripts/fresh_check.sh`` does the same for
real in a clean Debian root.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import tools
from tests.tools import DebianPackage, debian_packages, find, require_tool

REPO = Path(__file__).resolve().parent.parent
SETUP = REPO / "scripts" / "setup.sh"
PACKAGES = debian_packages()
BY_NAME = {package.name: package for package in PACKAGES}


def run_setup(*args: str, script: Path = SETUP) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args], capture_output=True, text=True, timeout=60, check=False
    )


def fake_root(root: Path, packages: list[DebianPackage]) -> Path:
    """A tree that holds the items of ``packages`` (empty stand-ins) where the check looks."""
    for package in packages:
        for item in package.items:
            path = root / (item.lstrip("/") if item.startswith("/") else f"usr/bin/{item}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("#!/bin/sh\n")
            path.chmod(0o755)
    return root


def test_the_list_names_each_package_and_each_item_once() -> None:
    names = [package.name for package in PACKAGES]
    items = [item for package in PACKAGES for item in package.items]
    assert len(names) == len(set(names))
    assert len(items) == len(set(items))
    assert {"udev", "xauth", "chromium-driver", "postgresql-15"} <= set(names)


def test_setup_sh_reads_the_same_list() -> None:
    done = run_setup("--list")
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines()]
    assert listed == [package.name for package in PACKAGES]


def test_the_check_passes_on_this_machine() -> None:
    """After scripts/setup.sh (make test runs it first) nothing on the list is missing."""
    done = run_setup("--check")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_the_check_passes_in_a_root_that_has_every_item(tmp_path: Path) -> None:
    root = fake_root(tmp_path, PACKAGES)
    done = run_setup("--check", "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert all(find(item, root) for package in PACKAGES for item in package.items)


@pytest.mark.parametrize("missing", PACKAGES, ids=lambda package: package.name)
def test_the_check_names_a_package_that_is_missing(tmp_path: Path, missing: DebianPackage) -> None:
    root = fake_root(tmp_path, [package for package in PACKAGES if package is not missing])
    done = run_setup("--check", "--root", str(root))
    assert done.returncode == 1
    for item in missing.items:
        assert f"setup: {item} not found: Debian package {missing.name} (" in done.stderr
        assert find(item, root) is None  # the tests' lookup agrees with the set-up's
    assert f"missing from 1 package(s): {missing.name}\n" in done.stderr
    others = {package.name for package in PACKAGES} - {missing.name}
    assert not [name for name in others if f"Debian package {name} (" in done.stderr]


def dpkg_owner(path: str) -> set[str]:
    """Packages dpkg records for ``path``; on merged /usr, dpkg may know /bin/x as such."""
    owners: set[str] = set()
    candidates = {path}
    for short, merged in (("/bin/", "/usr/bin/"), ("/sbin/", "/usr/sbin/"), ("/lib/", "/usr/lib/")):
        if path.startswith(merged):
            candidates.add(short + path.removeprefix(merged))
    for candidate in candidates:
        done = subprocess.run(
            ["dpkg-query", "-S", candidate], capture_output=True, text=True, check=False
        )
        for line in done.stdout.splitlines():
            names, _, found = line.rpartition(": ")
            if found == candidate:
                owners |= {name.strip().split(":")[0] for name in names.split(",")}
    return owners


@pytest.mark.parametrize("package", PACKAGES, ids=lambda package: package.name)
def test_every_item_belongs_to_the_package_it_is_listed_under(package: DebianPackage) -> None:
    """So that removing the package removes the item and the check sees it."""
    for item in package.items:
        path = find(item)
        assert path is not None, f"{item} missing: run scripts/setup.sh"
        assert package.name in dpkg_owner(path), f"{path} is not from {package.name}"


def test_a_malformed_line_is_refused_with_its_number(tmp_path: Path) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shutil.copy(SETUP, scripts / "setup.sh")
    (scripts / "debian-packages.txt").write_text("# header\nudev | udevadm | why\nsocat | socat\n")
    done = run_setup("--check", script=scripts / "setup.sh")
    assert done.returncode == 2
    assert "scripts/debian-packages.txt:3: want 'package | commands or files | why'" in done.stderr


def test_require_tool_fails_naming_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "SEARCH_PATH", ("/nonexistent",))
    with pytest.raises(pytest.fail.Exception) as failed:
        require_tool("udevadm")
    assert str(failed.value) == "udevadm not found (Debian package udev): run scripts/setup.sh"


def test_require_tool_refuses_a_tool_the_list_does_not_name() -> None:
    with pytest.raises(pytest.fail.Exception, match="cowsay is not in scripts/debian-packages"):
        require_tool("cowsay")


def test_every_tool_the_tests_require_is_listed() -> None:
    listed = {item for package in PACKAGES for item in package.items}
    required = {
        name
        for path in (REPO / "tests").rglob("*.py")
        if path.name != "test_setup.py"
        for name in re.findall(r'require_tool\("([^"]+)"\)', path.read_text(encoding="utf-8"))
    }
    assert required  # the scan found the calls
    assert required <= listed, required - listed


def test_the_readme_table_is_the_list() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z0-9.+-]+)` \| (.+?) \|$", readme, flags=re.MULTILINE)
    assert rows == [(package.name, package.why) for package in PACKAGES]


def test_fresh_check_refuses_a_package_that_is_not_on_the_list() -> None:
    done = subprocess.run(
        ["bash", str(REPO / "scripts" / "fresh_check.sh"), "--drop", "cowsay"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--drop cowsay: not a package of scripts/debian-packages.txt" in done.stderr
