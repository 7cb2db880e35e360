"""The `hoofdzaak` command. Reports take --json; errors go to stderr with a non-zero exit."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from bot import __version__
from bot.config import Settings
from knowledge.decisions import Evaluation, FactVocabulary

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services
    from bot.storage.db import Database

DEFAULT_EVAL = Path("tests/data/faq_eval.tsv")
# What the classifier and the decision are fitted on. tests/data/faq_test.tsv and
# tests/data/faq_blind.tsv are kept out of every fit and every tuning choice: measured only.
CALIBRATION_SETS = (
    DEFAULT_EVAL,
    Path("tests/data/faq_holdout.tsv"),
    Path("tests/data/faq_tune.tsv"),
    Path("tests/data/faq_train.tsv"),
)
MEASURE_SETS = (Path("tests/data/faq_test.tsv"), Path("tests/data/faq_blind.tsv"))


class RedactingFormatter(logging.Formatter):
    """Telegram URLs carry the bot token (…/bot<token>/method), and an error can quote a
    secret: the whole formatted line (message, arguments of any type, traceback) is
    cleaned, so neither the token nor the webhook secret nor a database password reaches a
    log."""

    _token = re.compile(r"\d+:[A-Za-z0-9_-]{8,}")

    def __init__(self, fmt: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(sorted((s for s in secrets if s), key=len, reverse=True))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self.secrets:
            line = line.replace(secret, "<secret>")
        return self._token.sub("<token>", line)


def _secrets(settings: Settings | None) -> tuple[str, ...]:
    from sqlalchemy import make_url

    if settings is None:
        return ()
    found = [
        s.get_secret_value() for s in (settings.telegram_bot_token, settings.webhook_secret) if s
    ]
    password = make_url(settings.db_url).password
    if password:
        found.append(str(password))
    return tuple(found)


def _setup_logging(level: int = logging.INFO, settings: Settings | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", _secrets(settings))
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = first.get("loc", ("?",))[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        _fail(f"configuration: {field}: {message}", 2)


def pct(x: object) -> str:
    return f"{100 * float(str(x)):.1f}%"


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hoofdzaak")
def main() -> None:
    """Hoofdzaak Werk assistant: the Telegram bot and its tools."""


# -- the bot ---------------------------------------------------------------------------------


@main.command()
def run() -> None:
    """Run the bot against Telegram. Needs TELEGRAM_BOT_TOKEN.

    Long polling (a health check at /healthz with HOOFDZAAK_HEALTH_PORT); with WEBHOOK_URL
    set, webhook mode (WEBHOOK_SECRET required) with a health check at /healthz. SIGTERM or
    Ctrl-C stops cleanly in both modes.
    """
    from bot.app import ConfigError, build_application, check_run_settings

    settings = _settings()
    _setup_logging(settings=settings)
    try:
        check_run_settings(settings)
        app = build_application(settings)
    except ConfigError as exc:
        _fail(str(exc), 2)
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    _check_database(app.bot_data["services"].db)
    from bot.runner import serve
    from bot.webserver import ALLOWED_UPDATES

    if settings.webhook_url:
        asyncio.run(serve(app))
        return
    from bot.app import SERVE_HEALTH

    app.bot_data[SERVE_HEALTH] = True
    logging.getLogger(__name__).info("starting the bot (long polling)")
    app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


@main.command()
@click.option(
    "--rol",
    "role",
    type=click.Choice(["coach", "regio", "programma"]),
    default="programma",
    show_default=True,
    help="Your role in this console.",
)
@click.option("--regio", "region", default=None, help="Your region as coach or regio (AM18).")
@click.option("--demo", is_flag=True, help="Fill an empty database with demo data first.")
def chat(role: str, region: str | None, demo: bool) -> None:
    """Talk to the bot in this terminal: no Telegram, no token (same database).

    Files the bot sends (exports, charts) are saved under data/console/.
    """
    from bot.console import ConsoleError, ConsoleOptions
    from bot.console import main as console_main

    settings = _settings()
    _setup_logging(logging.WARNING, settings)
    _prepare_sqlite_dir()
    options = ConsoleOptions(role, region.upper() if region else None, demo)
    try:
        code = console_main(settings, options)
    except ConsoleError as exc:
        _fail(str(exc), 2)
    sys.exit(code)


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
def ask(question: str | None, as_json: bool) -> None:
    """Ask the knowledge base a QUESTION; without one, read one question per line from stdin."""
    from bot.services.faq.answers import answer_json
    from knowledge.kb import load_kb
    from knowledge.matcher import Matcher

    matcher = Matcher(load_kb())
    questions = [question] if question is not None else (ln.rstrip("\n") for ln in sys.stdin)
    for q in questions:
        if question is None and not q.strip():
            continue
        result = answer_json(matcher, q)
        if as_json:
            _echo_json(result)
            continue
        if result["answered"]:
            click.echo(
                f"{result['answer']}\n(bron: {', '.join(result['refs'])}; "
                f"score {result['score']:.2f})"
            )
        elif result["suggestions"]:
            click.echo("Bedoel je:")
            for s in result["suggestions"]:
                click.echo(f"  - {s['title']} ({', '.join(s['refs'])})")
        else:
            click.echo(f"Geen antwoord gevonden (score {result['score']:.2f}).")


# -- knowledge base --------------------------------------------------------------------------


@main.group()
def kb() -> None:
    """Knowledge base: check, evaluate, calibrate, unanswered questions."""


@kb.command("check")
@click.option("--json", "as_json", is_flag=True)
def kb_check(as_json: bool) -> None:
    """Validate every YAML file of the knowledge base."""
    from knowledge.kb import Problem, check_kb
    from knowledge.matcher import CALIBRATION_FILE, Calibration

    base, problems = check_kb()
    try:
        Calibration.load(CALIBRATION_FILE)
    except (OSError, ValueError, KeyError) as exc:
        problems.append(
            Problem(CALIBRATION_FILE.name, None, None, f"{exc} (run: hoofdzaak kb calibrate)")
        )
    if base is not None:
        problems.extend(classifier_problems(base))
    if as_json:
        _echo_json(
            {
                "ok": not problems,
                "entries": len(base.entries) if base else None,
                "problems": [
                    {"file": p.file, "entry": p.entry, "field": p.field, "message": p.message}
                    for p in problems
                ],
            }
        )
    else:
        for p in problems:
            click.echo(str(p), err=True)
        if base is not None:
            faq = sum(1 for e in base.entries if e.id.startswith("faq-"))
            click.echo(
                f"ok: {len(base.entries)} entries ({faq} FAQ items, "
                f"{len(base.entries) - faq} from the other documents)"
            )
    if problems:
        if not as_json:
            click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)


def classifier_problems(base: Any) -> list[Any]:
    """The stored classifier must be trained on this knowledge base (its fingerprint)."""
    from knowledge.classifier import CLASSIFIER_FILE, Classifier, fingerprint
    from knowledge.kb import Problem

    name = CLASSIFIER_FILE.name
    try:
        stored = Classifier.load(CLASSIFIER_FILE)
    except (OSError, ValueError, KeyError) as exc:
        return [Problem(name, None, None, f"{exc} (run: hoofdzaak kb calibrate)")]
    if stored.kb_fingerprint != fingerprint(base):
        return [
            Problem(
                name,
                None,
                None,
                "trained on another version of the knowledge base (the phrasings or synonyms "
                "changed): run hoofdzaak kb calibrate",
            )
        ]
    missing = sorted({e.id for e in base.entries} - set(stored.classes))
    if missing:
        return [Problem(name, None, None, f"no class for {', '.join(missing)}: run kb calibrate")]
    return []


@kb.command("eval")
@click.option(
    "--file",
    "paths",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="An evaluation set (question, expected entry, kind[, voice]); repeat for several. "
    "Default: every set in tests/data.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--misses/--no-misses", default=False, help="List the questions it got wrong.")
def kb_eval(paths: tuple[Path, ...], as_json: bool, misses: bool) -> None:
    """Measure the matcher per set: ranking (right first, in the top 3) and decisions
    (answered right, helped, answered wrong; out of scope refused), per kind, and the most
    frequent wrong answers."""
    from knowledge.evaluation import evaluate, load_eval
    from knowledge.kb import load_kb
    from knowledge.matcher import Matcher

    if not paths:
        paths = tuple(p for p in (*CALIBRATION_SETS, *MEASURE_SETS) if p.exists())
        if not paths:
            _fail("no evaluation sets found here: give one with --file", 2)
    matcher = Matcher(load_kb())
    results = {}
    for path in paths:
        report = evaluate(matcher, load_eval(path))
        data = report.as_dict()
        data["fitted"] = path.name in {p.name for p in CALIBRATION_SETS}
        results[path.name] = data
    if as_json:
        _echo_json(results if len(results) > 1 else next(iter(results.values())))
        return
    for name, data in results.items():
        _print_eval(name, data, misses)


def _print_eval(name: str, data: dict[str, Any], misses: bool) -> None:
    ins, oos = data["in_scope"], data["out_of_scope"]
    fitted = "fitted and tuned on" if data["fitted"] else "never fitted or tuned on"
    click.echo(f"{name} ({fitted}): {data['questions']} questions")
    click.echo(
        f"  ranking    right first {pct(ins['first'])}, in the top 3 {pct(ins['top3'])} "
        f"({ins['total']} in scope)"
    )
    click.echo(
        f"  decisions  answered right {pct(ins['right'])}, helped {pct(ins['helped'])}, "
        f"answered wrong {pct(ins['wrong'])}"
    )
    if oos["total"]:
        click.echo(
            f"  out of scope ({oos['total']})  refused {pct(oos['refused'])} "
            f"(answered {pct(oos['answered'])}; no buttons at all {pct(oos['no_buttons'])})"
        )
    click.echo("  per kind          n   first    top3   right  helped   wrong  refused")
    for kind, k in data["by_kind"].items():
        if "refused" in k:
            click.echo(f"    {kind:<22}{k['total']:4}{'':40}{pct(k['refused']):>8}")
        elif k:
            click.echo(
                f"    {kind:<12}{k['total']:4}"
                + "".join(f"{pct(k[m]):>8}" for m in ("first", "top3", "right", "helped", "wrong"))
            )
    if data["by_voice"]:
        click.echo("  per voice         n   first    top3   right  helped   wrong")
        for voice, k in data["by_voice"].items():
            click.echo(
                f"    {voice:<18}{k['total']:4}"
                + "".join(f"{pct(k[m]):>8}" for m in ("first", "top3", "right", "helped", "wrong"))
            )
    if data["confusion"]:
        click.echo("  most frequent wrong answers (expected → answered):")
        for c in data["confusion"]:
            click.echo(f"    {c['expected']} → {c['answered']}  ×{c['count']}")
    if misses:
        click.echo(f"  misses ({len(data['misses'])}):")
        for m in data["misses"]:
            click.echo(
                f"    [{m['outcome']}] {m['question']!r}: expected {m['expected']}, "
                f"got {m['got']} ({m['score']})"
            )
    click.echo("")


@kb.command("calibrate")
@click.option(
    "--file",
    "paths",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    default=CALIBRATION_SETS,
    show_default=True,
    help="Development set(s) to fit on; repeat for several. A set with a voice column is "
    "split into one group per voice.",
)
@click.option(
    "--write/--dry-run",
    default=True,
    help="Write knowledge/classifier.npz and knowledge/calibration.json.",
)
def kb_calibrate(paths: tuple[Path, ...], write: bool) -> None:
    """Train the classifier and fit the matcher's decision (docs/matcher.md). Needs
    scikit-learn (pip install -e '.[test]')."""
    try:
        import sklearn  # noqa: F401 - only to say clearly what is missing
    except ImportError:
        _fail("kb calibrate needs scikit-learn: pip install -e '.[test]'", 2)
    from knowledge.classifier import CLASSIFIER_FILE
    from knowledge.evaluation import VAGUE_FILE, calibrate, load_eval, load_lines, load_negatives
    from knowledge.kb import load_kb
    from knowledge.matcher import CALIBRATION_FILE

    groups: dict[str, list[Any]] = {}
    for path in paths:
        for item in load_eval(path):
            name = f"{path.stem}:{item.voice}" if item.voice else path.stem
            groups.setdefault(name, []).append(item)
    classifier, cal, _reports, info = calibrate(
        load_kb(),
        groups,
        load_negatives(),
        load_lines(VAGUE_FILE),
        progress=lambda msg: click.echo(msg, err=True),
    )
    if write:
        classifier.save(CLASSIFIER_FILE)
        cal.dump(CALIBRATION_FILE, info)
        click.echo(f"wrote {CLASSIFIER_FILE} and {CALIBRATION_FILE}", err=True)
    _echo_json(
        {
            "correct": cal.correct.as_dict(),
            "in_scope": cal.in_scope.as_dict(),
            "answer_threshold": cal.answer_threshold,
            "suggest_threshold": cal.suggest_threshold,
            **info,
        }
    )


@kb.command("unanswered")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--json", "as_json", is_flag=True)
def kb_unanswered(days: int, as_json: bool) -> None:
    """Questions the bot could not answer (or that got 👎), grouped and counted."""
    from bot.services.faq import answers as qa

    async def run(services: Services, session: AsyncSession) -> list[tuple[Any, str | None]]:
        groups = await qa.unanswered(services, session, days, shown=qa.MAX_QUESTION_CHARS)
        return [(g, qa.entry_title(services, g.entry_id)) for g in groups]

    groups = _query(run)
    if as_json:
        _echo_json(
            [
                {
                    "question": g.text,
                    "count": g.count,
                    "askers": g.askers,
                    "downvoted": g.downvoted,
                    "last_asked": g.last_asked.isoformat(),
                    "answer_given": title,
                }
                for g, title in groups
            ]
        )
        return
    if not groups:
        click.echo(f"no unanswered questions in the last {days} days")
    for g, _ in groups:
        extra = f", {g.downvoted}x 👎" if g.downvoted else ""
        by = f" by {g.askers} people" if g.askers > 1 else ""
        click.echo(f"{g.count:4}x{by}  {g.text}{extra}")


# -- guided checks -----------------------------------------------------------------------------


def _check_json(evaluation: Evaluation, vocab: FactVocabulary) -> dict[str, Any]:
    nxt = None
    if evaluation.next_fact is not None:
        fact = vocab.facts[evaluation.next_fact]
        nxt = {
            "fact": evaluation.next_fact,
            "question": fact.question,
            "options": [{"value": v, "label": label} for v, label in fact.options.items()],
        }
    outcome = evaluation.outcome
    return {
        "check": evaluation.check.id,
        "complete": evaluation.complete,
        "outcome": outcome.verdict if outcome else None,
        "reasons": evaluation.reasons,
        "refs": evaluation.refs,
        "next": nxt,
    }


@main.command("check")
@click.argument("name", required=False)
@click.option(
    "--answers",
    "-a",
    multiple=True,
    metavar="FACT=VALUE",
    help="A known fact; repeat for several (or give several after one --answers).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: outcome or next question.")
@click.option("--list", "list_checks", is_flag=True, help="List the checks.")
@click.option("--diagram", is_flag=True, help="Print the tree as a Mermaid flowchart.")
@click.option("--stats", is_flag=True, help="How often each outcome occurred (from the log).")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.argument("extra", nargs=-1)
def check_cmd(
    name: str | None,
    answers: tuple[str, ...],
    as_json: bool,
    list_checks: bool,
    diagram: bool,
    stats: bool,
    days: int,
    extra: tuple[str, ...],
) -> None:
    """Run a guided check (kandidaat, traject, cofinanciering); interactive without --json."""
    from knowledge.decisions import CheckInputError, evaluate, mermaid
    from knowledge.kb import load_kb

    if stats:
        _check_stats(days, as_json)
        return
    base = load_kb()
    if list_checks:
        if as_json:
            _echo_json(
                [
                    {"check": c.id, "command": f"/{c.command}", "title": c.title}
                    for c in base.checks.values()
                ]
            )
        else:
            for c in base.checks.values():
                click.echo(f"{c.id:<16} /{c.command:<16} {c.title}")
        return
    if name is None:
        _fail("give a check name (see: hoofdzaak check --list)", 2)
    check = base.checks.get(name)
    if check is None:
        _fail(f"unknown check {name!r} (checks: {', '.join(base.checks)})", 2)
    if diagram:
        click.echo(mermaid(check, base.facts))
        return
    known: dict[str, str] = {}
    for item in (*answers, *extra):
        fact, sep, value = item.partition("=")
        if not sep or not fact or not value:
            _fail(f"answers look like FACT=VALUE, got {item!r}", 2)
        known[fact.strip()] = value.strip()
    try:
        evaluation = evaluate(check, base.facts, known)
    except CheckInputError as exc:
        _fail(str(exc), 2)
    if as_json:
        _echo_json(_check_json(evaluation, base.facts))
        return
    click.echo(check.title)
    while not evaluation.complete:
        assert evaluation.next_fact is not None
        asked = base.facts.facts[evaluation.next_fact]
        options = list(asked.options.items())
        click.echo(f"\n{asked.question}  ({asked.help})")
        for i, (_, label) in enumerate(options, 1):
            click.echo(f"  {i}. {label}")
        choice = click.prompt("Kies", type=click.IntRange(1, len(options)))
        known[evaluation.next_fact] = options[choice - 1][0]
        evaluation = evaluate(check, base.facts, known)
    outcome = evaluation.outcome
    assert outcome is not None
    click.echo(f"\n{outcome.title}")
    for reason in evaluation.reasons:
        click.echo(f"- {reason}")
    click.echo(f"Bron: {', '.join(evaluation.refs)}")


def _check_stats(days: int, as_json: bool) -> None:
    from bot.services.checks import guided as checks

    rows = _query(lambda services, session: checks.stats(services, session, days))
    if as_json:
        _echo_json(
            [
                {"check": r.check_id, "outcome": r.outcome, "verdict": r.verdict, "count": r.count}
                for r in rows
            ]
        )
        return
    if not rows:
        click.echo(f"no finished checks in the last {days} days")
    for r in rows:
        click.echo(f"{r.count:5}  {r.check_id:<16} {r.verdict:<4} {r.title}")


# -- users -----------------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Users, roles and invites."""


