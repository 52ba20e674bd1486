"""The house rules that keep the services testable without a screen and the code readable from
the bottom up: only ``console.ui`` uses Qt, imports go downward, the window never touches
SQLAlchemy, migrations are frozen."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

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


# --- imports go downward ---------------------------------------------------------------------

SOURCE = Path(console.__file__).parent

# Lowest first. A module imports from its own layer and the layers below it, never from one above
# (whether at the top of the file, inside a function or only for type checking). The longest
# matching name decides a module's layer; a subcommand module (``*.cli``) sits with the command
# line, at the top.
LAYERS: tuple[tuple[str, ...], ...] = (
    # foundations: no console import but each other
    ("console", "console.errors", "console.settings", "console.tasks", "console.terminal",
     "console.logs", "console.security.files"),
    # storage and keys
    ("console.models", "console.security"),
    # the domain: cases, the referral directory, the intake protocol, the demo accounts
    ("console.cases", "console.directory", "console.protocol", "console.demo",
     "console.security.people"),
    # what is built on the domain: the call desk, paper, sync, the server, the support file
    ("console.intake", "console.printing", "console.sync", "console.server", "console.support"),
    # the composition root and the built-in server
    ("console.app", "console.embedded"),
    # what a person works with: the window and the command line
    ("console.ui", "console.cli", "console.__main__"),
)
TOP = len(LAYERS) - 1


def layer_of(module: str) -> int:
    if module.endswith(".cli"):
        return TOP
    best, layer = "", -1
    for number, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, layer = name, number
    assert layer >= 0, f"{module} is in no layer: add it to LAYERS"
    return layer


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[str]:
    """Every absolute module name ``path`` imports, wherever the import statement is."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            # ``from console import settings`` imports the module console.settings
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def live_modules() -> list[Path]:
    return [path for path in sorted(SOURCE.rglob("*.py")) if "migrations" not in path.parts]


def is_module(name: str) -> bool:
    folder = SOURCE.parent.joinpath(*name.split("."))
    return folder.with_suffix(".py").is_file() or (folder / "__init__.py").is_file()


def test_every_module_imports_only_its_own_layer_and_those_below() -> None:
    upward = []
    for path in live_modules():
        importer = module_name(path)
        for imported in imported_modules(path):
            is_console = imported == "console" or imported.startswith("console.")
            if (is_console and is_module(imported)  # not a name imported from a module
                    and layer_of(imported) > layer_of(importer)):
                upward.append(f"{importer} imports {imported}")
    assert len(live_modules()) > 100
    assert upward == [], "imports from a higher layer:\n" + "\n".join(sorted(set(upward)))


def test_the_layer_rule_catches_an_upward_import() -> None:
    assert layer_of("console.cases.store") > layer_of("console.models.cases")
    assert layer_of("console.ui.main_window") > layer_of("console.app")
    assert layer_of("console.server.cli") == TOP > layer_of("console.server.app")


def test_the_window_never_touches_sqlalchemy() -> None:
    """Screens show what the services read; queries and engines stay below the window."""
    found = [f"{module_name(path)} imports {imported}" for path in live_modules()
             if module_name(path).startswith("console.ui")
             for imported in imported_modules(path) if imported.split(".")[0] == "sqlalchemy"]
    assert found == []


# Server 0004 sends every confidential address again through the server's scrubbing as it is when
# the server is upgraded: the point is today's scrubbed form, not the one of its revision.
RESENDS_THROUGH_LIVE_SCRUBBING = {"server/0004_confidential_places.py imports "
                                  "console.server.directory"}


def test_migrations_import_no_live_code() -> None:
    """A migration is frozen as of its revision: the console's modules change after it."""
    versions = sorted((SOURCE / "models" / "migrations").glob("*/versions/*.py"))
    found = {f"{path.parent.parent.name}/{path.name} imports {imported}" for path in versions
             for imported in imported_modules(path)
             if imported.split(".")[0] == "console" and is_module(imported)}
    assert len(versions) >= 5
    assert found == RESENDS_THROUGH_LIVE_SCRUBBING


def test_the_readme_layout_names_every_part_of_the_package() -> None:
    readme = (SOURCE.parents[1] / "README.md").read_text("utf-8")
    layout = readme[readme.index("## Layout"):]
    layout = layout[:layout.index("\n## ")]
    parts = [f"{path.name}/" if path.is_dir() else path.name for path in SOURCE.iterdir()
             if (path.is_dir() and (path / "__init__.py").is_file())
             or (path.suffix == ".py" and path.name != "__init__.py")]
    assert len(parts) > 15
    assert [part for part in parts if part not in layout] == []
