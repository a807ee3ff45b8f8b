"""A file or folder made really unwritable for a test: nothing is patched, the operating system refuses the write.

Root ignores a file's mode, so as root the path is made immutable (`chattr +i`: EPERM, "Operation not permitted", as
QA found it, session 33); as anyone else its write bits are taken away (EACCES, "Permission denied"). The test is
skipped where neither can be done (no chattr, a file system without the attribute, no CAP_LINUX_IMMUTABLE).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _refused(path: Path) -> bool:
    """Whether a write at `path` is refused now: a new file in a folder, an append to a file."""
    try:
        if path.is_dir():
            probe = path / f".probe-{uuid.uuid4().hex}"
            probe.touch()
            probe.unlink()
        else:
            with open(path, "ab"):
                pass
    except OSError:
        return True
    return False


@contextmanager
def unwritable(*paths: Path) -> Iterator[None]:
    """Each of `paths` unwritable while the block runs, writable again after it (so pytest can remove them)."""
    done: list[tuple[Path, int | None]] = []
    try:
        for path in paths:
            if os.geteuid() == 0:
                chattr = shutil.which("chattr")
                if chattr is None:
                    pytest.skip("running as root without chattr: no real way to make a path unwritable")
                made = subprocess.run([chattr, "+i", str(path)], capture_output=True, text=True)
                if made.returncode:
                    pytest.skip(f"chattr +i {path}: {made.stderr.strip()}")
                done.append((path, None))
            else:
                mode = stat.S_IMODE(path.stat().st_mode)
                path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
                done.append((path, mode))
            if not _refused(path):
                pytest.skip(f"{path} is still writable (the file system ignores its attributes)")
        yield
    finally:
        for path, mode in reversed(done):
            if mode is None:
                subprocess.run(["chattr", "-i", str(path)], check=True)
            else:
                path.chmod(mode)
