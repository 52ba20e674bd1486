"""Packages of the wheel (the rest of the metadata is in pyproject.toml).

``resources/`` stays at the top of the repository, where a hotline edits its data, and is
installed as the package ``console.resources``; pyproject.toml cannot add a mapped package to
the ones it finds, so the list is made here.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("src"), "console.resources"],
    package_dir={"": "src", "console.resources": "resources"},
)
