from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str, base: str = "https://www.rfa.org") -> bytes:
    return (FIXTURES / name).read_text(encoding="utf-8").replace("{base}", base).replace(
        "{recent}", "2025-11-05T12:00:00+00:00").encode("utf-8")
