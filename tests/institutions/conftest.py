"""The console's browser fixtures (live server, Chromium page), shared with this area's browser tests."""

from tests.console.conftest import browser, live_server, page  # noqa: F401
