"""The roles a server account may have: what each is let do is decided in ``server.app``.

Kept apart from ``server.auth`` so the command line can offer them without loading the
password hashing and token code.
"""

ROLES = ("specialist", "supervisor", "admin")