@users.command("invite")
@click.option("--role", required=True, type=click.Choice(["coach", "regio", "programma"]))
@click.option("--region", default=None, help="AMxx; required for coach and regio.")
@click.option("--uses", default=1, show_default=True, type=int)
@click.option("--days", default=14, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True)
def users_invite(role: str, region: str | None, uses: int, days: int, as_json: bool) -> None:
    """Make an invite code and its deep link (https://t.me/<bot>?start=<code>)."""
    from bot.services.people import users as svc
    from bot.services.progress import regions as regions_svc

    async def run(services: Services, session: AsyncSession) -> tuple[str, str]:
        await regions_svc.ensure_regions(session, services.kb)
        invite = await svc.create_invite(
            session, services.region_codes(), role, region, uses, days, services.clock()
        )
        return invite.code, invite.expires_at.isoformat()

    try:
        code, expires = _query(run)
    except svc.UserInputError as exc:
        _fail(str(exc), 2)
    username = _settings().bot_username
    link = f"https://t.me/{username}?start={code}" if username else None
    if as_json:
        _echo_json(
            {
                "code": code,
                "link": link,
                "role": role,
                "region": region.upper() if region else None,
                "uses": uses,
                "expires_at": expires,
            }
        )
        return
    click.echo(f"code: {code}")
    click.echo(
        f"link: {link}"
        if link
        else "link: set TELEGRAM_BOT_USERNAME to print https://t.me/<bot>?start=<code>"
    )
    click.echo(f"valid until {expires}, {uses} use(s)")


