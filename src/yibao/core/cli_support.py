"""Helpers shared by the business areas' command-line entry points."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console

from yibao.domain.errors import BusinessError

console = Console()
err_console = Console(stderr=True)

EXIT_REFUSED = 2


class RefusedError(SystemExit):
    """Leaves the command with exit code 2 after a business refusal was printed."""


@contextmanager
def refusals() -> Iterator[None]:
    """Print a BusinessError as `错误 CODE: message` (one line per field) and exit with code 2."""
    try:
        yield
    except BusinessError as exc:
        for field_error in exc.errors or []:
            err_console.print(f"[red]错误 {field_error.code}[/red]: {field_error.message}")
        if not exc.errors:
            err_console.print(f"[red]错误 {exc.code}[/red]: {exc.message}")
        raise RefusedError(EXIT_REFUSED) from exc
