#!/usr/bin/env bash
# The Linux installers: the frozen console folder, then the .deb and the .tar.gz made from it.
#   installer/build-linux.sh            (or: make installer)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
"$python" installer/build.py frozen deb tarball
