"""The one version of newswatch: the installed package's (pyproject.toml), for `--version`, the
API document and the User-Agent."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("newswatch")
except PackageNotFoundError:  # a source tree used without `make install`
    VERSION = "0+unknown"
