"""A thin ``requests`` client of the wire contract (v1, plus v2's signed chain).

Every call has a timeout; every answer >= 400 becomes :class:`ApiError` carrying the
server's ``detail``. No retries here: :mod:`sync.retry` decides, the uploader repeats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

from diarychain.ingest import SignedRun
from sync.errors import ApiError, WireError
from sync.uploader import SHOT_CONNECTIONS, SlotReceipt
from sync.wire import (
    BatchItem,
    batch_body,
    batch_receipt,
    chain_body,
    hourly_contracts,
    iso,
    slot_body,
    slot_receipt,
)
from tracker.contract import Contract
from tracker.model import Slot

API_PREFIX = "/api/v1"
# (connect, read) seconds: a dead server is noticed fast; a slow shot upload is not cut
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
# the offline probe: a server that cannot answer its no-op health check in this is down
PROBE_TIMEOUT: tuple[float, float] = (3.0, 5.0)
# kept connections per host: every shot-upload thread keeps its own, and the uploader's
# own thread one for the batch sent beside them (urllib3 drops the ones beyond this, and
# the next request pays a new connection)
POOL_SIZE = max(SHOT_CONNECTIONS + 1, 10)


@dataclass(frozen=True)
class TokenGrant:
    token: str
    email: str
    role: str
    display_name: str


class ApiClient:
    """One server, one bearer token (or none, to sign in). Used from the uploader's thread;
    its few shot-upload threads share the connection pool (urllib3's is thread-safe)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = session if session is not None else _pooled_session()
        self._session.headers["User-Agent"] = "workdiary-tracker/1"

    def close(self) -> None:
        self._session.close()

    def with_token(self, token: str) -> ApiClient:
        return ApiClient(self.base_url, token, timeout=self.timeout)

    # --- auth ---------------------------------------------------------------------

    def issue_token(self, email: str, password: str) -> TokenGrant:
        body = self._json("POST", "/auth/token", json={"email": email, "password": password})
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(body, dict) or not isinstance(user, dict):
            raise WireError("the server's token answer is not understood")
        return TokenGrant(
            token=str(body["access_token"]),
            email=str(user.get("email", email)),
            role=str(user.get("role", "")),
            display_name=str(user.get("display_name", "")),
        )

    def revoke_token(self) -> None:
        self._request("DELETE", "/auth/token")

    # --- contracts ------------------------------------------------------------------

    def my_contracts(self, fetched_at: datetime) -> list[Contract]:
        return hourly_contracts(self._json("GET", "/me/contracts"), fetched_at)

    # --- slots (the uploader's port) -------------------------------------------------

    def register_device(self, public_key: str) -> None:
        """``POST /devices``: the server verifies what this key signs (idempotent)."""
        self._request("POST", "/devices", json={"public_key": public_key})

    def post_chain(self, contract_id: int, run: SignedRun) -> None:
        """``POST /contracts/{id}/chain``: entries sent on their own (deletions, gaps)."""
        self._request("POST", f"/contracts/{contract_id}/chain", json=chain_body(run))

    def put_slot(
        self, slot: Slot, client_time: datetime, run: SignedRun | None = None
    ) -> SlotReceipt:
        body = slot_body(slot, client_time, run)
        receipt = slot_receipt(
            self._json("PUT", _slot_path(slot.contract_id, slot.slot_start), json=body)
        )
        return SlotReceipt(
            over_limit_minutes=receipt.over_limit_minutes, shot_expected=receipt.shot_expected
        )

    def put_slots(
        self,
        contract_id: int,
        slots: list[Slot],
        client_time: datetime,
        runs: Sequence[SignedRun | None] = (),
    ) -> list[BatchItem]:
        """``POST /contracts/{id}/slots``: the per-slot results, in the order sent."""
        answer = self._json(
            "POST", f"/contracts/{contract_id}/slots",
            json=batch_body(slots, client_time, runs),
        )
        return batch_receipt(answer, slots)

    def health(self) -> None:
        """The cheap probe while offline: no database, no auth. Raises if unanswered."""
        self._request("GET", "/health", timeout=PROBE_TIMEOUT)

    def put_shot(self, slot: Slot, image: bytes) -> None:
        if slot.shot is None:
            raise ValueError(f"slot {slot.key} has no shot to upload")
        self._request(
            "PUT",
            _slot_path(slot.contract_id, slot.slot_start) + "/shot",
            data=image,
            headers={"Content-Type": slot.shot.media_type},
        )

    def delete_slot(self, contract_id: int, slot_start: datetime) -> None:
        self._request("DELETE", _slot_path(contract_id, slot_start))

    # --- plumbing -------------------------------------------------------------------

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._request(method, path, **kwargs)
        try:
            return response.json()
        except ValueError as error:
            # a proxy's HTML error page or a cut body: the server did not answer us
            raise WireError(f"{method} {path}: the answer is not JSON") from error

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        timeout = kwargs.pop("timeout", self.timeout)
        response = self._session.request(
            method,
            self.base_url + API_PREFIX + path,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            **kwargs,
        )
        # a Response is falsy for >= 400: compare the status, never its truth value
        if response.status_code >= 400:
            raise ApiError(response.status_code, _reason(response), _retry_after(response))
        return response


def _pooled_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_maxsize=POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _slot_path(contract_id: int, slot_start: datetime) -> str:
    return f"/contracts/{contract_id}/slots/{quote(iso(slot_start), safe='')}"


def _reason(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        detail = body.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list) and detail:
            # FastAPI validation errors: a list of {loc, msg}
            first = detail[0]
            if isinstance(first, dict):
                where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
                return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg"))
    text = response.text.strip()
    return text[:200] if text else f"HTTP {response.status_code} {response.reason or ''}".strip()


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: rare; our own backoff applies
