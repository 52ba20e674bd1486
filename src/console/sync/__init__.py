"""Keeping workstation and central server in step: pull directory and cases, push cases."""
