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
sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
import es_node  # noqa: E402
from outlet_server import OutletServer, serve_sample_outlets  # noqa: E402
from tests_support import Workspace  # noqa: E402

# Elasticsearch: the tests marked `elasticsearch` run against ELASTICSEARCH_URL. With
# ES_NODE_START=1 and no URL, the suite starts its own node (scripts/es_node.py: needs Java
# >= 21 and the cached distribution or Maven) and stops it at the end. ES_NODE_DIR names a
# node started by scripts/es_node.py for this run: only then may the fault tests kill it.
_own_node: es_node.Node | None = None


def pytest_configure(config):
    global _own_node
    if os.environ.get("ES_NODE_START") == "1" and not os.environ.get("ELASTICSEARCH_URL"):
        reason = es_node.available()
        if reason is None:
            _own_node = es_node.Node(security=True).__enter__()
            os.environ.update(_own_node.environment())
        else:
            os.environ["ES_NODE_UNAVAILABLE"] = reason


def pytest_unconfigure(config):
    if _own_node is not None:
        _own_node.remove()


def elasticsearch_status() -> str:
    url = os.environ.get("ELASTICSEARCH_URL")
    if url:
        killable = "the fault tests may restart it" if killable_node_reason() is None else killable_node_reason()
        return f"Elasticsearch tests run against {url} ({killable})"
    why = os.environ.get("ES_NODE_UNAVAILABLE") or es_node.available()
    return ("Elasticsearch tests skipped: ELASTICSEARCH_URL is not set; " +
            (f"no node can be started here ({why})" if why else
             "start a node for them with `make test-es` (or ES_NODE_START=1)"))


def killable_node_reason() -> str | None:
    """None when the node at ELASTICSEARCH_URL may be killed and restarted, else why not."""
    directory = os.environ.get("ES_NODE_DIR")
    if not directory or not (Path(directory) / "node.json").exists():
        return "a node this suite did not start: node-killing tests skip (run them with `make test-es`)"
    if es_node.Node.attach(directory).url != os.environ.get("ELASTICSEARCH_URL"):
        return "ES_NODE_DIR is not the node at ELASTICSEARCH_URL: node-killing tests skip"
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m selection reads the marks
def pytest_collection_modifyitems(config, items):
    # `make test` spreads the tests over every core (pytest-xdist), then runs the tests that kill
    # and restart the shared Elasticsearch node on their own: next to them, every other test
    # using the node would find it gone. (pytest 9.2 ignores the test ids xdist's --dist
    # loadgroup rewrites, so a group cannot keep them apart.)
    for item in items:
        if "es_node_control" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.restarts_node)


def pytest_report_header(config):
    return elasticsearch_status()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(elasticsearch_status())


@pytest.fixture(scope="session")
def es_node_control() -> es_node.Node:
    """The live node itself, to kill and restart (only a node started for this run)."""
    if not os.environ.get("ELASTICSEARCH_URL"):
        pytest.skip("ELASTICSEARCH_URL is not set")
    reason = killable_node_reason()
    if reason:
        pytest.skip(reason)
    return es_node.Node.attach(os.environ["ES_NODE_DIR"])


@pytest.fixture
def outlet_server():
    with OutletServer() as server:
        yield server


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture
def no_entities(workspace):
    """For tests that assert nothing about entities: the workspace's CLI runs and daemons load no
    spaCy model (seconds each). A fixture that starts a daemon asks for it first when the test names it."""
    workspace.env["NEWSWATCH_NER_MODELS"] = ""


@pytest.fixture
def sample_outlets(outlet_server, workspace) -> Workspace:
    workspace.outlets.write_text(serve_sample_outlets(outlet_server))
    workspace.server = outlet_server
    return workspace
