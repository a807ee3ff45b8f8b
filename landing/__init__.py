"""Landing-zone readers: the registry and each practice's files, as frames in landing.schema shapes."""

from landing.errors import BadInput, redact
from landing.frames import Frames
from landing.practice import read_practice, read_practices
from landing.registry import read_registry, registry_problems
from landing.secrets import HashKey

__all__ = ["BadInput", "Frames", "HashKey", "read_practice", "read_practices", "read_registry", "redact", "registry_problems"]
