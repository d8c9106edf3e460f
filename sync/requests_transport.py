"""HTTP through ``requests`` in this process: the tests', the benchmarks', and the one
the network helper (:mod:`sync.network_child`) runs for the tray app.

``requests``' exceptions become :mod:`sync.errors`' transport errors here, so their
callers never import ``requests``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import requests
from requests.adapters import HTTPAdapter

from sync.errors import (
    RequestRefusedHere,
    SecureConnectionFailed,
    TimedOut,
    TransferCut,
    TransportError,
    Unreachable,
)
from sync.http_transport import USER_AGENT, Answer
from sync.uploader import SHOT_CONNECTIONS

# kept connections per host: every shot-upload thread keeps its own, and the uploader's
# own thread one for the batch sent beside them (urllib3 drops the ones beyond this, and
# the next request pays a new connection)
POOL_SIZE = max(SHOT_CONNECTIONS + 1, 10)


class RequestsTransport:
    """A pooled ``requests`` session; thread-safe as urllib3's pool is."""

    def __init__(self, session: requests.Session | None = None) -> None:
        self._session = session if session is not None else _pooled_session()
        self._session.headers["User-Agent"] = USER_AGENT

    def request(self, method: str, url: str, *, headers: Mapping[str, str],
                timeout: tuple[float, float], body: bytes | None = None) -> Answer:
        with translated_errors():
            response = self._session.request(method, url, headers=dict(headers), data=body,
                                             timeout=timeout, allow_redirects=False)
            content = response.content
        return Answer(response.status_code, response.reason or "",
                      {name.lower(): value for name, value in response.headers.items()},
                      content)

    def close(self) -> None:
        self._session.close()


@contextmanager
def translated_errors() -> Iterator[None]:
    try:
        yield
    except requests.exceptions.SSLError as error:
        raise SecureConnectionFailed(str(error)) from error
    except requests.Timeout as error:  # before ConnectionError: ConnectTimeout is both
        raise TimedOut(str(error)) from error
    except requests.ConnectionError as error:  # refused, reset, DNS, proxy
        raise Unreachable(str(error)) from error
    except (requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError) as error:
        raise TransferCut(str(error)) from error
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader) as error:
        raise RequestRefusedHere(str(error)) from error
    except requests.RequestException as error:
        raise TransportError(f"{type(error).__name__}: {error}") from error


def _pooled_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_maxsize=POOL_SIZE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
