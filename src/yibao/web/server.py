"""Serving the application under uvicorn in one or several worker processes (工作进程).

Several workers share one listening socket made here, each with its own application, engine and
connection pool (made after the fork). Not uvicorn's own ``workers=``: its supervisor creates the
socket without naming the protocol (proto 0), asyncio then does not set TCP_NODELAY on the accepted
connections, and every answer after the first on a kept-alive connection waits about 40 ms for the
client's delayed ACK. A socket opened with ``IPPROTO_TCP`` has none of that.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

AppFactory = Callable[[], Any]  # builds the ASGI application of one worker


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port and listening, shared by the workers."""
    sock = socket.socket(
        socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def serve(factory: AppFactory, *, host: str, port: int, workers: int = 1, log_level: str = "info") -> None:
    """Serve the application of `factory` on host:port in `workers` processes until stopped (SIGTERM or
    Ctrl-C stops every worker). With one worker it runs in this process."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    sock = listening_socket(host, port)
    if workers == 1:
        _run(sock, factory, log_level)
        return
    serve_socket(sock, factory, workers=workers, log_level=log_level)


def serve_socket(
    sock: socket.socket, factory: AppFactory, *, workers: int, log_level: str = "warning"
) -> None:
    """Run `workers` forked processes serving on `sock`, and wait for them; SIGTERM stops them all."""
    ctx = multiprocessing.get_context("fork")  # the factory runs in each child: nothing shared but the socket
    children = [
        ctx.Process(target=_run, args=(sock, factory, log_level), daemon=True) for _ in range(workers)
    ]
    for child in children:
        child.start()

    def stop(*_args: object) -> None:
        for child in children:
            child.terminate()
        for child in children:
            child.join(timeout=20)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        stop()


def _run(sock: socket.socket, factory: AppFactory, log_level: str) -> None:
    import uvicorn

    config = uvicorn.Config(factory(), log_level=log_level, access_log=log_level == "debug")
    uvicorn.Server(config).run(sockets=[sock])
