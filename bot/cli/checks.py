"""The guided checks: `check NAME --answers …`, `check --stats`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from bot.cli.root import main
from bot.cli.runtime import (
    echo_json,
    fail,
    query,
)

if TYPE_CHECKING:
    from knowledge.decisions import Evaluation, FactVocabulary

    pass


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


# The facts and their values (knowledge/checks/facts.yaml; a test keeps this in step).
FACTS_HELP = """\b
Facts and values for --answers:
  ggz           basis | specialistisch | poh | ribw | zelfstandig | wachtlijst | gemeente | geen
  werken        ja | nee
  professional  ja | nee
  methode       ips | anders
  doelgroep     epa | cmd
  initiatief    uwv | gemeente | ggz | werkgever
  uitvoerder    ggz | gemeente | ribw | zzp | anders
  modelgetrouw  ja | nee
  zorgconnectie ja | nee

Facts count in any order: when the ones given already decide the verdict, whatever the
other answers would be, the outcome comes at once (and no next question)."""


@main.command("check", epilog=FACTS_HELP)
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
            echo_json(
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
        fail("give a check name (see: hoofdzaak check --list)", 2)
    check = base.checks.get(name)
    if check is None:
        fail(f"unknown check {name!r} (checks: {', '.join(base.checks)})", 2)
    if diagram:
        click.echo(mermaid(check, base.facts))
        return
    known: dict[str, str] = {}
    for item in (*answers, *extra):
        fact, sep, value = item.partition("=")
        if not sep or not fact or not value:
            fail(f"answers look like FACT=VALUE, got {item!r}", 2)
        known[fact.strip()] = value.strip()
    try:
        evaluation = evaluate(check, base.facts, known)
    except CheckInputError as exc:
        fail(str(exc), 2)
    if as_json:
        echo_json(_check_json(evaluation, base.facts))
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

    rows = query(lambda services, session: checks.stats(services, session, days))
    if as_json:
        echo_json(
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
