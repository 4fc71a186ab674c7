"""0.2.0 module path, kept for `from atomik_core.fingerprint import ...`."""

from atomik_core._native import Fingerprint, PositionalFingerprint

__all__ = ["Fingerprint", "PositionalFingerprint"]
