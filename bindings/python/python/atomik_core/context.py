"""0.2.0 module path, kept for `from atomik_core.context import ...`."""

from atomik_core._native import AtomikContext

__all__ = ["AtomikContext"]
