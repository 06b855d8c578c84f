from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# The fuzz tests' size: bounded in the suite, longer with HYPOTHESIS_PROFILE=long (`make fuzz`).
settings.register_profile("suite", max_examples=60)
settings.register_profile("long", max_examples=3000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

sys.path.insert(0, str(Path(__file__).parent))
from outlet_server import OutletServer, serve_sample_outlets  # noqa: E402
from tests_support import Workspace  # noqa: E402


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
