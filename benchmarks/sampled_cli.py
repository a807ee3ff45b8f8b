"""The `scr` command line with its main thread sampled: `python -m benchmarks.sampled_cli OUT ARGS...` runs `scr ARGS...`
and, at its exit, writes to OUT (JSON) every 50 ms where the main thread was: the innermost frame in this project's
code and the innermost frame of all. `benchmarks.timeline` runs it and reads OUT; nothing here is imported by the
product.
"""

from __future__ import annotations

import atexit
import json
import sys
import threading
import time
from pathlib import Path

EVERY_S = 0.05
ROOT = Path(__file__).resolve().parent.parent  # the checkout whose code runs: its frames are "ours"
_SITE = ("site-packages", "/lib/python")


def where(frame) -> tuple[str, str]:
    """(innermost frame in this checkout's code, innermost frame): `path:function`, '-' when none of ours is on the stack."""
    inner = f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"
    ours = "-"
    f = frame
    while f is not None:
        name = f.f_code.co_filename
        if name.startswith(str(ROOT)) and not any(s in name for s in _SITE) and not name.endswith("sampled_cli.py"):
            ours = f"{Path(name).relative_to(ROOT)}:{f.f_code.co_name}"
            break
        f = f.f_back
    return ours, inner


def main() -> None:
    out, args = Path(sys.argv[1]), sys.argv[2:]
    started, main_id = time.time(), threading.get_ident()
    samples: list[tuple[float, str, str]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(EVERY_S):
            frame = sys._current_frames().get(main_id)
            if frame is not None:
                samples.append((time.time() - started, *where(frame)))

    def write() -> None:
        stop.set()
        out.write_text(json.dumps({"started": started, "ended": time.time(), "samples": samples}))

    atexit.register(write)  # registered first, so it runs last of the exit handlers: their time is sampled too
    threading.Thread(target=sample, name="timeline-sampler", daemon=True).start()
    from flows.cli import main as scr

    sys.argv = ["scr", *args]
    scr()


if __name__ == "__main__":
    main()
