"""python-escpos's capabilities pickle, cut short by a kill, must not stop the kiosk.

The boot test found it: a kiosk killed by its start-up timeout while
python-escpos wrote its pickle left a truncated file, and every later start
died importing escpos (EOFError). kiosk.runtime removes such a file first.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

from kiosk.runtime import drop_truncated_pickles

IMPORT_ESCPOS = "import escpos.printer"


def import_escpos(cache: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ESCPOS_CAPABILITIES_PICKLE_DIR=str(cache))
    return subprocess.run(
        [sys.executable, "-c", IMPORT_ESCPOS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_truncated_pickle_is_removed_and_escpos_imports_again(tmp_path: Path) -> None:
    assert import_escpos(tmp_path).returncode == 0  # python-escpos writes its pickle
    pickle = tmp_path / f"{platform.python_version()}.capabilities.pickle"
    whole = pickle.read_bytes()
    assert whole.endswith(b".")
    pickle.write_bytes(whole[: len(whole) // 2])  # the writer was killed half-way
    broken = import_escpos(tmp_path)
    assert broken.returncode != 0 and "pickle.load" in broken.stderr
    drop_truncated_pickles(tmp_path)
    assert not pickle.exists()
    assert import_escpos(tmp_path).returncode == 0
    assert pickle.read_bytes() == whole


def test_complete_and_unrelated_files_stay(tmp_path: Path) -> None:
    complete = tmp_path / "3.11.2.capabilities.pickle"
    complete.write_bytes(b"\x80\x04N.")  # pickle.dumps(None)
    empty = tmp_path / "3.11.7.capabilities.pickle"
    empty.write_bytes(b"")
    other = tmp_path / "notes.txt"
    other.write_bytes(b"no stop here")
    drop_truncated_pickles(tmp_path)
    assert complete.exists() and other.exists()
    assert not empty.exists()
