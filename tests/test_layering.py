"""The house's arrows run one way (pyproject's [tool.importlinter] contracts), and settings.py,
which import-linter cannot take as a root (a module, not a package), imports only core."""
import ast
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_settings_import_nothing_of_ours_but_core():
    tree = ast.parse((ROOT / "settings.py").read_text())
    ours = {"core", "index", "crawler", "web", "scheduler"}
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert {name for name in imported if name.split(".")[0] in ours - {"core"}} == set()
