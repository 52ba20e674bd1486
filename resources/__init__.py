"""Data a hotline may change without a release, installed as ``console.resources``."""
