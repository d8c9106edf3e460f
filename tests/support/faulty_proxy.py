"""A small, deliberately unreliable TCP proxy on loopback, for sync fault-injection tests.

It sits between the HTTP client and the real server and, for each request/response
exchange on a connection (seeded random draws), either

- passes it through, possibly after a short delay;
- **drops it before** forwarding: the connection is closed, the server never sees it;
- **drops it after** the server answered: the request is forwarded and handled, the
  answer is thrown away and the connection closed — the client cannot know it landed;
- **stalls** it: forwards the request, then holds the answer longer than the client
  waits, so the client's read timeout fires after the server handled it.

An exchange starts with the first client bytes after the previous answer, so keep-alive
connections get a fresh draw for every request. ``down()`` makes it close every new
connection at once (a server that cannot be reached); ``up()`` reverses that.
Threads and blocking sockets only; no HTTP parsing.
"""

from __future__ import annotations

import contextlib
import random
import selectors
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType


class Fault(Enum):
    PASS = "pass"
    DELAY = "delay"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"
    STALL = "stall"


@dataclass
class FaultPlan:
    """Probabilities of each fault per exchange; the remainder passes untouched."""

    drop_before: float = 0.15
    drop_after: float = 0.15
    delay: float = 0.2
    stall: float = 0.0
    max_delay_seconds: float = 0.03
    stall_seconds: float = 1.0

    def draw(self, rng: random.Random) -> Fault:
        roll = rng.random()
        for fault, probability in (
            (Fault.DROP_BEFORE, self.drop_before),
            (Fault.DROP_AFTER, self.drop_after),
            (Fault.STALL, self.stall),
            (Fault.DELAY, self.delay),
        ):
            if roll < probability:
                return fault
            roll -= probability
        return Fault.PASS


@dataclass
class ProxyStats:
    exchanges: Counter[Fault] = field(default_factory=Counter)
    refused_while_down: int = 0

    @property
    def total(self) -> int:
        return sum(self.exchanges.values())

    @property
    def dropped(self) -> int:
        return (
            self.exchanges[Fault.DROP_BEFORE]
            + self.exchanges[Fault.DROP_AFTER]
            + self.exchanges[Fault.STALL]
        )


class FaultyProxy:
    """Listens on 127.0.0.1 (a free port unless given) and forwards to ``target``."""

    def __init__(
        self,
        target: tuple[str, int],
        rng: random.Random,
        plan: FaultPlan | None = None,
        port: int = 0,
    ) -> None:
        self.target = target
        self.plan = plan if plan is not None else FaultPlan()
        self.stats = ProxyStats()
        self._rng = rng
        self._rng_lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", port), reuse_port=False)
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._closing = threading.Event()
        self._down = threading.Event()
        self._threads: list[threading.Thread] = []
        self._open_sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        self._acceptor = threading.Thread(
            target=self._accept_loop, name="faulty-proxy", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultyProxy:
        self._acceptor.start()
        return self

    def down(self) -> None:
        """Every new connection is closed at once, and open ones are cut."""
        self._down.set()
        self._cut_open_connections()

    def up(self) -> None:
        self._down.clear()

    def close(self) -> None:
        self._closing.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        self._cut_open_connections()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultyProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- internals -----------------------------------------------------------------

    def _draw(self) -> tuple[Fault, float]:
        with self._rng_lock:
            fault = self.plan.draw(self._rng)
            delay = self._rng.uniform(0, self.plan.max_delay_seconds)
            self.stats.exchanges[fault] += 1
        return fault, delay

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._down.is_set():
                self.stats.refused_while_down += 1
                _close(client)
                continue
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
            thread.start()

    def _track(self, *sockets: socket.socket) -> None:
        with self._sockets_lock:
            self._open_sockets.update(sockets)

    def _untrack(self, *sockets: socket.socket) -> None:
        with self._sockets_lock:
            self._open_sockets.difference_update(sockets)
        for sock in sockets:
            _close(sock)

    def _cut_open_connections(self) -> None:
        with self._sockets_lock:
            sockets = list(self._open_sockets)
        for sock in sockets:
            _close(sock)

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._untrack(client)
            return
        self._track(upstream)
        try:
            self._pump(client, upstream)
        except OSError:
            pass  # either side went away; the client sees a broken connection
        finally:
            self._untrack(client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        fault: Fault | None = None  # the draw for the exchange in progress
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, "client")
            selector.register(upstream, selectors.EVENT_READ, "upstream")
            while not self._closing.is_set() and not self._down.is_set():
                for key, _ in selector.select(timeout=0.05):
                    chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not chunk:
                        return
                    if key.data == "client":
                        if fault is None:
                            fault, delay = self._draw()
                            if fault is Fault.DROP_BEFORE:
                                return
                            if fault is Fault.DELAY:
                                time.sleep(delay)
                        upstream.sendall(chunk)
                    else:
                        if fault is Fault.DROP_AFTER:
                            return
                        if fault is Fault.STALL:
                            time.sleep(self.plan.stall_seconds)
                            return
                        client.sendall(chunk)
                        fault = None  # the next client bytes start a new exchange


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
