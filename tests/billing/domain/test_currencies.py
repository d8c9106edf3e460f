"""Each currency's own minor unit (ISO 4217: JPY 0 decimals, USD 2, KWD 3) in parsing,
display, forms, rounding and the tray, and the refusals of slots a contract cannot take
(before it started, in a finalized week)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import HTTPException
from hypothesis import given
from hypothesis import strategies as st

from billing.domain.money import (
    CURRENCIES,
    Money,
    amount_digits,
    amount_for_minutes,
    check_currency,
    parse_minor,
    rescale,
)
from billing.domain.slots import ContractTerms, SlotBody, refusal
from billing.web.formatting import money_html, money_input, money_text
from billing.web.milestone_forms import parse_amount
from tracker.clock import utc
from ui.formatting import MINOR_DIGITS
from ui.formatting import money as tray_money

CODES = sorted(CURRENCIES)


@given(
    code=st.sampled_from(CODES),
    # parse_minor reads at most 15 whole digits: up to 10**15 - 1 of a 0-decimal currency
    minor=st.integers(min_value=-(10**15 - 1), max_value=10**15 - 1),
    grouping=st.booleans(),
)
def test_parse_reads_back_what_format_writes_in_every_currency(
    code: str, minor: int, grouping: bool
) -> None:
    text = amount_digits(minor, code, grouping=grouping)
    assert parse_minor(text, code, allow_negative=True) == minor
    assert parse_minor(money_input(abs(minor), code), code) == abs(minor)
    # the plain text the pages show carries as many decimals as the currency has
    number = money_text(minor, code).removesuffix(f" {code}")
    digits = CURRENCIES[code].exponent
    assert ("." in number) == (digits > 0)
    assert len(number.rpartition(".")[2]) == digits or digits == 0


def test_each_currency_has_its_own_decimals() -> None:
    assert [Money(100_000, code).format() for code in ("JPY", "USD", "KWD")] == [
        "100000 JPY",
        "1000.00 USD",
        "100.000 KWD",
    ]
    assert money_text(1000, "JPY") == "1,000 JPY"
    assert money_text(1_234_567, "KWD") == "1,234.567 KWD"
    assert money_text(-5, "EUR") == "-0.05 EUR"
    html = str(money_html(1000, "JPY"))
    assert "¥1,000" in html and "1,000.00" not in html
    assert "-$0.05" in str(money_html(-5, "USD"))
    assert "1.500" in str(money_html(1500, "KWD"))  # no symbol: the code says it
    assert parse_minor("1,000", "JPY") == 1000
    assert parse_minor("12,50", "EUR") == 1250  # a decimal comma
    assert parse_minor("1,500", "KWD") == 1_500_000  # three digits: thousands
    assert parse_minor("0.001", "KWD") == 1


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        ("10.5", "JPY", "JPY amounts have no decimals"),
        ("1.2345", "KWD", "KWD amounts have 3 decimals"),
        ("1.234", "USD", "USD amounts have 2 decimals"),
        ("ten", "USD", "like 250.00"),
        ("-1", "USD", "like 250.00"),
        ("5", "XYZ", "currency XYZ is not accepted"),
        ("5", "usd", "three-letter ISO 4217 code"),
    ],
)
def test_amounts_a_currency_cannot_hold_are_refused(text: str, code: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_minor(text, code)


def test_the_milestone_forms_read_amounts_in_the_contracts_currency() -> None:
    assert parse_amount("50,000", "Amount", "JPY") == 50_000
    assert parse_amount("12.5", "Amount", "KWD") == 12_500
    with pytest.raises(HTTPException) as refused:
        parse_amount("500.50", "Amount", "JPY")
    assert refused.value.status_code == 422
    assert refused.value.detail == "Amount: JPY amounts have no decimals: enter an amount like 250."


def test_rounding_is_to_the_currencys_minor_unit() -> None:
    # ¥1,000/h for 25 minutes: ¥416.67 → ¥417; 12.500 KWD/h: 5.20833 → 5.208 KWD
    assert amount_for_minutes(25, 1000) == 417
    assert amount_for_minutes(25, 12_500) == 5208
    assert rescale(41_650, 2, 0) == 417 and rescale(-41_650, 2, 0) == -417
    assert rescale(521, 2, 3) == 5210


def test_only_accepted_currencies_and_the_tray_agrees_on_their_decimals() -> None:
    assert check_currency("JPY") == "JPY"
    with pytest.raises(ValueError, match="not accepted"):
        check_currency("ABC")
    assert {c.code: c.exponent for c in CURRENCIES.values() if c.exponent != 2} == MINOR_DIGITS
    assert (tray_money(1000, "JPY"), tray_money(4000, "USD"), tray_money(12_500, "KWD")) == (
        "1,000 JPY",
        "40.00 USD",
        "12.500 KWD",
    )


def _body(minutes: int, client_now) -> SlotBody:  # type: ignore[no-untyped-def]
    return SlotBody(
        minutes=minutes,
        activity=((1, 0),) * minutes,
        memo="",
        manual=False,
        shot_taken_at=None,
        shot_sha256=None,
        shot_note=None,
        client_now=client_now,
    )


def test_slots_before_the_contract_started_and_in_a_finalized_week() -> None:
    started = utc(2026, 11, 4, 10, 5)  # Wednesday, inside the 10:00 slot
    terms = ContractTerms(True, True, False, ended_at=None, started_at=started)
    now, skew = utc(2026, 11, 4, 12), timedelta(minutes=5)

    def why(start):  # type: ignore[no-untyped-def]
        return refusal(start, _body(10, now), terms, now=now, future_skew=skew)

    assert why(utc(2026, 11, 4, 9, 50)) == (
        409,
        "before the contract started (2026-11-04T10:05:00+00:00)",
    )
    assert why(utc(2026, 11, 4, 10)) is None  # the slot it started in counts
    week = utc(2026, 11, 4, 10, 10)
    for at, reason in (
        (utc(2026, 11, 9, 11, 59), None),
        (utc(2026, 11, 9, 12), "week locked"),
        (utc(2026, 11, 13, 23, 59), "week locked"),
        (utc(2026, 11, 14), "week finalized"),
    ):
        got = refusal(week, _body(10, at), terms, now=at, future_skew=skew)
        assert got == (None if reason is None else (409, reason)), at
