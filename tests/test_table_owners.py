"""One owner per table: a table's SQL (its schema steps, reads, writes and pruning) is written in
its store's module and nowhere else in the source. The scan reads every string of the source
(f-strings included) that is an SQL statement, and the tables it names."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ("core", "index", "crawler", "web", "scheduler", "settings.py", "bench", "scripts")

OWNERS = {
    "meta": "core/statedb.py",
    **dict.fromkeys(("seen", "articles", "links", "term_df", "outlets", "progress", "crawl_errors"),
                    "crawler/state.py"),
    **dict.fromkeys(("lsh_docs", "lsh_bands", "dedupe_signatures", "dedupe_bands"), "crawler/stories/copies.py"),
    "es_outbox": "index/outbox.py",
    **dict.fromkeys(("sources", "source_polls", "validators"), "core/sources.py"),
    **dict.fromkeys(("outlet_hours", "admin_notices"), "core/volume.py"),
    **dict.fromkeys(("topic_matches", "deliveries"), "crawler/alerts/store.py"),
    "owed_pages": "crawler/owed.py",
    "in_flight": "crawler/stories/in_flight.py",
}
SQLITE_OWN = {"sqlite_master", "sqlite_schema", "dbstat"}

STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|WITH)\b")
TABLE = re.compile(
    r"\b(?:FROM|INTO|JOIN|UPDATE(?:\s+OR\s+\w+)?|TABLE(?:\s+IF(?:\s+NOT)?\s+EXISTS)?"
    r"|INDEX(?:\s+IF\s+NOT\s+EXISTS)?\s+\w+\s+ON)\s+([A-Za-z_]\w*)")
NOT_TABLES = {"SET", "SELECT"}  # `ON CONFLICT ... DO UPDATE SET`, `INSERT INTO t SELECT`


def _strings(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield node.lineno, " ? ".join(v.value for v in node.values
                                          if isinstance(v, ast.Constant) and isinstance(v.value, str))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def statements() -> list[tuple[str, int, str]]:
    """(module, line, table) for every table an SQL statement of the source names."""
    found = []
    files = [p for name in SOURCE for p in ([ROOT / name] if name.endswith(".py") else (ROOT / name).rglob("*.py"))]
    for path in files:
        module = path.relative_to(ROOT).as_posix()
        for line, text in _strings(ast.parse(path.read_text(), str(path))):
            if STATEMENT.match(text):
                found += [(module, line, t) for t in TABLE.findall(text) if t.upper() not in NOT_TABLES]
    return found


def test_every_table_has_one_owner_and_only_the_owner_writes_sql_on_it():
    found = statements()
    stray = [f"{module}:{line}: {table} (owned by {OWNERS.get(table, 'nobody')})"
             for module, line, table in found
             if table not in SQLITE_OWN and OWNERS.get(table) != module]
    assert stray == [], "SQL outside its table's owner:\n" + "\n".join(stray)
    # The scan sees each owner's own statements (a scan that found nothing would pass above).
    seen_at_owner = {table for module, _, table in found if OWNERS.get(table) == module}
    assert set(OWNERS) - seen_at_owner == set()


def test_the_state_file_is_named_once():
    packages = [p for name in ("core", "index", "crawler", "web", "scheduler") for p in (ROOT / name).rglob("*.py")]
    spelled = sorted(p.relative_to(ROOT).as_posix() for p in [*packages, ROOT / "settings.py"]
                     if "state.sqlite3" in p.read_text())
    assert spelled == ["core/statedb.py"]
