"""What every command shares: exit statuses (also in `newswatch --help`), the usage error, JSON output."""
from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED, EXIT_SOURCES_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_PORT_IN_USE = 5


class UsageError(Exception):
    pass


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False) + "\n")
