"""Keeping secrets safe on a shared workstation: server sign-in tokens and the like."""
