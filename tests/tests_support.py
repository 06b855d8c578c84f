import sys
from pathlib import Path

NEWSWATCH = str(Path(sys.executable).parent / "newswatch")

FIXTURES = Path(__file__).parent / "fixtures"


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


def article_paragraphs(topic: str, count: int = 6) -> str:
    """Distinct paragraphs (extractors drop repeated ones, as real pages do not repeat)."""
    return "".join(f"<p>In {topic}, {SENTENCES[i % len(SENTENCES)][0].lower()}{SENTENCES[i % len(SENTENCES)][1:]}</p>"
                   for i in range(count))
