"""Sign-in and sign-out: e-mail + password → bearer token, kept by :mod:`sync.credentials`.

Both calls do network I/O: the UI runs them on its worker thread, never the GUI thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sync.api import ApiClient
from sync.credentials import Credentials, CredentialStore
from sync.errors import ApiError, NotSignedIn, TransportError

log = logging.getLogger(__name__)

ClientFactory = Callable[[str, str | None], ApiClient]


def _default_client(base_url: str, token: str | None) -> ApiClient:
    return ApiClient(base_url, token)


class Account:
    """The signed-in account of one server URL (or none)."""

    def __init__(
        self,
        server_url: str,
        credentials: CredentialStore,
        client_factory: ClientFactory = _default_client,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self._credentials = credentials
        self._client_factory = client_factory

    def current(self) -> Credentials | None:
        """The stored token for this server, if any (no network)."""
        return self._credentials.load(self.server_url)

    def client(self) -> ApiClient:
        """An API client carrying the stored token; :class:`NotSignedIn` without one."""
        credentials = self.current()
        if credentials is None:
            raise NotSignedIn(f"not signed in to {self.server_url}")
        return self._client_factory(self.server_url, credentials.token)

    def sign_in(self, email: str, password: str) -> Credentials:
        """Exchange e-mail and password for a token and store it.

        Raises :class:`ApiError` (401: wrong e-mail or password; 422: malformed) or a
        :class:`sync.errors.TransportError` when the server cannot be reached.
        """
        anonymous = self._client_factory(self.server_url, None)
        try:
            grant = anonymous.issue_token(email, password)
        finally:
            anonymous.close()
        credentials = Credentials(self.server_url, grant.email, grant.token)
        previous = self.current()
        self._credentials.save(credentials)
        if previous is not None and previous.token != grant.token:
            self._revoke_quietly(previous.token)
        return credentials

    def sign_out(self) -> bool:
        """Revoke the token on the server and forget it here. The local copy is
        forgotten even when the server cannot be reached; returns whether the server
        confirmed the revocation (or had already revoked it)."""
        credentials = self.current()
        if credentials is None:
            return True
        revoked = self._revoke_quietly(credentials.token)
        self._credentials.forget(self.server_url)
        return revoked

    def _revoke_quietly(self, token: str) -> bool:
        client = self._client_factory(self.server_url, token)
        try:
            client.revoke_token()
            return True
        except ApiError as error:
            if error.status == 401:
                return True  # already unknown or revoked: the goal is reached
            log.warning("the server refused to revoke the token: %s", error.reason)
            return False
        except TransportError as error:
            log.warning(
                "could not reach %s to revoke the token (%s); it is forgotten on this computer",
                self.server_url,
                type(error).__name__,
            )
            return False
        finally:
            client.close()
