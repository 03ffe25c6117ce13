"""A release bundle: one ``tar.gz`` holding the terminal's code, its Python
dependencies as wheels and a manifest, so that a terminal installs it with
``pip --no-index`` and never needs a package registry.

Layout inside the archive::

    release.json     {"version", "entry": [...], "python": "3.11", "wheels": [...]}
    code/...         main.py, kiosk/, screens/, drivers/, protocol/, config/, locale/
    wheels/*.whl     every dependency (``pip download``/``pip wheel`` output)

The archive is built reproducibly (sorted names, zero mtimes, no owners) so
the same sources give the same digest, which the targets ceremony checks.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from hub.releases.repository import version_key

BUNDLE_MANIFEST = "release.json"
DEFAULT_CODE = ("main.py", "kiosk", "screens", "drivers", "protocol", "config", "locale")
DEFAULT_ENTRY = ("main.py",)
_SKIP_PARTS = {"__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache"}


def _files(base: Path, names: Iterable[str]) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for name in names:
        path = base / name
        if not path.exists():
            raise FileNotFoundError(f"{path} (named for the bundle) does not exist")
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in candidates:
            rel = file.relative_to(base)
            if _SKIP_PARTS.intersection(rel.parts) or file.suffix == ".pyc":
                continue
            found.append((file, rel.as_posix()))
    return found


def download_wheels(requirements: Path, into: Path) -> list[Path]:
    """``pip wheel`` every requirement (and theirs) into ``into``: run on the
    build machine, the only place that talks to a package registry."""
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "-r", str(requirements), "-w", str(into)],
        check=True,
    )
    return sorted(into.glob("*.whl"))


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def build_bundle(
    out: str | Path,
    version: str,
    source: str | Path,
    code: Sequence[str] = DEFAULT_CODE,
    wheels: Sequence[str | Path] = (),
    entry: Sequence[str] = DEFAULT_ENTRY,
) -> Path:
    """Write the bundle of ``version`` to ``out`` (a file path); returns it.

    ``code`` names files and folders under ``source``; ``wheels`` are wheel
    files. Raises ``ValueError`` for a malformed version or a non-wheel and
    ``FileNotFoundError`` for a missing input.
    """
    version_key(version)
    wheel_paths = [Path(w) for w in wheels]
    for wheel in wheel_paths:
        if wheel.suffix != ".whl":
            raise ValueError(f"{wheel} is not a wheel")
        if not wheel.is_file():
            raise FileNotFoundError(str(wheel))
    manifest = {
        "version": version,
        "entry": list(entry),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "wheels": sorted(w.name for w in wheel_paths),
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    # gzip with mtime 0: the archive's bytes depend only on its content.
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        _add(tar, BUNDLE_MANIFEST, json.dumps(manifest, indent=1).encode())
        for file, rel in _files(Path(source), code):
            mode = 0o755 if file.stat().st_mode & 0o111 else 0o644
            _add(tar, f"code/{rel}", file.read_bytes(), mode)
        for wheel in sorted(wheel_paths, key=lambda w: w.name):
            _add(tar, f"wheels/{wheel.name}", wheel.read_bytes())
    tmp.replace(out)
    return out
