"""Tools for the people who build the console, never shipped with it."""
