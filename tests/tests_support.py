import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

NEWSWATCH = str(Path(sys.executable).parent / "newswatch")

FIXTURES = Path(__file__).parent / "fixtures"


# Two article pages of the sample outlets (outlet_server.serve_sample_outlets).
SAMPLE_PAGES = {
    "rfa": "/english/korea/2025/11/03/zelensky-north-korean-soldiers-captured/",
    "newsweek": "/north-korea-war-certificates-soldiers-killed-russia-10987654",
}


def logged_errors(ws) -> str:
    """The crawl errors the workspace's state database recorded, as one line."""
    state = sqlite3.connect(ws.data_dir / "state.sqlite3")
    return " | ".join(m for (m,) in state.execute("SELECT COALESCE(url, '') || ' ' || message FROM crawl_errors"))


# The extraction tests' small pages (tests/crawler/test_extract_*): one address, one crawl time,
# enough report paragraphs to be an article.
EXAMPLE_URL = "https://www.example-news.test/politics/story-123"
EXAMPLE_NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
REPORT_PARAGRAPHS = [
    f"Paragraph {n} of the report: the council met on Tuesday and voted on the harbour plan, which "
    f"residents had opposed for months because of the noise and the traffic it would bring to town."
    for n in range(1, 9)
]


def json_ld(obj) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def wait_until(condition, what: str, timeout: float = 60, interval: float = 0.05):
    """Polls `condition` until it is true and returns its value; a test waiting on something that
    never happens fails after `timeout` seconds naming `what`, instead of hanging the suite."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def fixture_bytes(name: str, base: str = "https://www.rfa.org") -> bytes:
    return (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", base).replace(
        "{recent}", "2025-11-05T12:00:00+00:00").encode("utf-8")

SENTENCES = [
    "Officials said the strike hit the regional power grid shortly after midnight.",
    "Repair crews worked through the morning to restore electricity to hospitals and schools.",
    "The governor urged residents to stay in shelters while air-raid sirens sounded again.",
    "Military analysts said the attack followed a pattern seen across the front this autumn.",
    "Local authorities reported no casualties but warned that damage assessments were continuing.",
    "Aid groups delivered generators and blankets to villages closest to the border.",
    "Neighbouring towns opened heating points for families left without power.",
    "The defence ministry said air defences had intercepted most of the incoming drones.",
]


VOCABULARY = """officials residents soldiers drones missiles power grid hospital school bridge railway station
village town city border river forest factory depot warehouse convoy shelter siren generator water heating
repair crews engineers volunteers doctors teachers farmers drivers police council governor mayor minister army
attack strike shelling fire damage blast explosion alert evacuation curfew checkpoint trench artillery tank
morning evening night overnight weekend autumn winter spring summer yesterday today tomorrow earlier later
said reported confirmed denied warned urged promised announced estimated counted restored opened closed
several dozens hundreds thousands many few some most no new old heavy light long short major minor local
regional national foreign northern southern eastern western central nearby distant remaining damaged""".split()


def article_paragraphs(topic: str, count: int = 6) -> str:
    """Distinct, deterministic paragraphs per topic: different topics share no run of words, so
    that test stories are not near-duplicates of each other (extractors drop repeated paragraphs,
    and the dedupe stage links copies)."""
    import random

    rng = random.Random(topic)
    paragraphs = []
    for _ in range(count):
        sentences = [" ".join(rng.choice(VOCABULARY) for _ in range(14)) for _ in range(2)]
        paragraphs.append(f"<p>In {topic}, " + ". ".join(s.capitalize() for s in sentences) + ".</p>")
    return "".join(paragraphs)


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


def korean_feed(base: str, items: list[tuple[str, str, str, list[str]]]) -> str:
    """An Arc-XP-shaped Korean RSS feed (RFA Korean's) whose items carry their full text in
    content:encoded: (slug, title, ISO date, paragraphs) each, linked as {base}/korean/{slug}."""
    from email.utils import format_datetime
    from datetime import datetime

    entries = "".join(
        f"<item><title><![CDATA[{title}]]></title><link>{base}/korean/{slug}</link>"
        f"<guid isPermaLink=\"true\">{base}/korean/{slug}</guid>"
        f"<pubDate>{format_datetime(datetime.fromisoformat(date.replace('Z', '+00:00')))}</pubDate>"
        f"<content:encoded><![CDATA[{''.join(f'<p>{p}</p>' for p in paragraphs)}]]></content:encoded></item>"
        for slug, title, date, paragraphs in items)
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>RFA 한국어</title>'
            f"<link>{base}/korean/</link><language>ko</language>{entries}</channel></rss>")


def page(title: str, published: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='en'><head><title>{title}</title><meta property='article:published_time' "
            f"content='{published}'></head><body><article><h1>{title}</h1>{body}</article></body></html>")
