"""The house's arrows run one way and never in a circle: pyproject's [tool.importlinter]
contracts, run with the suite. (settings.py is a module, which import-linter cannot take as a
root: tests/test_settings.py checks it imports only core.)"""
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0
