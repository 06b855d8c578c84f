"""Packaging stays true: every distribution the project's code imports is declared in
pyproject.toml, and one version (the package's) is what `--version`, the API and the User-Agent say."""
import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions, version
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
OWN = {"core", "crawler", "scheduler", "index", "web", "settings"}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules() -> dict[str, set[str]]:
    """Top-level modules imported by the project's packages (not the tests), with the importers."""
    files = [*(path for package in ("core", "index", "crawler", "web", "scheduler") for path in (ROOT / package).rglob("*.py")),
             ROOT / "settings.py"]
    found: dict[str, set[str]] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in OWN and top not in sys.stdlib_module_names and top != "__future__":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_distribution_is_declared():
    declared = {normalised(re.split(r"[\[<>=!~; ]", requirement)[0]) for requirement in PROJECT["dependencies"]}
    providers = packages_distributions()
    undeclared = {}
    for module, importers in imported_modules().items():
        distributions = {normalised(d) for d in providers.get(module, [])}
        assert distributions, f"{module} (imported by {sorted(importers)}) is not installed"
        if not distributions & declared:
            undeclared[module] = (sorted(distributions), sorted(importers))
    assert not undeclared, f"imported but not declared in pyproject.toml dependencies: {undeclared}"


def test_one_version_everywhere(tmp_path):
    import settings
    from core.statedb import StateDB
    from crawler.state import CrawlState
    from web.api import create_app
    from web.context import ApiContext
    from index.tantivy.backend import TantivyBackend

    installed = version("newswatch")
    assert installed == PROJECT["version"]
    printed = subprocess.run([sys.executable, "-m", "scheduler.cli", "--version"], capture_output=True, text=True,
                             cwd=tmp_path, check=True, timeout=120).stdout
    assert printed.strip() == f"newswatch {installed}"
    app = create_app(ApiContext(backend=TantivyBackend(tmp_path / "index"),
                                state=CrawlState(StateDB(tmp_path / "state.sqlite3")), outlets=lambda: {}))
    assert TestClient(app).get("/openapi.json").json()["info"]["version"] == installed
    assert settings.load({}, env_file="/nonexistent")["NEWSWATCH_USER_AGENT"].startswith(f"newswatch/{installed} ")
