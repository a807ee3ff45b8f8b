"""Landing-zone readers: the registry and each practice's files, as frames in landing.schema shapes."""

from landing.errors import BadInput
from landing.frames import Frames
from landing.practice import read_practice
from landing.registry import read_registry, registry_problems

__all__ = ["BadInput", "Frames", "read_practice", "read_registry", "registry_problems"]