@users.command("revoke")
@click.argument("code")
def users_revoke(code: str) -> None:
    """Revoke an invite code."""
    from bot.services.people import users as svc

    if not _query(lambda _services, session: svc.revoke_invite(session, code)):
        _fail(f"no invite with code {code!r}")
    click.echo("revoked")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    """Everyone who has talked to the bot, with role, region and status."""
    from bot.services.people import users as svc

    async def run(services: Services, session: AsyncSession) -> list[dict[str, object]]:
        admins = services.settings.admins
        return [
            {
                "telegram_id": u.telegram_id,
                "name": " ".join(filter(None, [u.first_name, u.last_name])),
                "role": svc.effective_role(u, u.telegram_id, admins),
                "region": u.region,
                "active": u.active,
                "last_seen": u.last_seen.isoformat(),
            }
            for u in await svc.list_users(session)
        ]

    rows = _query(run)
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        status = "" if r["active"] else " (non-actief)"
        click.echo(
            f"{r['telegram_id']:>12}  {r['role'] or '-':<10} {r['region'] or '-':<5} "
            f"{r['name']}{status}"
        )


@users.command("set")
@click.argument("telegram_id", type=int)
@click.option("--role", type=click.Choice(["coach", "regio", "programma"]), default=None)
@click.option("--region", default=None)
def users_set(telegram_id: int, role: str | None, region: str | None) -> None:
    """Change someone's role and/or region (they are active again)."""
    from bot.services.people import users as svc

    async def run(services: Services, session: AsyncSession) -> None:
        await svc.set_user(session, services.region_codes(), telegram_id, role, region)
        services.seen.forget(telegram_id)

    try:
        _query(run)
    except svc.UserInputError as exc:
        _fail(str(exc), 2)
    click.echo("saved")


