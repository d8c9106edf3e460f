"""An invoice as CSV (the API's and the companion view's download): a header block,
then one row per line.

Amounts come twice: ``*_cents`` columns hold integer minor units of the currency (what
programs read), ``rate``/``amount``/``total`` hold the same amounts written with the
currency's own decimals (``1000`` for JPY, ``12.500`` for KWD), what a spreadsheet
shows. ``currency_exponent`` says how many decimals the minor unit has."""

from __future__ import annotations

import csv
import io

from billing.db.models import Contract, Invoice, InvoiceLine
from billing.domain.money import amount_digits, stored_exponent

LINE_COLUMNS = (
    "kind",
    "description",
    "week_start",
    "logged_minutes",
    "billable_minutes",
    "rate_cents",
    "amount_cents",
    "dispute_id",
    "rate",
    "amount",
)


def invoice_csv(invoice: Invoice, contract: Contract, lines: list[InvoiceLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["invoice_number", invoice.number if invoice.number is not None else ""])
    writer.writerow(["invoice_id", invoice.id])
    writer.writerow(["contract_id", contract.id])
    writer.writerow(["contract_title", contract.title])
    writer.writerow(["week_start", invoice.week_start.isoformat()])
    writer.writerow(["status", invoice.status])
    writer.writerow(["currency", invoice.currency])
    writer.writerow(["currency_exponent", stored_exponent(invoice.currency)])
    writer.writerow([])
    writer.writerow(LINE_COLUMNS)
    for line in lines:
        writer.writerow(
            [
                line.kind,
                line.description,
                line.week_start.isoformat(),
                line.logged_minutes,
                line.billable_minutes,
                line.rate_cents,
                line.amount_cents,
                line.dispute_id if line.dispute_id is not None else "",
                amount_digits(line.rate_cents, invoice.currency),
                amount_digits(line.amount_cents, invoice.currency),
            ]
        )
    writer.writerow([])
    writer.writerow(["total_cents", invoice.total_cents])
    total = amount_digits(invoice.total_cents, invoice.currency)
    writer.writerow(["total", f"{total} {invoice.currency}"])
    return out.getvalue()


def csv_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number or f'draft-{invoice.id}'}.csv"
