"""The compose stack, its Kibana objects and the daemon's image, checked statically (no Docker
engine runs on the build machines; README "Elasticsearch and Kibana" gives the live check)."""
import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
MAPPING = json.loads((ROOT / "index" / "es" / "mapping.json").read_text())["mappings"]
OBJECTS = [json.loads(line) for line in (ROOT / "kibana" / "newswatch.ndjson").read_text().splitlines() if line]


def mapped(field: str) -> bool:
    node = {"properties": MAPPING["properties"]}
    for part in field.split("."):
        children = {**node.get("properties", {}), **node.get("fields", {})}
        if part not in children:
            return False
        node = children[part]
    return True


def test_services_images_and_order():
    assert set(SERVICES) == {"setup", "es01", "kibana", "kibana-setup", "newswatch"}
    setup = SERVICES["setup"]["image"]
    assert "elasticsearch/elasticsearch:" in (COMPOSE["x-stack-image"] if setup is None else setup)
    # es01 is the official image plus nori (Korean analysis), built from docker/elasticsearch.
    build = SERVICES["es01"]["build"]
    dockerfile = (ROOT / build["context"] / "Dockerfile").read_text()
    assert build["args"]["STACK_VERSION"] == "${STACK_VERSION:-9.1.5}" and "ARG STACK_VERSION=9." in dockerfile
    assert "FROM docker.elastic.co/elasticsearch/elasticsearch:${STACK_VERSION}" in dockerfile
    assert "elasticsearch-plugin install --batch analysis-nori" in dockerfile
    assert "kibana/kibana:${STACK_VERSION:-9." in SERVICES["kibana"]["image"]
    for name in ("setup", "es01", "kibana", "newswatch"):
        assert SERVICES[name]["healthcheck"]["test"], name
    assert SERVICES["es01"]["depends_on"]["setup"]["condition"] == "service_healthy"
    assert SERVICES["kibana"]["depends_on"]["es01"]["condition"] == "service_healthy"
    assert SERVICES["kibana-setup"]["depends_on"]["kibana"]["condition"] == "service_healthy"
    assert SERVICES["newswatch"]["depends_on"] == {"es01": {"condition": "service_healthy"},
                                                  "setup": {"condition": "service_completed_successfully"}}


def test_security_is_on_and_passwords_come_from_env():
    es = SERVICES["es01"]["environment"]
    assert es["xpack.security.enabled"] == "true" and es["xpack.security.http.ssl.enabled"] == "true"
    assert es["discovery.type"] == "single-node" and SERVICES["es01"]["mem_limit"]
    assert SERVICES["kibana"]["environment"]["ELASTICSEARCH_USERNAME"] == "kibana_system"
    assert "kibana_system/_password" in SERVICES["setup"]["command"]
    for service in SERVICES.values():
        for name, value in (service.get("environment") or {}).items():
            if "PASSWORD" in name or "KEY" in name:
                assert str(value).startswith("${"), f"{name} is written into the compose file"
    text = (ROOT / "docker-compose.yml").read_text()
    example = (ROOT / ".env.example").read_text()
    for variable in set(re.findall(r"\$\{([A-Z_]+)", text)):
        assert re.search(rf"^{variable}=", example, re.M), f"{variable} is not in .env.example"


def test_the_daemon_runs_on_elasticsearch_with_known_settings():
    import settings

    env = SERVICES["newswatch"]["environment"]
    assert env["NEWSWATCH_INDEX"] == "elasticsearch" and env["ELASTICSEARCH_URL"].startswith("https://")
    assert set(env) <= set(settings.SETTINGS_BY_NAME)
    # Values from .env stand in as a user would set them.
    example = dict(line.split("=", 1) for line in (ROOT / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    resolved = {k: re.sub(r"\$\{(\w+)[^}]*\}", lambda m: example.get(m.group(1), "x"), str(v)) for k, v in env.items()}
    config = settings.load({k: v for k, v in resolved.items() if k != "ELASTICSEARCH_CA_CERT"}, env_file="/nonexistent")
    assert config["NEWSWATCH_API_KEYS"] and config["NEWSWATCH_ADMIN_KEYS"]


def test_kibana_objects_use_fields_that_exist_in_the_mapping():
    by_id = {o["id"]: o for o in OBJECTS}
    [view] = [o for o in OBJECTS if o["type"] == "index-pattern"]
    assert view["attributes"]["title"] == "newswatch-articles"
    assert view["attributes"]["timeFieldName"] == "published_at" and mapped("published_at")
    fields = []
    for obj in OBJECTS:
        if obj["type"] == "visualization":
            fields += [a["params"]["field"] for a in json.loads(obj["attributes"]["visState"])["aggs"]
                       if "field" in a.get("params", {})]
        if obj["type"] == "search":
            fields += obj["attributes"]["columns"] + [s[0] for s in obj["attributes"]["sort"]]
        for ref in obj.get("references", []):
            assert ref["id"] in by_id, f"{obj['id']} refers to missing {ref['id']}"
    assert {"entities.person", "entities.org", "entities.place", "outlet"} <= set(fields)
    for field in fields:
        assert mapped(field), field
    [dashboard] = [o for o in OBJECTS if o["type"] == "dashboard"]
    assert len(json.loads(dashboard["attributes"]["panelsJSON"])) == len(dashboard["references"]) == 6
    # The page's attention panels: stories (copies left out) over time and by outlet.
    for panel in ("newswatch-stories-over-time", "newswatch-stories-by-outlet"):
        source = json.loads(by_id[panel]["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["query"]["query"] == "not duplicate_of : *" and mapped("duplicate_of")


def test_the_image_installs_the_lock_and_every_package():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in dockerfile
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = [pattern.rstrip("*") for pattern in found]
    copied = {word for line in dockerfile.splitlines() if line.startswith("COPY ") for word in line.split()[1:-1]}
    for top in {p.split(".")[0] for p in packages} | {"settings.py", "outlets.toml", "requirements.lock"}:
        assert top in copied, top
    assert 'CMD ["newswatch", "run"]' in dockerfile