@users.command("deactivate")
@click.argument("telegram_id", type=int)
def users_deactivate(telegram_id: int) -> None:
    """Take someone's role away (they can still ask questions)."""
    from bot.services.people import users as svc

    async def run(_services: Services, session: AsyncSession) -> None:
        await svc.deactivate(session, telegram_id)

    try:
        _query(run)
    except svc.UserInputError as exc:
        _fail(str(exc), 2)
    click.echo("deactivated")


@users.command("forget")
@click.argument("telegram_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def users_forget(telegram_id: int, as_json: bool) -> None:
    """Remove a person's personal data (AVG); the figures they are part of stay."""
    from bot.services.people import privacy

    async def run(services: Services, session: AsyncSession) -> privacy.ForgetReport:
        report = await privacy.forget_user(session, telegram_id)
        services.seen.forget(telegram_id)
        return report

    try:
        report = _query(run)
    except privacy.UnknownUser:
        _fail(f"no user with Telegram id {telegram_id}", 2)
    if as_json:
        _echo_json({"telegram_id": telegram_id, **report.as_dict()})
        return
    click.echo(
        f"forgotten: names and Telegram id removed; {report.questions} question text(s) "
        f"anonymised, {report.pseudonyms} pseudonym(s) removed, {report.messages} message "
        f"text(s) cleared, {report.forms} unfinished form(s) dropped"
    )


# -- regions ---------------------------------------------------------------------------------


@main.group()
def regions() -> None:
    """The 35 labour market regions: division and annual target per year."""


def _current_year() -> int:
    from bot.services import amsterdam_now

    return amsterdam_now().year


@regions.command("list")
@click.option("--year", type=click.IntRange(2017, 2100), default=None, help="Default: this year.")
@click.option("--json", "as_json", is_flag=True)
def regions_list(year: int | None, as_json: bool) -> None:
    """The regions with their division and target for a year."""
    from bot.services.progress import regions as svc

    the_year = year or _current_year()

    async def run(services: Services, session: AsyncSession) -> list[svc.RegionRow]:
        await svc.ensure_regions(session, services.kb)
        return await svc.list_regions(session, the_year)

    rows = _query(run)
    if as_json:
        _echo_json(
            [
                {
                    "code": r.code,
                    "name": r.name,
                    "centrumgemeente": r.centrumgemeente,
                    "year": r.year,
                    "division": r.division,
                    "target": r.target,
                }
                for r in rows
            ]
        )
        return
    for r in rows:
        target = "-" if r.target is None else str(r.target)
        click.echo(f"{r.code}  {r.name:<36} {r.division or '-':<24} {target:>5}")


@regions.command("set")
@click.argument("code")
@click.option("--year", type=int, default=None, help="Default: this year.")
@click.option(
    "--division", default=None, help="champions-league, eredivisie, keuken-kampioen-divisie"
)
@click.option("--target", type=int, default=None, help="Trajectories to start in that year.")
def regions_set(code: str, year: int | None, division: str | None, target: int | None) -> None:
    """Set a region's division and/or target for a year."""
    from bot.services.progress import regions as svc

    if division is None and target is None:
        _fail("give --division and/or --target", 2)
    setting = svc.RegionSetting(code.upper(), year or _current_year(), division, target)

    async def run(services: Services, session: AsyncSession) -> None:
        await svc.set_regions(session, services.kb, [setting])

    try:
        _query(run)
    except svc.RegionInputError as exc:
        _fail(str(exc), 2)
    click.echo(f"{setting.code} {setting.year}: saved")


@regions.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def regions_import(path: Path) -> None:
    """Import division and target per region and year from a CSV (code,year,division,target).

    All rows are checked first: with any error nothing is stored.
    """
    from bot.services.progress import regions as svc
    from knowledge.kb import load_kb

    try:
        settings = svc.parse_csv(path.read_text(encoding="utf-8-sig"))
    except svc.RegionInputError as exc:
        _fail(str(exc), 2)
    problems = svc.check_all(load_kb(), settings)
    if problems:
        _fail("nothing imported: " + "; ".join(problems), 2)

    async def run(services: Services, session: AsyncSession) -> None:
        await svc.set_regions(session, services.kb, settings)

    _query(run)
    click.echo(f"imported {len(settings)} row(s)")


# -- export ----------------------------------------------------------------------------------


@main.group("export")
def export_group() -> None:
    """Export data as files (pseudonyms only, never names)."""


@export_group.command("trajectories")
@click.option("--format", "fmt", required=True, type=click.Choice(["csv", "xlsx"]))
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File."
)
@click.option("--region", default=None, help="AMxx; default: all regions.")
@click.option(
    "--year", type=click.IntRange(2017, 2100), default=None, help="Start year; default: all."
)
@click.option("--json", "as_json", is_flag=True)
def export_trajectories(
    fmt: str, out: Path, region: str | None, year: int | None, as_json: bool
) -> None:
    """Write trajectories to a CSV (;-separated, UTF-8 with BOM, ISO dates) or XLSX file."""
    from bot.services.trajectories import export as svc

    selection = svc.Selection(region.upper() if region else None, year)
    the_format: svc.Format = "csv" if fmt == "csv" else "xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.part")

    async def run(services: Services, session: AsyncSession) -> int:
        if selection.region is not None and selection.region not in services.region_codes():
            _fail(f"unknown region {selection.region!r} (AM01 … AM38, see regions list)", 2)
        with partial.open("wb") as fh:
            return await svc.write_export(services, session, selection, {the_format: fh})

    try:
        count = _query(run)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    if as_json:
        _echo_json(
            {
                "path": str(out),
                "format": fmt,
                "rows": count,
                "region": selection.region,
                "year": year,
            }
        )
        return
    click.echo(f"wrote {count} trajectories to {out}")


