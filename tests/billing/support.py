"""An in-process backend for tests: ``create_app`` + ``TestClient`` + a ManualClock."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from billing.api.app import create_app
from billing.blobs import BlobStore
from billing.clock import ManualClock
from billing.config import Settings
from billing.db import ledger
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.models import Invoice, InvoiceStatus, User
from billing.db.session import unit_of_work
from billing.domain.ledger import invariant_violations
from billing.jobs import run_jobs
from tests.support.asgi_thread import serve_in_thread
from tracker.clock import utc

START = utc(2026, 11, 2, 9, 0)  # a Monday
_ids = count(1)


def slot_body(
    minutes: int = 10,
    *,
    memo: str = "work",
    client_now: datetime,
    shot: bytes | None = None,
    taken_at: datetime | None = None,
    active: bool = True,
    manual: bool = False,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "minutes": minutes,
        "activity": []
        if manual
        else [{"keyboard": 5 if active else 0, "mouse": 7 if active else 0}] * minutes,
        "memo": memo,
        "manual": manual,
        "client_now": client_now.isoformat(),
    }
    if shot is not None:
        assert taken_at is not None
        body["shot"] = {
            "taken_at": taken_at.isoformat(),
            "sha256": hashlib.sha256(shot).hexdigest(),
        }
    return body


def iso(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class HttpClient:
    """``requests`` against the live in-thread server, paths relative to its root."""

    def __init__(self, base_url: str, app: Any) -> None:
        self.base_url = base_url
        self.app = app
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


@dataclass
class Backend:
    client: HttpClient
    clock: ManualClock
    settings: Settings
    session_factory: sessionmaker[Session]
    tokens: dict[int, str] = field(default_factory=dict)

    # --- people and contracts -------------------------------------------------------
    def user(self, role: str, email: str | None = None) -> User:
        email = email or f"{role}{next(_ids)}@test.example"
        with unit_of_work(self.session_factory) as session:
            user = create_user(
                session,
                self.client.app.state.passwords,  # type: ignore[attr-defined]
                email=email,
                password="secret",
                role=role,
                now=self.clock.now(),
            )
        response = self.client.post(
            "/api/v1/auth/token", json={"email": email, "password": "secret"}
        )
        assert response.status_code == 201, response.text
        self.tokens[user.id] = response.json()["access_token"]
        return user

    def auth(self, user: User | None) -> dict[str, str]:
        return {} if user is None else {"Authorization": f"Bearer {self.tokens[user.id]}"}

    def hourly(
        self,
        client: User,
        freelancer: User,
        *,
        rate_cents: int = 4000,
        cap_hours: int | None = 40,
        manual: bool = False,
        screenshots: bool = True,
        currency: str = "USD",
    ) -> int:
        with unit_of_work(self.session_factory) as session:
            contract = create_hourly_contract(
                session,
                client=session.get(User, client.id),  # type: ignore[arg-type]
                freelancer=session.get(User, freelancer.id),  # type: ignore[arg-type]
                title="Hourly work",
                currency=currency,
                rate_cents=rate_cents,
                now=self.clock.now(),
                weekly_cap_minutes=None if cap_hours is None else cap_hours * 60,
                manual_time_allowed=manual,
                screenshots_enabled=screenshots,
            )
            return contract.id

    # --- HTTP helpers ---------------------------------------------------------------
    def request(self, method: str, path: str, user: User | None, **kwargs: Any) -> Any:
        return self.client.request(method, f"/api/v1{path}", headers=self.auth(user), **kwargs)

    def put_slot(
        self,
        freelancer: User,
        contract_id: int,
        slot_start: datetime,
        minutes: int = 10,
        **kwargs: Any,
    ) -> Any:
        body = slot_body(minutes, client_now=kwargs.pop("client_now", self.clock.now()), **kwargs)
        return self.request(
            "PUT", f"/contracts/{contract_id}/slots/{iso(slot_start)}", freelancer, json=body
        )

    def put_slot_as(self, token: str, contract_id: int, slot_start: datetime, body: Any) -> Any:
        """A single PUT of ``body`` (sent as JSON, whatever it holds) with a bearer token."""
        return self.client.request(
            "PUT",
            f"/api/v1/contracts/{contract_id}/slots/{iso(slot_start)}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    def engine_events(self, name: str) -> list[object]:
        """One entry per ``name`` event of the app's engine (``"begin"``, ``"commit"``)
        from now on."""
        seen: list[object] = []
        engine = self.client.app.state.engine  # type: ignore[attr-defined]
        event.listen(engine, name, lambda *args: seen.append(args))
        return seen

    def log_hours(
        self, freelancer: User, contract_id: int, first: datetime, slots: int, minutes: int = 10
    ) -> None:
        for index in range(slots):
            response = self.put_slot(
                freelancer, contract_id, first + timedelta(minutes=10 * index), minutes
            )
            assert response.status_code == 201, response.text

    def invoices(self, user: User, contract_id: int) -> list[dict[str, Any]]:
        response = self.request("GET", f"/contracts/{contract_id}/invoices", user)
        assert response.status_code == 200, response.text
        result: list[dict[str, Any]] = response.json()
        return result

    def jobs(self, now: datetime | None = None) -> dict[str, int]:
        if now is not None:
            self.clock.set(now)
        return run_jobs(self.session_factory, self.clock.now(), self.settings)

    def ledger_problems(self) -> list[str]:
        with unit_of_work(self.session_factory) as session:
            totals = {
                invoice.id: invoice.total_cents
                for invoice in session.query(Invoice).filter(
                    Invoice.status == InvoiceStatus.FINALIZED
                )
            }
            return invariant_violations(
                ledger.balances(session), ledger.all_transfers(session), totals
            )


def backend_settings(data_dir: Path, url: str) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=url,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        sqlite_synchronous="NORMAL",
        jobs_interval_seconds=0,
    )


@contextmanager
def make_backend(
    url: str,
    tmp_path: Path,
    start: datetime = START,
    blobs: BlobStore | None = None,
    **settings_overrides: Any,
) -> Iterator[Backend]:
    """A backend on ``url``; ``settings_overrides`` replace fields of the test settings."""
    settings = backend_settings(tmp_path / "data", url).model_copy(update=settings_overrides)
    clock = ManualClock(start)
    app = create_app(settings, clock, blobs=blobs, migrate=True)
    with serve_in_thread(app) as base_url:
        client = HttpClient(base_url, app)
        yield Backend(client, clock, settings, app.state.session_factory)
        client.http.close()
