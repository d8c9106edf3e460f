"""Money as integer minor units of an ISO 4217 currency, and the one rounding rule.

A currency's *exponent* is how many decimal digits its minor unit has (ISO 4217): two
for USD and EUR, none for JPY, three for KWD. Parsing, display, CSV and rounding all
follow it; an amount is always an integer count of minor units, so ``1000`` is ¥1,000,
$10.00 or 1.000 KWD.

Floats never touch money. ``Decimal`` appears only where text is parsed and where a rate
is multiplied out (:func:`amount_for_minutes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True)
class Currency:
    """One accepted currency: its code, its ISO 4217 exponent and the symbol shown before
    amounts on screen (``None`` where a symbol would be ambiguous: the code is shown)."""

    code: str
    exponent: int
    symbol: str | None = None


# The currencies contracts may be in (ISO 4217 exponents, https://www.iso.org/iso-4217).
# A new one is a line here; ui/formatting.py mirrors the exponents that are not 2
# (a test checks the two agree).
CURRENCIES: dict[str, Currency] = {
    currency.code: currency
    for currency in (
        Currency("USD", 2, "$"),
        Currency("EUR", 2, "€"),
        Currency("GBP", 2, "£"),
        Currency("CHF", 2),
        Currency("CAD", 2),
        Currency("AUD", 2),
        Currency("NZD", 2),
        Currency("SEK", 2),
        Currency("NOK", 2),
        Currency("DKK", 2),
        Currency("PLN", 2),
        Currency("CZK", 2),
        Currency("INR", 2, "₹"),
        Currency("BRL", 2),
        Currency("MXN", 2),
        Currency("SGD", 2),
        Currency("HKD", 2),
        Currency("ZAR", 2),
        Currency("JPY", 0, "¥"),
        Currency("KRW", 0, "₩"),
        Currency("ISK", 0),
        Currency("CLP", 0),
        Currency("VND", 0),
        Currency("KWD", 3),
        Currency("BHD", 3),
        Currency("OMR", 3),
        Currency("JOD", 3),
        Currency("TND", 3),
    )
}

_CODE = re.compile(r"^[A-Z]{3}$")
# every amount was stored with two decimals before the table (migration 0006)
LEGACY_EXPONENT = 2


def currency_of(code: str) -> Currency:
    """The accepted currency ``code`` names, or a ``ValueError`` saying which are."""
    found = CURRENCIES.get(code) if isinstance(code, str) else None
    if found is None:
        if not isinstance(code, str) or not _CODE.match(code):
            raise ValueError(f"currency must be a three-letter ISO 4217 code, got {code!r}")
        raise ValueError(
            f"currency {code} is not accepted; use one of {', '.join(sorted(CURRENCIES))}"
        )
    return found


def check_currency(code: str) -> str:
    """Return ``code`` if it is an accepted currency, else raise ``ValueError``."""
    return currency_of(code).code


def exponent(code: str) -> int:
    """The number of decimal digits of ``code``'s minor unit (JPY 0, USD 2, KWD 3)."""
    return currency_of(code).exponent


def symbol(code: str) -> str:
    """The symbol shown before amounts in ``code`` (``"¥"``), or ``""`` if it has none."""
    found = CURRENCIES.get(code)
    return "" if found is None or found.symbol is None else found.symbol


def stored_exponent(code: str) -> int:
    """:func:`exponent`, but two for a code outside the table (a contract stored before
    the table existed, whose amounts kept two decimals): for showing what is stored."""
    found = CURRENCIES.get(code)
    return LEGACY_EXPONENT if found is None else found.exponent


def amount_digits(minor: int, code: str, *, grouping: bool = False) -> str:
    """``minor`` units as the currency writes them, without the code: ``"1234.50"``
    (USD), ``"1000"`` (JPY), ``"1.500"`` (KWD); ``grouping`` adds thousands commas.

    A code outside the table (a contract stored before the table existed) is shown
    with two decimals, the way it was stored; new contracts cannot have one."""
    digits = stored_exponent(code)
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**digits)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{fraction:0{digits}d}" if digits else f"{sign}{whole_text}"


# whole part: plain digits or thousands groups ("1,234,567"); then an optional fraction
# after a point, or after a comma when it cannot be a thousands group ("12,5" is 12.5)
_AMOUNT_TEXT = re.compile(
    r"^\s*(?P<sign>-?)(?P<whole>\d{1,15}|\d{1,3}(?:,\d{3})+)"
    r"(?:\.(?P<point>\d*)|,(?P<comma>\d{1,2}))?\s*$"
)


def parse_minor(text: str, code: str, *, allow_negative: bool = False) -> int:
    """An amount typed as text (``"1,234.5"``, ``"1000"``, ``"12,50"``) → minor units.

    More decimals than the currency has is refused, never rounded (``"10.5"`` JPY is an
    error, not ¥11). A comma followed by three digits groups thousands; followed by one
    or two it is a decimal comma.
    """
    digits = exponent(code)
    match = _AMOUNT_TEXT.match(text or "")
    if match is None or (match["sign"] and not allow_negative):
        raise ValueError(_example(code))
    fraction = match["point"] or match["comma"] or ""
    if len(fraction) > digits:
        places = f"{digits} decimal{'s' if digits != 1 else ''}" if digits else "no decimals"
        raise ValueError(f"{code} amounts have {places}: {_example(code)}")
    whole = int(match["whole"].replace(",", ""))
    minor = whole * _power_of_ten(digits) + int(fraction.ljust(digits, "0") or 0)
    return -minor if match["sign"] else minor


def _power_of_ten(digits: int) -> int:
    return int(10**digits)  # ``int ** int`` is typed Any when the exponent is a variable


def _example(code: str) -> str:
    return f"enter an amount like {amount_digits(250 * 10 ** exponent(code), code)}"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of one accepted currency."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError("Money.minor must be an int (minor units)")
        check_currency(self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def format(self) -> str:
        """``"1234.50 USD"``, ``"1000 JPY"``, ``"1.500 KWD"`` — for CSV exports and messages."""
        return f"{amount_digits(self.minor, self.currency)} {self.currency}"


def amount_for_minutes(minutes: int, rate_minor_per_hour: int) -> int:
    """``minutes × rate / 60`` in minor units, rounded half-up to the minor unit.

    The rate is in minor units of the contract's currency, so the result is rounded to
    that currency's minor unit whatever its exponent (a yen for JPY, a fils for KWD).
    The only rounding function of the backend: every invoice line goes through it.
    """
    if minutes < 0 or rate_minor_per_hour < 0:
        raise ValueError("minutes and rate must not be negative")
    exact = Decimal(minutes) * Decimal(rate_minor_per_hour) / Decimal(60)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fee_for(amount_minor: int, fee_basis_points: int) -> int:
    """The platform fee on an amount (basis points, default 0), half-up like every amount."""
    if fee_basis_points < 0 or fee_basis_points > 10_000:
        raise ValueError("fee must be between 0 and 10000 basis points")
    exact = Decimal(amount_minor) * Decimal(fee_basis_points) / Decimal(10_000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def rescale(minor: int, from_exponent: int, to_exponent: int) -> int:
    """An amount counted in ``from_exponent`` digits re-counted in ``to_exponent``,
    half-up (away from zero) when digits are dropped — used by the 0006 migration."""
    shift = to_exponent - from_exponent
    if shift >= 0:
        return minor * _power_of_ten(shift)
    exact = Decimal(minor).scaleb(shift)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
