"""Landing-zone readers: the registry and each practice's files, as frames in warehouse.schema shapes."""

from warehouse.landing.errors import BadInput
from warehouse.landing.frames import Frames
from warehouse.landing.practice import read_practice
from warehouse.landing.registry import read_registry, registry_problems

__all__ = ["BadInput", "Frames", "read_practice", "read_registry", "registry_problems"]