# -- demo data -------------------------------------------------------------------------------


@main.group()
def demo() -> None:
    """Demo data to try the bot with: clearly marked, removed again by `demo clear`."""


def _demo_counts_text(counts: dict[str, int]) -> str:
    return (
        f"{counts['users']} users, {counts['region_years']} region years, "
        f"{counts['trajectories']} trajectories, {counts['events']} events"
    )


@demo.command("seed")
@click.option("--seed", "seed_value", type=int, default=2021, show_default=True)
@click.option(
    "--scale",
    type=click.FloatRange(0.01, 50),
    default=1.0,
    show_default=True,
    help="More or fewer trajectories (1: a few thousand).",
)
@click.option("--json", "as_json", is_flag=True)
def demo_seed(seed_value: int, scale: float, as_json: bool) -> None:
    """Fill the database with demo users, region years and trajectories (demo=True)."""
    import time

    from bot.services.progress import regions as regions_svc
    from bot.services.shared import demo as svc

    async def run(services: Services, session: AsyncSession) -> tuple[svc.DemoCounts, float]:
        await regions_svc.ensure_regions(session, services.kb)
        started = time.perf_counter()
        counts = await svc.seed(session, services.kb, services.clock(), seed_value, scale)
        return counts, time.perf_counter() - started

    try:
        made, took = _query(run)
    except svc.DemoError as exc:
        _fail(str(exc))
    counts, seconds = made.as_dict(), round(took, 2)
    if as_json:
        _echo_json({**counts, "seconds": seconds})
        return
    click.echo(f"demo data added: {_demo_counts_text(counts)} ({seconds} s)")
    click.echo("remove it again with: hoofdzaak demo clear")


@demo.command("clear")
@click.option("--json", "as_json", is_flag=True)
def demo_clear(as_json: bool) -> None:
    """Remove exactly the demo rows; real data is never touched."""
    from bot.services.shared import demo as svc

    counts = _query(lambda _services, session: svc.clear(session)).as_dict()
    if as_json:
        _echo_json(counts)
        return
    click.echo(f"demo data removed: {_demo_counts_text(counts)}")


# -- progress figures --------------------------------------------------------------------------


@main.command("stats")
@click.option("--region", default=None, help="AMxx: one region; without it, all regions.")
@click.option("--year", type=click.IntRange(2017, 2100), default=None, help="Default: this year.")
@click.option(
    "--chart",
    "chart_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the chart (PNG) to this file.",
)
@click.option("--json", "as_json", is_flag=True)
def stats_cmd(
    region: str | None, year: int | None, chart_path: Path | None, as_json: bool
) -> None:
    """Progress against the targets: one region (/regio) or all regions (/landelijk).

    Definitions: docs/stats.md.
    """
    from bot.services.progress import figures as svc
    from bot.services.progress import regions as regions_svc

    the_year = year or _current_year()
    code = region.upper() if region else None

    async def run(
        services: Services, session: AsyncSession
    ) -> tuple[dict[str, Any], bytes] | None:
        await regions_svc.ensure_regions(session, services.kb)
        today = services.clock().date()
        if code is None:
            national = await svc.national_figures(session, services.kb, the_year, today)
            png = svc.national_png(services, national) if chart_path else b""
            return svc.national_json(national), png
        figures = await svc.region_figures(session, code, the_year, today)
        if figures is None:
            return None
        png = svc.region_png(services, figures) if chart_path else b""
        return svc.region_json(figures), png

    result = _query(run)
    if result is None:
        _fail(f"unknown region {code!r} (AM01 … AM38, see regions list)", 2)
    data, png = result
    if chart_path is not None:
        chart_path.parent.mkdir(parents=True, exist_ok=True)
        chart_path.write_bytes(png)
    if as_json:
        _echo_json(data)
        return
    if code is None:
        _echo_national(data)
    else:
        _echo_region(data)
    if chart_path is not None:
        click.echo(f"chart: {chart_path}")


def _progress(row: dict[str, Any]) -> str:
    if not row["target"]:
        return f"{row['started']} started, no target"
    line = f"{row['started']} of {row['target']} started ({pct(row['progress'])})"
    if row["expected"] is not None:
        status = "on schedule" if row["on_schedule"] else "behind schedule"
        line += f"; expected pro rata {row['expected']:.1f}: {status}"
    return line


