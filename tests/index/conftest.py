from backend_fixture import backend  # noqa: F401  (the fixture, shared by tests/index and tests/web)
