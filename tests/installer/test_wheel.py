"""The wheel carries everything: installed into a fresh virtual environment outside the
checkout, the console finds its protocol, demo directory, fonts and style there."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.installer.installed import REPO, Installed, building_in_the_checkout, check_installation


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
                   check=True, timeout=900)


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    with building_in_the_checkout():
        _pip(Path(sys.executable), "wheel", "--no-deps", "--wheel-dir", str(wheels), str(REPO))
    (wheel,) = wheels.glob("*.whl")
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    _pip(python, "install", str(wheel))

    where = subprocess.run(
        [str(python), "-c", "import console, console.settings as s; "
                            "print(console.__file__); print(s.resources_dir())"],
        cwd=tmp_path, capture_output=True, text=True, check=True, env={"PATH": "/usr/bin"})
    for line in where.stdout.splitlines():
        assert Path(line).is_relative_to(environment), line  # not the checkout's files

    check_installation(Installed(environment / "bin" / "hotline", tmp_path,
                                 path=f"{environment / 'bin'}:/usr/bin:/bin"))
