"""The UI's one entry point to sync: account, contract cache, and the uploader thread.

Blocking calls (:meth:`SyncService.sign_in`, :meth:`sign_out`, :meth:`refresh_contracts`)
do network I/O: run them on the UI's worker thread. :meth:`start`, :meth:`stop` and
:meth:`nudge` return at once (``stop`` waits for at most one request to finish).
Listeners on :attr:`signals` are called on the uploader's thread.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import timedelta

from sync.api import DEFAULT_TIMEOUT, ApiClient
from sync.auth import Account
from sync.credentials import Credentials, CredentialStore
from sync.device_key import DeviceKeyStore
from sync.errors import ApiError, NotSignedIn, TransportError
from sync.http_transport import Transport
from sync.lock import UploaderLock
from sync.ports import SyncStore
from sync.retry import Backoff
from sync.state import SyncPhase, SyncSignals
from sync.uploader import Pause, Uploader, UploaderThread, wait_on_event
from tracker.clock import Clock, SystemClock
from tracker.contract import Contract
from tracker.model import DEFAULT_HOLD

log = logging.getLogger(__name__)

SERVER_URL_SETTING = "sync.server_url"
# while offline the health probe runs at least this often (jittered backoff up to it):
# the probe after the server answers again, plus a 72 h catch-up (3-5 s in
# bench/catch_up.py), lands within the 30 s issue 13 promises
OFFLINE_PROBE_CAP_SECONDS = 25.0


def remembered_server_url(store: SyncStore) -> str | None:
    """The server the user last signed in to from this store (no network)."""
    return store.get_setting(SERVER_URL_SETTING)


class SyncService:
    """Uploads one store to one server while started; see the module docstring.

    ``hold`` is the hold window, or a function giving the one in force: the uploader
    reads it at every pass, so a changed setting applies at the next pass."""

    def __init__(
        self,
        store: SyncStore,
        server_url: str,
        *,
        clock: Clock | None = None,
        credentials: CredentialStore | None = None,
        rng: random.Random | None = None,
        pause: Pause = wait_on_event,
        hold: timedelta | Callable[[], timedelta] = DEFAULT_HOLD,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        backoff_cap_seconds: float = OFFLINE_PROBE_CAP_SECONDS,
        transport: Transport | None = None,
    ) -> None:
        self.store = store
        self.clock = clock if clock is not None else SystemClock()
        self.signals = SyncSignals()
        self._timeout = timeout
        self._transport = transport  # None: each client its own requests session
        credentials = credentials if credentials is not None else CredentialStore()
        self.account = Account(server_url, credentials, self._client)
        self.device_keys = DeviceKeyStore(credentials)
        self._lock = UploaderLock(store.db_path)
        self._pause = pause
        self.uploader = Uploader(
            store,
            self._client(server_url, None),
            self.clock,
            Backoff(rng if rng is not None else random.Random(), cap_seconds=backoff_cap_seconds),
            signals=self.signals,
            hold=hold,
            signer=self.device_keys.key,
        )
        self._thread: UploaderThread | None = None
        if self.account.current() is None:
            self.signals.update(phase=SyncPhase.SIGNED_OUT)

    def _client(self, base_url: str, token: str | None) -> ApiClient:
        return ApiClient(base_url, token, timeout=self._timeout, transport=self._transport)

    # --- account --------------------------------------------------------------------

    @property
    def signed_in_as(self) -> Credentials | None:
        return self.account.current()

    def sign_in(self, email: str, password: str) -> Credentials:
        """Blocking. Raises ``ApiError`` (401 wrong e-mail or password) or a
        :class:`sync.errors.TransportError`. On success the uploader (if started) resumes
        at once."""
        credentials = self.account.sign_in(email, password)
        self.store.set_setting(SERVER_URL_SETTING, self.account.server_url)
        self._register_device()
        self.uploader.signed_in(self.account.client())
        self.signals.update(phase=SyncPhase.WAITING, last_error=None)
        self.nudge()
        return credentials

    def _register_device(self) -> None:
        """Register this install's public key, so the server verifies what it signs. Best
        effort: the uploader registers it again before its first upload."""
        client = self.account.client()
        try:
            client.register_device(self.device_keys.key().public_hex())
        except (ApiError, TransportError) as error:
            log.warning("could not register this device's key yet: %s", error)
        finally:
            client.close()

    def sign_out(self) -> bool:
        """Blocking. Stops uploading, revokes the token on the server (best effort) and
        forgets it here; local slots stay, pending, for the next sign-in."""
        self.stop()
        revoked = self.account.sign_out()
        self.signals.update(phase=SyncPhase.SIGNED_OUT, last_error=None, next_attempt_at=None)
        return revoked

    # --- contracts ------------------------------------------------------------------

    def cached_contracts(self) -> list[Contract]:
        """The last contract list the server gave (no network): the app starts offline."""
        return self.store.contracts()

    def refresh_contracts(self) -> list[Contract]:
        """Blocking: fetch contracts and this week's server minutes, cache them."""
        self._ensure_client()
        return self.uploader.refresh_contracts()

    # --- the uploader thread ---------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.running

    def start(self) -> None:
        """Start uploading. Raises :class:`AnotherUploaderRunning` if another process
        uploads this store, :class:`NotSignedIn` without a token."""
        if self.running:
            return
        self._ensure_client()
        self._lock.acquire()
        self._thread = UploaderThread(self.uploader, self._pause)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None and not thread.stop(timeout):
            log.warning("the uploader did not stop within %.0f s; it is a daemon thread", timeout)
        self._lock.release()

    def nudge(self) -> None:
        """A slot was written or deleted, or the user chose "Sync now": look at the queue
        now rather than after the backoff (while offline, the health probe goes first)."""
        if self._thread is not None:
            self._thread.nudge()

    def _ensure_client(self) -> None:
        try:
            client = self.account.client()
        except NotSignedIn:
            self.signals.update(phase=SyncPhase.SIGNED_OUT)
            raise
        if self.uploader.needs_sign_in or getattr(self.uploader.api, "token", None) is None:
            self.uploader.signed_in(client)
