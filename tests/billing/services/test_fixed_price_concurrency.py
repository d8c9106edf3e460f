"""Twenty clients approving one milestone at the same moment against the real server:
exactly one release, whatever the database."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from billing.db import ledger
from billing.db.accounts import create_user
from billing.db.contracts import create_fixed_contract
from billing.db.models import LedgerTransfer, User
from billing.db.session import make_engine, make_session_factory, unit_of_work
from billing.domain.ledger import AccountKind
from billing.passwords import Passwords
from tests.support.db import fresh_database_url
from tests.support.server import running_server
from tracker.clock import utc

APPROVERS = 20
NOW = utc(2026, 11, 23, 12)


def _token(base_url: str, email: str) -> dict[str, str]:
    response = requests.post(
        f"{base_url}/api/v1/auth/token", json={"email": email, "password": "secret"}, timeout=30
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _a_client_and_a_freelancer_on_a_fixed_contract(
    factory: sessionmaker[Session],
) -> tuple[User, int]:
    """Returns the freelancer and the contract's id."""
    passwords = Passwords.with_cost(1, 1024, 1)
    with unit_of_work(factory) as session:
        client = create_user(
            session,
            passwords,
            email="c@test.example",
            password="secret",
            role="client",
            now=NOW,
        )
        freelancer = create_user(
            session,
            passwords,
            email="f@test.example",
            password="secret",
            role="freelancer",
            now=NOW,
        )
        contract_id = create_fixed_contract(
            session,
            client=client,
            freelancer=freelancer,
            title="Race",
            currency="USD",
            now=NOW,
        ).id
    return freelancer, contract_id


def _one_milestone_funded_and_submitted(
    base: str, as_client: dict[str, str], as_freelancer: dict[str, str]
) -> None:
    steps: list[tuple[dict[str, str], str, dict[str, Any] | None]] = [
        (as_client, "/milestones", {"title": "Only", "amount_cents": 4200}),
        (as_client, "/milestones/1/activate", None),
        (as_freelancer, "/milestones/1/submit", {"message": "done"}),
    ]
    for headers, path, body in steps:
        response = requests.post(base + path, headers=headers, json=body, timeout=30)
        assert response.status_code in (200, 201), response.text


def _approve_all_at_once(base: str, as_client: dict[str, str]) -> list[tuple[int, str]]:
    """Every approver waits at a barrier, then posts; returns each status and body."""
    start = threading.Barrier(APPROVERS)

    def approve(_: int) -> tuple[int, str]:
        with requests.Session() as http:
            start.wait(timeout=30)
            response = http.post(
                f"{base}/milestones/1/approve", headers=as_client, json={}, timeout=60
            )
            return response.status_code, response.text

    with ThreadPoolExecutor(APPROVERS) as pool:
        return list(pool.map(approve, range(APPROVERS)))


def _one_approval_won_and_released_once(
    results: list[tuple[int, str]],
    factory: sessionmaker[Session],
    freelancer: User,
    contract_id: int,
) -> None:
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: APPROVERS - 1}, results
    refusals = {text for status, text in results if status == 409}
    assert refusals == {'{"detail":"milestone 1 is released; only submitted work can be approved"}'}
    with unit_of_work(factory) as session:
        releases = session.scalars(
            select(LedgerTransfer).where(
                LedgerTransfer.idempotency_key == f"fixed:{contract_id}:m1:release"
            )
        ).all()
        balances = {
            (key.kind, key.owner_id): amount for key, amount in ledger.balances(session).items()
        }
    assert len(releases) == 1
    assert balances[(AccountKind.FREELANCER_PENDING, freelancer.id)] == 4200
    assert balances[(AccountKind.ESCROW, contract_id)] == 0


@pytest.mark.parametrize("kind", [pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
@pytest.mark.slow
def test_twenty_simultaneous_approvals_release_once(kind: str, tmp_path: Path) -> None:
    with (
        fresh_database_url(kind, tmp_path) as url,
        running_server(tmp_path / "server", database_url=url, now=NOW) as server,
    ):
        engine = make_engine(url, sqlite_synchronous="NORMAL")
        factory = make_session_factory(engine)
        freelancer, contract_id = _a_client_and_a_freelancer_on_a_fixed_contract(factory)
        as_client = _token(server.base_url, "c@test.example")
        as_freelancer = _token(server.base_url, "f@test.example")
        base = f"{server.base_url}/api/v1/contracts/{contract_id}"
        _one_milestone_funded_and_submitted(base, as_client, as_freelancer)
        results = _approve_all_at_once(base, as_client)
        _one_approval_won_and_released_once(results, factory, freelancer, contract_id)
        engine.dispose()
