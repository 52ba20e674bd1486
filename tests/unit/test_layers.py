"""The house rule that keeps the services testable without a screen: only ``console.ui`` uses Qt."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import console


def test_no_module_outside_the_ui_imports_qt() -> None:
    modules = [m.name for m in pkgutil.walk_packages(console.__path__, "console.")
               if not m.name.startswith("console.ui") and ".migrations" not in m.name
               and m.name != "console.__main__"]  # the entry point opens the window
    script = ("import importlib, sys\n"
              f"for name in {modules!r}:\n"
              "    importlib.import_module(name)\n"
              "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n")
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert len(modules) > 30
    assert found == "[]", f"Qt imported by a service module: {found}"


def test_head_revisions_read_from_the_files_agree_with_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from console.models.database import MIGRATIONS, head_revision

    for tree in ("directory", "cases", "server"):
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS / tree))
        assert head_revision(tree) == ScriptDirectory.from_config(config).get_current_head()
