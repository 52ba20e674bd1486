#!/usr/bin/env bash
# macOS disk image of the console: run on a Mac after `python installer/build.py frozen`, which
# leaves "dist/Hotline Console.app". The image holds the app and a link to /Applications, so it
# installs by dragging; each person's data stays in ~/Library/Application Support.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
root=build/installer/dmg
rm -rf "$root" && mkdir -p "$root"
cp -R "dist/Hotline Console.app" "$root/"
ln -s /Applications "$root/Applications"
hdiutil create -volname "Hotline Console" -srcfolder "$root" -ov -format UDZO \
    "dist/HotlineConsole-$version-macos.dmg"
