"""Single-slot PUTs arriving together on SQLite are stored in one transaction (group
commit), and each is answered as if it had come alone: a refused or conflicting PUT
leaves the others, two PUTs of one slot are a 201 and a 200, and every answer comes
after the COMMIT that stored it.

The test holds SQLite's write lock from outside while the PUTs arrive, so they queue
behind one another; authorization only reads, so it goes on meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import event

from billing.access import BearerCaller
from billing.db.models import Role
from billing.domain.slots import SlotBody
from billing.services.slot_ingest import SlotPuts
from tests.billing.support import Backend, iso, slot_body
from tracker.clock import utc

NOW = utc(2026, 11, 4, 12)
FIRST = utc(2026, 11, 3, 9)


def _sent_while_locked(backend: Backend, sends: list[Callable[[], Any]]) -> list[int]:
    """Run ``sends`` at once while another connection holds SQLite's write lock, so the
    PUTs queue behind it; return the commits counted from then on. Nothing may be
    answered before the lock is given back."""
    database = backend.settings.url.split("///", 1)[1]
    blocker = sqlite3.connect(database, isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    commits = backend.engine_events("commit")
    answered: list[bool] = []

    def run(send: Callable[[], Any]) -> None:
        send()
        answered.append(True)

    threads = [threading.Thread(target=run, args=(send,)) for send in sends]
    for thread in threads:
        thread.start()
    time.sleep(3)  # let them authorize and queue
    assert not answered, "answered before anything committed"
    blocker.execute("ROLLBACK")
    blocker.close()
    for thread in threads:
        thread.join(timeout=60)
    return commits


def test_puts_arriving_together_are_answered_as_if_alone(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client = backend.user("client")
    freelancers = [backend.user("freelancer") for _ in range(6)]
    contracts = [backend.hourly(client, f, cap_hours=None) for f in freelancers]
    backend.clock.set(NOW)
    week = {"week": "2026-11-03"}
    for freelancer, contract in zip(freelancers, contracts, strict=True):
        # a use renews the token now (a write), not while the PUTs queue
        backend.request("GET", f"/contracts/{contract}/diary", freelancer, params=week)
    held = slot_body(10, memo="held", client_now=NOW)
    first = backend.put_slot_as(backend.tokens[freelancers[0].id], contracts[0], FIRST, held)
    assert first.status_code == 201, first.text

    # (freelancer index, slot start, body) → the status it must get
    cases = [
        (0, FIRST, slot_body(10, memo="other", client_now=NOW), 409),  # a different body
        (0, FIRST, held, 200),  # the same body again
        (1, FIRST, slot_body(10, client_now=NOW), None),
        (1, FIRST, slot_body(10, client_now=NOW), None),  # the same slot twice: 201 + 200
        (2, NOW + timedelta(hours=1), slot_body(10, client_now=NOW), 422),  # the future
        (3, FIRST, slot_body(10, client_now=NOW), 201),
        (4, FIRST + timedelta(minutes=10), slot_body(7, client_now=NOW), 201),
        (5, FIRST, slot_body(10, client_now=NOW), 201),
    ]
    answers: list[Any] = [None] * len(cases)

    def send(index: int) -> None:
        who, start, body, _ = cases[index]
        token = backend.tokens[freelancers[who].id]
        answers[index] = backend.put_slot_as(token, contracts[who], start, body)

    commits = _sent_while_locked(backend, [partial(send, i) for i in range(len(cases))])

    statuses = [answer.status_code for answer in answers]
    for (_, _, _, wanted), status in zip(cases, statuses, strict=True):
        assert wanted is None or status == wanted, (statuses, [a.text for a in answers])
    assert sorted(statuses[2:4]) == [200, 201], statuses
    assert "different body" in answers[0].json()["detail"]
    # the first PUT commits alone, the ones queued behind it together (one PUT late: 3)
    assert len(commits) <= 3 < len(cases), commits

    for who, minutes in ((0, 10), (1, 10), (2, 0), (3, 10), (4, 7), (5, 10)):
        path = f"/contracts/{contracts[who]}/diary"
        diary = backend.request("GET", path, freelancers[who], params=week).json()
        assert diary["logged_minutes"] == minutes, (who, diary)
    assert answers[6].json()["week_logged_minutes"] == 7


def test_puts_stored_together_split_over_their_own_contracts_caps(
    sqlite_backend: Backend,
) -> None:
    # the group reads every contract's cap at once: each PUT still meets its own
    backend = sqlite_backend
    client = backend.user("client")
    freelancers = [backend.user("freelancer") for _ in range(3)]
    caps = [1, 2, None]  # hours
    contracts = [
        backend.hourly(client, f, cap_hours=cap) for f, cap in zip(freelancers, caps, strict=True)
    ]
    backend.clock.set(NOW)
    for freelancer, contract in zip(freelancers, contracts, strict=True):
        for index in range(6):  # an hour logged on each: the first contract's cap is full
            start = FIRST + timedelta(minutes=10 * index)
            body = slot_body(10, client_now=NOW)
            stored = backend.put_slot_as(backend.tokens[freelancer.id], contract, start, body)
            assert stored.status_code == 201, stored.text
    answers: list[Any] = [None] * len(contracts)

    def send(index: int) -> None:
        token = backend.tokens[freelancers[index].id]
        start, body = FIRST + timedelta(hours=1), slot_body(10, client_now=NOW)
        answers[index] = backend.put_slot_as(token, contracts[index], start, body)

    commits = _sent_while_locked(backend, [partial(send, i) for i in range(len(contracts))])

    assert [answer.status_code for answer in answers] == [201, 201, 201], answers
    assert len(commits) < len(contracts), commits  # stored together
    assert [answer.json()["over_limit_minutes"] for answer in answers] == [10, 0, 0]
    assert [answer.json()["week_logged_minutes"] for answer in answers] == [70, 70, 70]


def test_a_lead_that_cannot_run_leaves_no_put_waiting(sqlite_backend: Backend) -> None:
    # the thread that stores the group is refused (a shutting-down threadpool): the PUT
    # waiting for it is answered with an error, and the next PUT leads and is stored
    backend = sqlite_backend
    freelancer = backend.user("freelancer")
    contract = backend.hourly(backend.user("client"), freelancer)
    puts: SlotPuts = backend.client.app.state.slot_puts  # type: ignore[attr-defined]
    body = SlotBody(10, ((1, 1),) * 10, "work", False, None, None, None, client_now=NOW)
    caller = BearerCaller(
        backend.tokens[freelancer.id], contract, frozenset({Role.FREELANCER}), "PUT",
        f"/api/v1/contracts/{contract}/slots/{iso(FIRST)}", NOW,
    )

    async def no_thread(work: Callable[[], Any]) -> Any:
        raise RuntimeError("no worker thread")

    async def in_thread(work: Callable[[], Any]) -> Any:
        return await asyncio.to_thread(work)

    async def two_puts() -> tuple[BaseException | None, bool]:
        refused = None
        try:
            await asyncio.wait_for(
                puts.put(caller, FIRST, body, in_thread=no_thread),
                timeout=30,
            )
        except RuntimeError as error:
            refused = error
        stored = await asyncio.wait_for(
            puts.put(caller, FIRST, body, in_thread=in_thread),
            timeout=30,
        )
        return refused, stored.created

    # a loop of its own on a thread of its own: the suite's browser tests keep one
    # running on the main thread
    with ThreadPoolExecutor(max_workers=1) as pool:
        refused, created = pool.submit(asyncio.run, two_puts()).result(timeout=60)
    assert str(refused) == "the slot was not stored"
    assert created


def test_the_callers_of_puts_stored_together_are_read_in_one_query(
    sqlite_backend: Backend,
) -> None:
    """The group's transaction reads every caller's token at once, and each PUT is still
    refused as it would be alone: an unknown token 401, a stranger to the contract 404,
    its client 403, while the others of the group are stored."""
    backend = sqlite_backend
    client = backend.user("client")
    freelancers = [backend.user("freelancer") for _ in range(3)]
    stranger = backend.user("freelancer")
    contracts = [backend.hourly(client, f, cap_hours=None) for f in freelancers]
    backend.clock.set(NOW)
    week = {"week": "2026-11-03"}
    for freelancer, contract in zip(freelancers, contracts, strict=True):
        backend.request("GET", f"/contracts/{contract}/diary", freelancer, params=week)
    body = slot_body(10, client_now=NOW)
    cases = [
        (backend.tokens[freelancers[0].id], contracts[0], 201),
        ("not-a-token", contracts[0], 401),
        (backend.tokens[freelancers[1].id], contracts[1], 201),
        (backend.tokens[stranger.id], contracts[1], 404),
        (backend.tokens[client.id], contracts[2], 403),
        (backend.tokens[freelancers[2].id], contracts[2], 201),
    ]
    answers: list[Any] = [None] * len(cases)
    token_reads: list[str] = []
    engine = backend.client.app.state.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_: token_reads.append(statement)
                 if "FROM users JOIN api_tokens" in " ".join(statement.split()) else None)

    def send(index: int) -> None:
        token, contract, _ = cases[index]
        answers[index] = backend.put_slot_as(token, contract, FIRST, body)

    commits = _sent_while_locked(backend, [partial(send, i) for i in range(len(cases))])

    statuses = [answer.status_code for answer in answers]
    assert statuses == [wanted for _, _, wanted in cases], [a.text for a in answers]
    assert len(commits) < len(cases)  # some were stored together
    assert len(token_reads) == len(commits), token_reads  # one read of tokens a group
