"""A yen contract end to end over the real HTTP server: ¥1,000 an hour is 1000 minor
units everywhere — the rate, the invoice, the CSV and the companion view's pages."""

from __future__ import annotations

import re
from datetime import timedelta

import requests

from billing.db.models import User
from tests.billing.support import START, Backend
from tracker.clock import utc


def _web_session(backend: Backend, user: User) -> requests.Session:
    """Signed in through the sign-in form, as a browser would (same-origin headers)."""
    http = requests.Session()
    base = backend.client.base_url
    http.headers.update({"Origin": base, "Referer": f"{base}/web/sign-in"})
    form = http.get(f"{base}/web/sign-in", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    signed_in = http.post(
        f"{base}/web/sign-in",
        data={"csrf_token": token.group(1), "email": user.email, "password": "secret"},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 303, signed_in.text
    return http


def test_a_yen_contract_from_rate_to_invoice_csv_and_pages(sqlite_backend: Backend) -> None:
    backend = sqlite_backend
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer, rate_cents=1000, currency="JPY")  # ¥1,000/h
    backend.clock.set(START + timedelta(hours=2))
    backend.log_hours(freelancer, contract, START, 6)  # one hour
    backend.put_slot(freelancer, contract, START + timedelta(hours=1), 5)  # five minutes more
    [mine] = backend.request("GET", "/me/contracts", freelancer).json()
    assert (mine["currency"], mine["rate_cents"]) == ("JPY", 1000)

    backend.jobs(utc(2026, 11, 9))
    [invoice] = backend.invoices(client, contract)
    # 65 min × ¥1,000 / 60 = ¥1,083.33 → ¥1,083: rounded to the yen, not to a hundredth
    assert (invoice["currency"], invoice["total_cents"]) == ("JPY", 1083)
    path = f"/contracts/{contract}/invoices/{invoice['id']}"
    csv_text = backend.request("GET", f"{path}/csv", client).text
    assert "currency_exponent,0" in csv_text
    assert ",1000,1083,,1000,1083" in csv_text and "total,1083 JPY" in csv_text

    web = _web_session(backend, client)
    page = web.get(f"{backend.client.base_url}/web{path}", timeout=10)
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", page.text)
    assert "¥1,083" in text and "¥1,000" in text  # the total and the rate
    assert "1,083.00" not in text and "1,000.00" not in text and "10.83" not in text
    web_csv = web.get(f"{backend.client.base_url}/web{path}/csv", timeout=10)
    assert "total,1083 JPY" in web_csv.text
