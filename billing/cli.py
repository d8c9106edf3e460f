"""``workdiary-server``: serve, migrate, run-jobs, sweep-blobs, create-user, create-contract, demo,
verify.

Every command takes ``--data-dir`` (default: the platform's user data dir for
"Workdiary-server"); ``DATABASE_URL=postgresql+psycopg://…`` selects PostgreSQL.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from billing.clock import Clock, FileClock, SystemClock, parse_instant
from billing.config import Settings, default_data_dir
from billing.db.contracts import contracts_of, create_fixed_contract
from billing.db.errors import ServiceError
from billing.db.migrate import upgrade
from billing.db.models import Contract, ContractKind, Role, User
from billing.db.session import make_engine, make_session_factory
from billing.domain.evidence_check import check_bundle
from billing.domain.money import check_currency, parse_minor
from billing.passwords import Passwords
from billing.services import accounts, hourly
from billing.services.transaction import in_transaction

DEMO_PASSWORD = "demo"
DEMO_CLIENT = "client@demo.test"
DEMO_FREELANCER = "freelancer@demo.test"


def _clock() -> Clock:
    """The system clock, or a file-driven one for end-to-end tests (WORKDIARY_CLOCK_FILE)."""
    clock_file = os.environ.get("WORKDIARY_CLOCK_FILE")
    return FileClock(Path(clock_file)) if clock_file else SystemClock()


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(Path(args.data_dir))


def _migrated_factory(settings: Settings):  # type: ignore[no-untyped-def]
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.url, sqlite_synchronous=settings.sqlite_synchronous)
    upgrade(engine)
    return engine, make_session_factory(engine)


def _passwords(settings: Settings) -> Passwords:
    return Passwords.with_cost(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )


def rate_minor(text: str, currency: str) -> int:
    """``--rate 40.00`` USD → 4000, ``--rate 1000`` JPY → 1000 minor units (no float)."""
    minor = parse_minor(text, currency)
    if minor <= 0:
        raise ValueError("--rate must be more than zero")
    return minor


def app_from_env(*, migrate: bool = False):  # type: ignore[no-untyped-def]
    """The app for ``serve`` (also uvicorn's factory when it runs several workers).

    Reads ``WORKDIARY_DATA_DIR`` and ``WORKDIARY_JOBS_INTERVAL`` set by ``cmd_serve``.
    """
    from billing.api.app import create_app

    settings = Settings.from_env(
        Path(os.environ.get("WORKDIARY_DATA_DIR") or default_data_dir()),
        jobs_interval_seconds=float(os.environ.get("WORKDIARY_JOBS_INTERVAL", "60")),
    )
    app = create_app(settings, _clock(), migrate=migrate, run_scheduler=True)
    settle_startup_objects()
    return app


def settle_startup_objects() -> None:
    """What the server built at startup (the app, its routes and schemas, the ORM's
    mappings) lives as long as the process: it is kept out of the collector's reach, so a
    full collection walks only what requests left behind. Objects held across a group of
    single PUTs' commit age into the oldest generation and set off full collections, each
    of which walked every startup object (~0.1 s each, ~0.07 ms per PUT)."""
    gc.collect()
    gc.freeze()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ["WORKDIARY_DATA_DIR"] = str(Path(args.data_dir).resolve())
    if args.jobs_interval is not None:
        os.environ["WORKDIARY_JOBS_INTERVAL"] = str(float(args.jobs_interval))
    settings = _settings(args)
    print(f"workdiary-server on http://{args.host}:{args.port} (data: {settings.data_dir})")
    sys.stdout.flush()
    common = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "access_log": False,
        # an idle keep-alive connection is closed after 5 s; request bodies have their
        # own read timeout (billing.api.body_limits, 408)
        "timeout_keep_alive": 5,
    }
    if args.workers > 1:
        # migrate once here; each worker process builds its own app (and scheduler: the
        # job steps are safe to run side by side)
        engine, _ = _migrated_factory(settings)
        engine.dispose()
        uvicorn.run("billing.cli:app_from_env", factory=True, workers=args.workers, **common)
    else:
        uvicorn.run(app_from_env(migrate=True), **common)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine, _ = _migrated_factory(settings)
    engine.dispose()
    print(f"database at the latest revision ({settings.url.split('@')[-1]})")
    return 0


def cmd_run_jobs(args: argparse.Namespace) -> int:
    from billing.jobs import run_jobs

    settings = _settings(args)
    now = parse_instant(args.now) if args.now else _clock().now()
    engine, factory = _migrated_factory(settings)
    try:
        report = run_jobs(factory, now, settings)
    finally:
        engine.dispose()
    print(json.dumps({"now": now.isoformat(), **report}))
    return 0


def cmd_sweep_blobs(args: argparse.Namespace) -> int:
    from billing.blob_config import blob_store_for
    from billing.blob_sweep import sweep_orphan_blobs

    settings = _settings(args)
    engine, factory = _migrated_factory(settings)
    try:
        removed = sweep_orphan_blobs(factory, blob_store_for(settings), _clock().now())
    finally:
        engine.dispose()
    print(json.dumps({"removed": removed}))
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine, factory = _migrated_factory(settings)
    try:
        with factory() as session:
            user = accounts.create_user(
                session,
                _passwords(settings),
                email=args.email,
                password=args.password,
                role=args.role,
                now=_clock().now(),
                display_name=args.name,
            )
            print(json.dumps({"id": user.id, "email": user.email, "role": user.role}))
    finally:
        engine.dispose()
    return 0


# fixed-price contract creation as one committed unit of work
_create_fixed = in_transaction(create_fixed_contract)


def cmd_create_contract(args: argparse.Namespace) -> int:
    settings = _settings(args)
    engine, factory = _migrated_factory(settings)
    try:
        with factory() as session:
            client = accounts.user_by_email(session, args.client)
            freelancer = accounts.user_by_email(session, args.freelancer)
            if client is None or freelancer is None:
                raise ServiceError("client or freelancer e-mail unknown (create-user first)")
            if args.kind == "hourly" and args.rate is None:
                raise ServiceError("an hourly contract needs --rate")
            currency = check_currency(args.currency)
            now = _clock().now()
            if args.kind == "hourly":
                contract = hourly.create_hourly_contract(
                    session,
                    client=client,
                    freelancer=freelancer,
                    title=args.title,
                    currency=currency,
                    rate_cents=rate_minor(args.rate, currency),
                    now=now,
                    weekly_cap_minutes=None if args.cap_hours is None else args.cap_hours * 60,
                    screenshots_enabled=not args.no_screenshots,
                    blur_screenshots=args.blur,
                    manual_time_allowed=args.manual_time,
                )
            else:
                contract = _create_fixed(
                    session,
                    client=client,
                    freelancer=freelancer,
                    title=args.title,
                    currency=currency,
                    now=now,
                )
            print(json.dumps(_contract_json(contract)))
    finally:
        engine.dispose()
    return 0


def _contract_json(contract: Contract) -> dict[str, object]:
    return {
        "id": contract.id,
        "kind": contract.kind,
        "title": contract.title,
        "currency": contract.currency,
        "rate_cents": contract.rate_cents,
        "screenshots_enabled": contract.screenshots_enabled,
    }


def cmd_demo(args: argparse.Namespace) -> int:
    """Idempotent demo data: a client, a freelancer, one hourly and one fixed-price contract."""
    settings = _settings(args)
    engine, factory = _migrated_factory(settings)
    now = _clock().now()
    passwords = _passwords(settings)
    try:
        with factory() as session:
            client, freelancer = (
                accounts.user_by_email(session, email)
                or accounts.create_user(
                    session,
                    passwords,
                    email=email,
                    password=DEMO_PASSWORD,
                    role=role,
                    now=now,
                    display_name=name,
                )
                for email, role, name in (
                    (DEMO_CLIENT, Role.CLIENT, "Demo Client"),
                    (DEMO_FREELANCER, Role.FREELANCER, "Demo Freelancer"),
                )
            )
            hourly_contract, fixed = _demo_contracts(session, client, freelancer, now)
            print(
                json.dumps(
                    {
                        "users": [
                            {"email": u.email, "role": u.role, "password": DEMO_PASSWORD}
                            for u in (client, freelancer)
                        ],
                        "contracts": [
                            {**_contract_json(hourly_contract), "weekly_cap_hours": 40},
                            _contract_json(fixed),
                        ],
                    },
                    indent=2,
                )
            )
    finally:
        engine.dispose()
    return 0


def _demo_contracts(
    session: Session, client: User, freelancer: User, now: datetime
) -> tuple[Contract, Contract]:
    """The demo pair's hourly and fixed-price contracts, made if missing."""
    mine = {
        contract.kind: contract
        for contract in contracts_of(session, client)
        if contract.freelancer_id == freelancer.id
    }
    hourly_contract = mine.get(ContractKind.HOURLY) or hourly.create_hourly_contract(
        session,
        client=client,
        freelancer=freelancer,
        title="Demo hourly contract",
        currency="USD",
        rate_cents=4000,
        now=now,
        weekly_cap_minutes=40 * 60,
        screenshots_enabled=True,
    )
    fixed = mine.get(ContractKind.FIXED) or _create_fixed(
        session,
        client=client,
        freelancer=freelancer,
        title="Demo fixed-price contract",
        currency="USD",
        now=now,
    )
    return hourly_contract, fixed


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        default=str(default_data_dir()),
        help="where the SQLite database and shot blobs live (default: %(default)s)",
    )
    parser = argparse.ArgumentParser(prog="workdiary-server", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[common], help="run the API and the jobs")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--jobs-interval", type=float, default=None, help="seconds between job runs; 0 = off"
    )
    serve.add_argument("--log-level", default="warning")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1)")
    serve.set_defaults(run=cmd_serve)

    commands.add_parser("migrate", parents=[common], help="migrate the database").set_defaults(
        run=cmd_migrate
    )

    run_jobs = commands.add_parser("run-jobs", parents=[common], help="run the due jobs once")
    run_jobs.add_argument("--now", help="ISO-8601 instant to run the jobs for (default: now)")
    run_jobs.set_defaults(run=cmd_run_jobs)

    commands.add_parser(
        "sweep-blobs", parents=[common], help="remove blobs no row refers to (older than 1 h)"
    ).set_defaults(run=cmd_sweep_blobs)

    user = commands.add_parser("create-user", parents=[common], help="add a user")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--role", required=True, choices=[role.value for role in Role])
    user.add_argument("--name")
    user.set_defaults(run=cmd_create_user)

    contract = commands.add_parser("create-contract", parents=[common], help="add a contract")
    contract.add_argument("--client", required=True, help="client e-mail")
    contract.add_argument("--freelancer", required=True, help="freelancer e-mail")
    contract.add_argument("--title", required=True)
    contract.add_argument("--kind", choices=["hourly", "fixed"], default="hourly")
    contract.add_argument("--currency", default="USD", help="ISO 4217 code (default USD)")
    contract.add_argument(
        "--rate", help="per hour in the currency, e.g. 40.00 (USD), 5000 (JPY), 12.500 (KWD)"
    )
    contract.add_argument("--cap-hours", type=int)
    contract.add_argument("--no-screenshots", action="store_true")
    contract.add_argument("--blur", action="store_true")
    contract.add_argument("--manual-time", action="store_true")
    contract.set_defaults(run=cmd_create_contract)

    commands.add_parser("demo", parents=[common], help="create the demo data").set_defaults(
        run=cmd_demo
    )
    _add_verify(commands)
    return parser


def _add_verify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = commands.add_parser("verify", help="check a week's evidence bundle offline")
    verify.add_argument("bundle", help="the zip downloaded from the diary or the API")
    verify.set_defaults(run=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    """Print what holds in the bundle; exit 0 when everything does, 1 otherwise."""
    findings = check_bundle(Path(args.bundle).read_bytes())
    for finding in findings:
        print(f"{'ok  ' if finding.holds else 'FAIL'} {finding.text}")
    holds = all(finding.holds for finding in findings)
    print("the bundle verifies" if holds else "the bundle does NOT verify")
    return 0 if holds else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ServiceError as error:
        print(f"workdiary-server: {error.message}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"workdiary-server: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
