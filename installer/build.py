"""Build the console's installable forms.

    python installer/build.py frozen            # dist/hotline-console/ (PyInstaller, this system)
    python installer/build.py deb tarball       # Linux: .deb and .tar.gz from that folder
    python installer/build.py frozen deb tarball

``frozen`` builds the wheel, installs it (without dependencies) into a staging folder and runs
PyInstaller on ``hotline.spec`` there, so the frozen console holds exactly what the wheel holds.
Everything is written under ``build/`` and ``dist/`` at the top of the repository.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

INSTALLER = Path(__file__).resolve().parent
REPO = INSTALLER.parent
BUILD = REPO / "build" / "installer"
DIST = REPO / "dist"
FROZEN = DIST / "hotline-console"
PACKAGE = "hotline-console"
INSTALL_DIR = "/opt/hotline-console"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# Libraries that the bundled Qt (its libraries, the xcb and Wayland platform plugins) names and
# takes from the system, not the bundle: ``readelf -d`` and ``ldd`` of the bundled
# ``libQt6*.so`` and plugins (tests/installer/test_deb.py checks each comes from a package named
# here). libc6: the glibc of the build machine (Debian 12) or newer. tzdata: the service
# calendar reads the system's time zones.
DEB_DEPENDS = (
    "libc6 (>= 2.36)",
    "libxcb1", "libx11-6", "libx11-xcb1",
    "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0", "libxcb-randr0",
    "libxcb-render0", "libxcb-render-util0", "libxcb-shape0", "libxcb-shm0", "libxcb-sync1",
    "libxcb-util1", "libxcb-xfixes0", "libxcb-xkb1", "libxcb-glx0",
    "libxkbcommon0", "libxkbcommon-x11-0",
    "libegl1", "libgl1", "libdrm2",
    "libwayland-client0", "libwayland-cursor0", "libwayland-egl1",
    "libfontconfig1", "libfreetype6", "libbrotli1", "libzstd1",
    "libglib2.0-0t64 | libglib2.0-0",
    "libdbus-1-3", "libgssapi-krb5-2",
    "tzdata",
)


def version() -> str:
    return tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def run(*command: str | Path, **env: str) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, cwd=REPO,
                   env={**os.environ, **env})


def build_frozen() -> Path:
    """The one-folder console in dist/hotline-console (and the .app on macOS)."""
    wheels = BUILD / "wheel"
    stage = BUILD / "stage"
    for folder in (wheels, stage):
        shutil.rmtree(folder, ignore_errors=True)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", wheels, REPO)
    (wheel,) = wheels.glob("*.whl")
    run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
        "--target", stage, wheel)
    run(sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", DIST, "--workpath", BUILD / "pyinstaller", INSTALLER / "hotline.spec",
        HOTLINE_STAGE=str(stage))
    return FROZEN


def _architecture() -> str:
    return subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True,
                          text=True).stdout.strip()


def _desktop_entry() -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Hotline Console",
        "GenericName=Hotline call intake",
        "Comment=Take hotline calls, search referrals offline, print referral sheets",
        f"Exec={INSTALL_DIR}/hotline",
        "Icon=hotline-console",
        "Terminal=false",
        "Categories=Office;",
        "",
    ])


def _control(size_kib: int) -> str:
    return "\n".join([
        f"Package: {PACKAGE}",
        f"Version: {version()}",
        f"Architecture: {_architecture()}",
        "Maintainer: Hotline Console team <it@hotline.invalid>",
        f"Installed-Size: {size_kib}",
        "Section: misc",
        "Priority: optional",
        f"Depends: {', '.join(DEB_DEPENDS)}",
        "Description: Hotline Console workstation",
        " Workstation software for the call specialists of an anti-trafficking hotline:",
        " a guided intake, a referral directory that works offline, and printed referral",
        " sheets. Each person's data stays in their own data folder and is kept on upgrade",
        " and removal.",
        "",
    ])


def _tree_size_kib(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*") if path.is_file()) // 1024 + 1


def build_deb() -> Path:
    """dist/hotline-console_VERSION_ARCH.deb from the frozen folder."""
    if not FROZEN.is_dir():
        raise SystemExit("error: build the frozen folder first (python installer/build.py frozen)")
    root = BUILD / "deb"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(FROZEN, root / INSTALL_DIR.lstrip("/"), symlinks=True)
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "usr" / "bin" / "hotline").symlink_to(f"{INSTALL_DIR}/hotline")
    applications = root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    (applications / f"{PACKAGE}.desktop").write_text(_desktop_entry(), "utf-8")
    for size in ICON_SIZES:
        folder = root / "usr" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        shutil.copy(INSTALLER / "icons" / "png" / f"hotline-console-{size}.png",
                    folder / f"{PACKAGE}.png")
    scalable = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(INSTALLER / "icons" / "hotline-console.svg", scalable / f"{PACKAGE}.svg")
    control = root / "DEBIAN"
    control.mkdir()
    (control / "control").write_text(_control(_tree_size_kib(root)), "utf-8")
    for path in root.rglob("*"):  # the package's files belong to root and are not writable
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    deb = DIST / f"{PACKAGE}_{version()}_{_architecture()}.deb"
    # zstd: a third of the folder, in seconds (xz takes minutes); dpkg reads it since 1.21.18.
    run("dpkg-deb", "--root-owner-group", "-Zzstd", "--build", root, deb)
    return deb


def build_tarball() -> Path:
    """dist/hotline-console-VERSION-linux-ARCH.tar.gz: the frozen folder, icons and launcher."""
    if not FROZEN.is_dir():
        raise SystemExit("error: build the frozen folder first (python installer/build.py frozen)")
    archive = DIST / f"{PACKAGE}-{version()}-linux-{os.uname().machine}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
        tar.add(FROZEN, arcname=PACKAGE)
        tar.add(INSTALLER / "icons" / "hotline-console.svg", arcname=f"{PACKAGE}/{PACKAGE}.svg")
        tar.addfile(*_text_member(f"{PACKAGE}/{PACKAGE}.desktop", _desktop_entry()))
    return archive


def _text_member(name: str, text: str) -> tuple[tarfile.TarInfo, io.BytesIO]:
    data = text.encode("utf-8")
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    return info, io.BytesIO(data)


TARGETS = {"frozen": build_frozen, "deb": build_deb, "tarball": build_tarball}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="+", choices=TARGETS)
    for target in parser.parse_args(argv).targets:
        print(f"built {TARGETS[target]()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
