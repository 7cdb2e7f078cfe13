"""The console's browser fixtures, shared with the catalog walk-through."""

from tests.console.conftest import browser, live_server, page  # noqa: F401  (pytest fixtures)
