"""Hotline Console: workstation software for anti-trafficking hotline call specialists."""

__version__ = "0.1.0"
