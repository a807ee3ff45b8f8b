"""Landing-zone readers: the registry and each practice's files, as frames in landing.schema shapes.

Names are imported on first use (PEP 562), so a command that needs only the key (`landing.secrets`)
does not load every reader and numpy: `scr status` starts in under a second.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from landing.errors import BadInput, redact
    from landing.frames import Frames
    from landing.practice import read_practice, read_practices
    from landing.registry import read_registry, registry_problems, unnamed_rows
    from landing.secrets import HashKey

__all__ = ["BadInput", "Frames", "HashKey", "read_practice", "read_practices", "read_registry", "redact", "registry_problems",
           "unnamed_rows"]

_HOME = {
    "BadInput": "landing.errors", "redact": "landing.errors", "Frames": "landing.frames", "read_practice": "landing.practice",
    "read_practices": "landing.practice", "read_registry": "landing.registry", "registry_problems": "landing.registry",
    "unnamed_rows": "landing.registry", "HashKey": "landing.secrets",
}  # fmt: skip


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'landing' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name]), name)
    globals()[name] = value
    return value
