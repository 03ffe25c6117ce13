"""Atheris target: SAM frame parser, reply and text-block decoders on arbitrary bytes.

Not collected by pytest (the file name does not start with ``test_``); the
hypothesis properties in tests/drivers/test_idcard_fuzz.py run in CI. This
is for long runs on a developer machine::

    .venv/bin/pip install atheris
    PYTHONPATH=. .venv/bin/python tests/fuzz/fuzz_idcard_frames.py -max_total_time=3600

Without atheris, ``--smoke N`` feeds N random inputs through the same
function (a quick check that the target itself works). Any exception other
than a :class:`drivers.errors.DeviceError` subclass is a finding.
"""

from __future__ import annotations

import contextlib
import random
import sys
from types import ModuleType

_modules: dict[str, ModuleType] = {}


def _load() -> None:
    import drivers.errors
    import drivers.idcard.frames
    import drivers.idcard.text

    _modules.update(errors=drivers.errors, frames=drivers.idcard.frames, text=drivers.idcard.text)


def fuzz_one_input(data: bytes) -> None:
    """Feed ``data`` to every byte-level decoder; only DeviceError may escape them."""
    errors, frames, text = _modules["errors"], _modules["frames"], _modules["text"]
    device_error = errors.DeviceError
    if data[:1] == b"\x01":
        # Steer toward the deep paths: a well-framed read reply around the input.
        data = frames.encode_frame(b"\x00\x00\x90\x01\x00\x04\x00" + data[1:2000])
    try:
        body = frames.decode_frame(data)
        assert frames.encode_frame(body) == data
    except device_error:
        pass
    # Split the stream at points taken from the data itself, as a line would.
    parser = frames.FrameParser()
    step = (data[0] % 17 + 1) if data else 1
    bodies: list[bytes] = []
    for start in range(0, len(data), step):
        bodies += parser.feed(data[start : start + step])
    for _ in range(parser.pending + 1):
        if not parser.in_frame:
            break
        bodies += parser.abandon_partial()
    for body in bodies:
        assert frames.decode_frame(frames.encode_frame(body)) == body
        for cls in (frames.Reply, frames.Request):
            with contextlib.suppress(device_error):
                cls.from_body(body)
        with contextlib.suppress(device_error):
            text.decode_read_data(body[3:], with_fingerprint=len(body) > 1300)
    with contextlib.suppress(device_error):
        block = bytearray(data[:256].ljust(256, b" "))
        block[248:250] = (" ", "J", "I", "Y")[len(data) % 4].encode("utf-16-le")
        text.decode_text_block(bytes(block))


def _smoke(count: int) -> None:
    rng = random.Random(1)
    for _ in range(count):
        size = rng.choice([0, 7, 20, 256, 1300, 2400])
        fuzz_one_input(bytes(rng.randrange(256) for _ in range(size)))
    print(f"{count} inputs, no finding")


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[1] == "--smoke":
        _load()
        _smoke(int(argv[2]))
        return
    import atheris  # type: ignore[import-untyped,import-not-found,unused-ignore]

    # instrument_imports() would miss modules pulled in through drivers.idcard's
    # __init__ before the context opened; instrument every loaded function instead.
    _load()
    atheris.instrument_all()
    atheris.Setup(argv, fuzz_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
