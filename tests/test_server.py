"""`yibao serve --workers N`: several server processes on one listening socket (web/server.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from yibao.bootstrap import Container
from yibao.web.server import listening_socket


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_shared_socket_names_tcp_so_answers_are_not_held_for_the_delayed_ack() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose protocol is TCP; uvicorn's own supervisor makes
    its socket with protocol 0, which costs every kept-alive answer about 40 ms."""
    sock = listening_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
    finally:
        sock.close()


def test_yibao_serve_with_two_workers_answers_replaces_a_dead_worker_and_stops_on_sigterm(
    cli_env: Container, tmp_path: Path
) -> None:
    port = _free_port()
    log = (tmp_path / "serve.log").open("wb")
    command = [sys.executable, "-c", "from yibao.cli import main; main()", "serve", "--no-setup"]
    server = subprocess.Popen(
        [*command, "--workers", "2", "--port", str(port)],
        env=os.environ.copy(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        workers = _children(server.pid)
        assert len(workers) >= 2  # the two workers (and multiprocessing's own helper, if any)
        with httpx.Client(base_url=base) as client:  # one kept-alive connection
            started = time.perf_counter()
            answers = [client.get("/healthz") for _ in range(20)]
            elapsed = time.perf_counter() - started
        assert [a.json() for a in answers] == [{"status": "ok"}] * 20
        # A delayed-ACK stall would make this at least 20 × 40 ms = 0.8 s; it takes a few ms.
        assert elapsed < 0.5, f"20 kept-alive requests took {elapsed:.3f} s"
        # A worker that dies is replaced: the server keeps its size and goes on answering.
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (len(_children(server.pid) - {killed}) >= len(workers) and not _alive(killed)):
            assert time.monotonic() < deadline, "no worker replaced the one that died"
            time.sleep(0.1)
        replaced = _children(server.pid)
        assert killed not in replaced and len(replaced - workers) == 1
        deadline = time.monotonic() + 60
        while True:  # the new worker builds its application; the other one answers meanwhile
            try:
                assert httpx.get(f"{base}/healthz", timeout=2).json() == {"status": "ok"}
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        workers = replaced
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        log.close()
    assert code == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