def _share(part: int, whole: int, share: float | None) -> str:
    return f"{part} of {whole} ({pct(share)})" if share is not None else f"{part} of {whole}"


def _echo_region(d: dict[str, Any]) -> None:
    click.echo(
        f"{d['region']} {d['name']}, {d['year']} (reference date {d['reference_date']}), "
        f"division {d['division'] or '-'}"
    )
    click.echo(f"  {_progress(d)}")
    click.echo(f"  running {d['running']}, placed {d['placed']}, ended {d['ended']}")
    click.echo(
        "  paid work: "
        + _share(d["started_with_paid_work"], d["started"], d["paid_work_share"])
        + " started; lasting paid work: "
        + _share(d["ended_in_lasting_paid_work"], d["ended"], d["lasting_paid_work_share"])
        + " ended"
    )
    click.echo("  started per month: " + " ".join(str(n) for n in d["started_per_month"]))


def _echo_national(d: dict[str, Any]) -> None:
    click.echo(f"{d['year']} (reference date {d['reference_date']}), by progress:")
    for r in d["regions"]:
        target = "-" if r["target"] is None else str(r["target"])
        progress = "-" if r["progress"] is None else pct(r["progress"])
        click.echo(
            f"  {r['region']}  {r['name']:<36} {r['division'] or '-':<24} "
            f"{r['started']:>6} /{target:>5} {progress:>7}"
        )
    click.echo("divisions:")
    for div in d["divisions"]:
        click.echo(
            f"  {div['division'] or '(none)':<24} {div['regions']:>2} regions  {_progress(div)}"
        )
    t = d["total"]
    click.echo(f"total: {_progress(t)}")
    click.echo(
        f"  running {t['running']}, placed {t['placed']}, ended {t['ended']}; national ambition "
        f"{t['national_ambition']} a year: {pct(t['ambition_progress'])}"
    )


# -- announcements ---------------------------------------------------------------------------

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
PICKED_UP = "the running bot (hoofdzaak run or hoofdzaak chat) picks it up within seconds"


def _audience(specs: tuple[str, ...]) -> dict[str, list[str]]:
    """`all`, `region=AM18+AM19`, `division=eredivisie`, `role=coach`, comma-separated;
    --audience may be repeated (the same key adds values)."""
    keys = {"region": "regions", "division": "divisions", "role": "roles"}
    out: dict[str, list[str]] = {"regions": [], "divisions": [], "roles": []}
    for spec in specs:
        for item in filter(None, (p.strip() for p in spec.split(","))):
            if item.lower() in ("all", "iedereen"):
                continue
            key, sep, value = item.partition("=")
            key = key.strip().lower().removesuffix("s")
            if not sep or key not in keys or not value.strip():
                _fail(
                    f"--audience: {item!r}: use all, region=AM18[+AM19], division=NAME "
                    "or role=coach|regio|programma",
                    2,
                )
            values = [v.strip() for v in value.split("+") if v.strip()]
            out[keys[key]] += [v.upper() for v in values] if key == "region" else values
    return out


def _when(at: str | None) -> datetime | None:
    if at is None:
        return None
    from bot.config import TIMEZONE

    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        _fail(f"--at: {at!r} is not an ISO date-time such as 2026-12-05T09:00", 2)
    return when if when.tzinfo is not None else when.replace(tzinfo=TIMEZONE)


