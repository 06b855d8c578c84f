from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from outlet_server import OutletServer, serve_sample_outlets  # noqa: E402
from tests_support import NEWSWATCH  # noqa: E402


class Workspace:
    """A data dir, an outlets file and an environment for running `newswatch` as a user would."""

    def __init__(self, root: Path):
        self.root = root
        self.data_dir = root / "data"
        self.outlets = root / "outlets.toml"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSWATCH_", "ELASTICSEARCH_"))}
        self.env.update(NEWSWATCH_DATA_DIR=str(self.data_dir), NEWSWATCH_OUTLETS=str(self.outlets),
                        NEWSWATCH_ALLOW_PRIVATE_ADDRESSES="true", NEWSWATCH_DOWNLOAD_DELAY="0",
                        NEWSWATCH_DOWNLOAD_TIMEOUT="5", NEWSWATCH_START_STAGGER="0.5")

    def newswatch(self, *args: str, check: bool = True, timeout: float = 120, **env) -> subprocess.CompletedProcess:
        result = subprocess.run([NEWSWATCH, *args], env={**self.env, **env}, cwd=self.root,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"newswatch {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
        return result

    def json(self, *args: str, **env):
        return json.loads(self.newswatch(*args, **env).stdout)

    def config(self):
        import settings

        return settings.load(self.env, env_file=self.root / ".env")


@pytest.fixture
def outlet_server():
    with OutletServer() as server:
        yield server


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def sample_outlets(outlet_server, workspace) -> Workspace:
    workspace.outlets.write_text(serve_sample_outlets(outlet_server))
    workspace.server = outlet_server
    return workspace
