"""Schema Registry compatibility modes (apart from :mod:`sqlingest.registry.compat`, so that the command line can
list them without importing the checks)."""

from __future__ import annotations

from enum import Enum


class Mode(str, Enum):
    """Schema Registry compatibility modes."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def transitive(self) -> bool:
        """Whether the mode checks against every earlier version rather than only the latest."""
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        """Whether the new schema must read data written with the old ones."""
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        """Whether the old schemas must read data written with the new one."""
        return self.value.startswith(("FORWARD", "FULL"))
