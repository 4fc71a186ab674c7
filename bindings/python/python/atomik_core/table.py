"""0.2.0 module path, kept for `from atomik_core.table import ...`."""

from atomik_core._native import AtomikTable

__all__ = ["AtomikTable"]
