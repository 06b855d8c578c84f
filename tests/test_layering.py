"""The house's arrows run one way and never in a circle: pyproject's [tool.importlinter]
contracts, run with the suite. (settings.py is a module, which import-linter cannot take as a
root: tests/test_settings.py checks it imports only core.)"""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# In a process of its own: grimp reads the code, but import-linter imports the root packages, and
# a test process has had the reactor installed and modules patched by the tests before this one.
LINT = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(sys.argv[1], no_cache=True, no_logo=True))"


def test_the_import_contracts_hold():
    run = subprocess.run([sys.executable, "-c", LINT, str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
