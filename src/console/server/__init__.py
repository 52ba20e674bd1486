"""The central server: users and roles, the directory with its change feed, and cases."""
