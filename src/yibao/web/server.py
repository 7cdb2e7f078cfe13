"""Serving the application under uvicorn in one or several worker processes (工作进程).

Several workers share one listening socket made here, each with its own application, engine and
connection pool (made after the fork). Not uvicorn's own ``workers=``: its supervisor creates the
socket without naming the protocol (proto 0), asyncio then does not set TCP_NODELAY on the accepted
connections, and every answer after the first on a kept-alive connection waits about 40 ms for the
client's delayed ACK. A socket opened with ``IPPROTO_TCP`` has none of that.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from typing import Any

log = logging.getLogger("yibao.server")

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
    """Run `workers` forked processes serving on `sock` until SIGTERM (or Ctrl-C) stops them all.

    A worker that dies (killed, out of memory) is replaced, so the server keeps its size; one that
    dies within seconds of its start is replaced after a pause that doubles each time (at most 30 s),
    so a worker that cannot start does not spin.
    """
    ctx = multiprocessing.get_context("fork")  # the factory runs in each child: nothing shared but the socket

    def start() -> tuple[Any, float]:
        child = ctx.Process(target=_run, args=(sock, factory, log_level), daemon=True)
        child.start()
        return child, time.monotonic()

    children = [start() for _ in range(workers)]

    def stop(*_args: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child, _started in children:
            child.terminate()
        for child, _started in children:
            child.join(timeout=20)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    pause = 0.0
    try:
        while True:
            wait([child.sentinel for child, _started in children])
            for index, (child, started) in enumerate(children):
                if child.is_alive():
                    continue
                child.join()
                pause = min(30.0, max(1.0, pause * 2)) if time.monotonic() - started < 5 else 0.0
                log.warning("server worker %s ended (exit %s): starting another", child.pid, child.exitcode)
                time.sleep(pause)
                children[index] = start()
    except KeyboardInterrupt:
        stop()


def _run(sock: socket.socket, factory: AppFactory, log_level: str) -> None:
    import uvicorn

    config = uvicorn.Config(factory(), log_level=log_level, access_log=log_level == "debug")
    uvicorn.Server(config).run(sockets=[sock])