@main.group(invoke_without_command=True)
@click.option(
    "--text-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The message: Telegram HTML (b, i, u, s, a href, code, pre, blockquote, tg-spoiler).",
)
@click.option(
    "--audience",
    "audience_specs",
    multiple=True,
    help="all | region=AM18[+AM19] | division=eredivisie | role=coach, comma-separated.",
)
@click.option(
    "--at", default=None, help="Send later: ISO date-time (Europe/Amsterdam if no offset)."
)
@click.option(
    "--file",
    "media",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A photo (jpg, png, webp) or document sent with the text as its caption.",
)
@click.option("--dry-run", is_flag=True, help="Only count the recipients; write nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def announce(
    ctx: click.Context,
    text_file: Path | None,
    audience_specs: tuple[str, ...],
    at: str | None,
    media: Path | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Send an announcement: write it and its deliveries; the running bot sends them.

    \b
    hoofdzaak announce --text-file F --audience region=AM18,role=coach [--at ISO]
                       [--file PATH] [--dry-run] [--json]
    hoofdzaak announce status ID [--json]
    hoofdzaak announce resend-uncertain ID
    hoofdzaak announce cancel ID
    """
    if ctx.invoked_subcommand is not None:
        if text_file or audience_specs or at or media or dry_run or as_json:
            _fail("put the options after the sub-command (e.g. announce status 3 --json)", 2)
        return
    if text_file is None or not audience_specs:
        _fail("--text-file and --audience are required (e.g. --audience all)", 2)
    from bot.services.messaging import announcements as svc
    from bot.services.shared.inputs import InputError

    text = text_file.read_text(encoding="utf-8").strip()
    media_kind = None
    if media is not None:
        media_kind = "photo" if media.suffix.lower() in IMAGE_SUFFIXES else "document"
    try:
        svc.check_message(text, media_kind is not None)
    except InputError as exc:
        _fail(f"{text_file}: {exc}", 2)
    audience = svc.Audience.of(dict(_audience(audience_specs)))
    when = _when(at)
    draft = svc.Draft(
        text, audience, media_kind, None, str(media.resolve()) if media is not None else None
    )

    async def run(services: Services, session: AsyncSession) -> dict[str, Any]:
        from bot.services.progress import regions as regions_svc

        await regions_svc.ensure_regions(session, services.kb)
        svc.validate(services, audience)
        if when is not None:
            svc.check_when(when, services.clock())
        found = await svc.recipients(services, session, audience)
        result: dict[str, Any] = {
            "audience": audience.as_dict(),
            "audience_label": svc.label(services, audience),
            "recipients": len(found),
        }
        if dry_run:
            return result | {"dry_run": True, "breakdown": svc.breakdown(found)}
        created = await svc.create(
            services, session, draft, created_by=None, progress_chat_id=None, scheduled_at=when
        )
        return result | {
            "id": created.id,
            "status": created.status,
            "scheduled_at": when.isoformat() if when else None,
        }

    try:
        out = _query(run)
    except (svc.AnnounceError, InputError) as exc:
        _fail(str(exc), 2)
    if as_json:
        _echo_json(out)
        return
    click.echo(f"audience: {out['audience_label']}: {out['recipients']} recipients")
    if dry_run:
        for key in ("regions", "roles"):
            parts = ", ".join(f"{k} {n}" for k, n in out["breakdown"][key].items())
            click.echo(f"  {key}: {parts}")
        click.echo("dry run: nothing written")
    elif when is not None:
        click.echo(f"announcement {out['id']}: scheduled for {when.isoformat()}; {PICKED_UP}")
    else:
        click.echo(f"announcement {out['id']}: sending; {PICKED_UP}")


@announce.command("status")
@click.argument("announcement_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def announce_status(announcement_id: int, as_json: bool) -> None:
    """Status and delivery counts of an announcement (or a week's digest)."""
    from bot.services.messaging import announcements as svc

    async def run(services: Services, session: AsyncSession) -> dict[str, Any]:
        return (await svc.status(services, session, announcement_id)).as_json()

    try:
        out = _query(run)
    except svc.AnnounceError as exc:
        _fail(str(exc))
    if as_json:
        _echo_json(out)
        return
    counts = out["counts"]
    click.echo(
        f"announcement {out['id']} ({out['kind']}): {out['status']}, {out['audience_label']}"
    )
    click.echo(
        "  "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "total")
        + f" (total {counts['total']})"
    )
    if counts["uncertain"]:
        click.echo(
            f"  {counts['uncertain']} uncertain: hoofdzaak announce resend-uncertain {out['id']}"
        )


@announce.command("resend-uncertain")
@click.argument("announcement_id", type=int)
def announce_resend_uncertain(announcement_id: int) -> None:
    """Send again to exactly the recipients whose delivery is uncertain."""
    from bot.services.messaging import announcements as svc

    async def run(services: Services, session: AsyncSession) -> int:
        await svc.status(services, session, announcement_id)  # exists?
        return await svc.resend(services, announcement_id)

    try:
        n = _query(run)
    except svc.AnnounceError as exc:
        _fail(str(exc))
    if n == 0:
        click.echo(f"announcement {announcement_id} has no uncertain deliveries")
        return
    click.echo(
        f"{n} uncertain deliveries of announcement {announcement_id} queued again; {PICKED_UP}"
    )


@announce.command("cancel")
@click.argument("announcement_id", type=int)
def announce_cancel(announcement_id: int) -> None:
    """Cancel a scheduled announcement (or stop one that is sending)."""
    from bot.services.messaging import announcements as svc

    async def run(services: Services, session: AsyncSession) -> str:
        return await svc.cancel(services, session, announcement_id)

    try:
        before = _query(run)
    except svc.AnnounceError as exc:
        _fail(str(exc))
    click.echo(f"announcement {announcement_id} cancelled (was {before})")


# -- the weekly digest -------------------------------------------------------------------------


@main.group("digest")
def digest_group() -> None:
    """The weekly digest: preview one, or queue a week's digests for the running bot to send."""


def _week(text: str | None) -> tuple[Any, Any]:
    """The week asked for (default: this week) and now; exit 2 for a bad or future week."""
    from bot.services import amsterdam_now
    from bot.services.messaging.digest.week import Week

    now = amsterdam_now()
    if text is None:
        return Week.of(now), now
    try:
        week = Week.parse(text)
    except ValueError as exc:
        _fail(str(exc), 2)
    if week > Week.of(now):
        _fail(f"week {week.label} has not started yet (this week is {Week.of(now).label})", 2)
    return week, now


def _buttons_json(buttons: Any) -> list[list[dict[str, str]]]:
    return [[{"text": b.text, "callback_data": b.data} for b in row] for row in buttons]


@digest_group.command("preview")
@click.option("--user", "telegram_id", type=int, default=None, help="A user's Telegram id.")
@click.option(
    "--role",
    type=click.Choice(["coach", "regio", "programma"]),
    default=None,
    help="A sample for a role (with --region for coach and regio).",
)
@click.option("--region", default=None, help="AMxx, for --role coach or regio.")
@click.option("--week", "week_text", default=None, help="YYYY-Www, e.g. 2026-W48 (default: now).")
@click.option("--json", "as_json", is_flag=True)
def digest_preview(
    telegram_id: int | None,
    role: str | None,
    region: str | None,
    week_text: str | None,
    as_json: bool,
) -> None:
    """Print a digest as it is (or would be) sent: of one user, or a sample for a role."""
    from bot.render import strip_html
    from bot.services.messaging.digest import queue as svc
    from bot.services.progress import regions as regions_svc

    if (telegram_id is None) == (role is None):
        _fail("give either --user TELEGRAM_ID or --role ROLE (with --region AMxx)", 2)
    code = region.upper() if region else None
    if role in ("coach", "regio") and code is None:
        _fail(f"--role {role} needs --region AMxx", 2)
    week, now = _week(week_text)

    async def run(services: Services, session: AsyncSession) -> svc.Preview | str:
        await regions_svc.ensure_regions(session, services.kb)
        if code is not None and code not in services.region_codes():
            return f"unknown region {code!r} (AM01 … AM38, see regions list)"
        if telegram_id is not None:
            return await svc.preview_user(services, session, telegram_id, week, now)
        assert role is not None
        return await svc.preview_sample(services, session, role, code, week, now)

    result = _query(run)
    if isinstance(result, str):
        _fail(result, 2)
    d, who = result.digest, result.recipient
    if as_json:
        _echo_json(
            {
                "week": week.label,
                "shown": result.note,
                "user": who.telegram_id,
                "role": who.role,
                "region": who.region,
                "html": d.text,
                "text": strip_html(d.text),
                "buttons": _buttons_json(d.buttons),
                "length": len(d.text),
            }
        )
        return
    click.echo(f"# week {week.label}; {result.note}")
    click.echo(strip_html(d.text))
    for row in d.buttons:
        click.echo("  " + "  ".join(f"[{b.text}]" for b in row))


@digest_group.command("send")
@click.option("--week", "week_text", required=True, help="YYYY-Www, e.g. 2026-W48.")
@click.option("--dry-run", is_flag=True, help="Write nothing: say who would get it.")
@click.option("--json", "as_json", is_flag=True)
def digest_send(week_text: str, dry_run: bool, as_json: bool) -> None:
    """Queue the week's digest for every eligible user, whatever their weekday; never twice.

    The running bot sends what is queued.
    """
    from bot.services.messaging.digest import queue as svc
    from bot.services.progress import regions as regions_svc

    week, now = _week(week_text)

    async def run(services: Services, session: AsyncSession) -> svc.SendReport:
        await regions_svc.ensure_regions(session, services.kb)
        return await svc.send_week(services, session, week, now, dry_run)

    report = _query(run)
    if as_json:
        _echo_json(
            {
                "week": week.label,
                "dry_run": dry_run,
                "queued": report.count("queued"),
                "already": report.count("already"),
                "skipped": report.count("skipped"),
                "users": [
                    {
                        "telegram_id": o.telegram_id,
                        "role": o.role,
                        "region": o.region,
                        "result": o.result,
                        "reason": o.reason,
                    }
                    for o in report.outcomes
                ],
            }
        )
        return
    queued = "would be queued" if dry_run else "queued"
    reasons = Counter(o.reason for o in report.outcomes if o.result == "skipped")
    skipped = ", ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items(), key=str))
    click.echo(
        f"week {week.label}: {report.count('queued')} {queued}, "
        f"{report.count('already')} already had it, {report.count('skipped')} skipped"
        + (f" ({skipped})" if skipped else "")
    )
    for o in report.outcomes:
        if o.result == "queued":
            click.echo(f"  {o.telegram_id}  {o.role}  {o.region or '-'}")
    if dry_run:
        click.echo("dry run: nothing was written")
    elif report.count("queued"):
        click.echo("the running bot sends them (hoofdzaak run)")


# -- database --------------------------------------------------------------------------------


T = TypeVar("T")


def _check_database(database: Database) -> None:
    """Fail with one line when the database cannot be reached, or was migrated by a newer
    version of the bot (before anything starts)."""
    from bot.storage.db import DatabaseUnavailable, SchemaTooNew

    async def ping() -> None:
        try:
            await database.ping()
            await database.check_schema()
        finally:
            await database.engine.dispose()  # the bot's own loop makes new connections

    try:
        asyncio.run(ping())
    except (DatabaseUnavailable, SchemaTooNew) as exc:
        _fail(f"database: {exc}")


def _query(run: Callable[[Services, AsyncSession], Awaitable[T]]) -> T:
    """Run one service query against the configured database (migrated first)."""
    from bot.app import build_services
    from bot.storage.db import DatabaseUnavailable, SchemaTooNew

    async def go() -> T:
        services = build_services(_settings())
        try:
            try:
                await services.db.ping()
                await services.db.check_schema()
            except (DatabaseUnavailable, SchemaTooNew) as exc:
                _fail(f"database: {exc}")
            await services.db.upgrade()
            async with services.db.session() as session:
                return await run(services, session)
        finally:
            await services.db.dispose()

    _prepare_sqlite_dir()
    return asyncio.run(go())


def _prepare_sqlite_dir() -> None:
    path = _settings().sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


@main.group()
def db() -> None:
    """Database: migrations and backups."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (also done at start-up)."""
    from bot.storage.db import upgrade

    _prepare_sqlite_dir()
    _check_database(_database())
    upgrade(_settings().db_url)
    click.echo("database is up to date")


@db.command("current")
@click.option("--json", "as_json", is_flag=True)
def db_current(as_json: bool) -> None:
    """Show the database's migration revision and this version's newest."""
    from bot.storage.db import DatabaseUnavailable, known_revisions

    database = _database()

    async def go() -> tuple[str | None, str]:
        try:
            await database.ping()
            return await database.revisions()
        finally:
            await database.dispose()

    _prepare_sqlite_dir()
    try:
        found, head = asyncio.run(go())
    except DatabaseUnavailable as exc:
        _fail(f"database: {exc}")
    if found == head:
        state = "up to date"
    elif found is not None and found not in known_revisions():
        state = "newer than this version of the bot"
    else:
        state = "behind: hoofdzaak db upgrade (or starting the bot) applies the rest"
    if as_json:
        _echo_json({"current": found, "head": head, "state": state})
    else:
        click.echo(
            f"database at {found or 'nothing (empty)'}, this version's newest is {head}: {state}"
        )


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_downgrade(revision: str, yes: bool) -> None:
    """Migrate down to REVISION (e.g. 0008), to go back to an older version of the bot.

    Drops the tables and columns the later migrations added, with their data: take a backup
    first. Run it with the newer version still installed (only it knows its migrations).
    """
    from bot.storage.db import downgrade, known_revisions

    if revision not in known_revisions():
        _fail(f"unknown revision {revision}: see hoofdzaak db current", 2)
    _check_database(_database())
    if not yes:
        click.confirm(
            f"Migrate the database down to {revision}? Data in newer tables is lost.", abort=True
        )
    downgrade(_settings().db_url, revision)
    click.echo(f"database is at {revision}")


def _database() -> Database:
    from bot.storage.db import Database

    return Database(_settings().db_url)


@db.command("retention")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True)
def db_retention(dry_run: bool, as_json: bool) -> None:
    """Apply the retention periods now (the bot also does this every night at 03:30)."""
    from bot.services.people import privacy

    async def run(services: Services, session: AsyncSession) -> privacy.RetentionReport:
        policy = privacy.policy_from(services.settings)
        return await privacy.apply_retention(session, policy, services.clock(), dry_run)

    report = _query(run)
    if as_json:
        _echo_json({"dry_run": dry_run, **report.as_dict()})
        return
    would = "would be " if dry_run else ""
    click.echo(f"question texts {would}anonymised: {report.questions}")
    click.echo(f"pseudonyms {would}removed: {report.pseudonyms} (+{report.events} in histories)")
    click.echo(f"message texts {would}cleared: {report.messages}")


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path) -> None:
    """Copy the SQLite database to TARGET (consistent, while the bot runs)."""
    source = _settings().sqlite_path()
    if source is None:
        _fail("db backup is for SQLite; for PostgreSQL use pg_dump (see docs/deploy.md)", 2)
    if not source.exists():
        _fail(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    click.echo(f"backed up {source} to {target}")


if __name__ == "__main__":
    main()
