"""The knowledge base: `kb check`, `kb eval`, `kb calibrate`, `kb unanswered`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot import collector
from bot.cli.root import main
from bot.cli.runtime import (
    CALIBRATION_SETS,
    DATA_SET_PREFIX,
    DATA_SETS,
    DATA_TUNED,
    MEASURE_SETS,
    echo_json,
    fail,
    pct,
    query,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


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
        echo_json(
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
    "Default: every set in knowledge/eval_sets.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--misses/--no-misses", default=False, help="List the questions it got wrong.")
@click.option(
    "--learned",
    is_flag=True,
    help="Also with the learned phrasings of the database (confirmed in /onbeantwoord): the "
    "figures with them and the questions whose answer they change.",
)
def kb_eval(paths: tuple[Path, ...], as_json: bool, misses: bool, learned: bool) -> None:
    """Measure the answers per set, as the bot gives them (data questions first, then the
    matcher): ranking (right first, in the top 3) and decisions (answered right, helped,
    answered wrong; out of scope refused), per kind, the most frequent wrong answers; and how
    well data questions are recognised (data_*.tsv)."""
    from knowledge.data_questions import DataQuestionParser
    from knowledge.evaluation import evaluate, evaluate_data, load_data_eval, load_eval
    from knowledge.kb import load_kb
    from knowledge.matcher import Matcher

    if not paths:
        paths = tuple(p for p in (*CALIBRATION_SETS, *MEASURE_SETS, *DATA_SETS) if p.exists())
        if not paths:
            fail("no evaluation sets found here: give one with --file", 2)
    matcher = Matcher(load_kb())
    parser = DataQuestionParser(matcher.kb.regions)
    collector.started()
    index = _learned_index(matcher) if learned else None
    results: dict[str, Any] = {}
    for path in paths:
        if path.name.startswith(DATA_SET_PREFIX):
            data = evaluate_data(parser.kind_and_region, load_data_eval(path))
            data["fitted"] = path.name in {p.name for p in DATA_TUNED}
            results[path.name] = data
            continue
        items = load_eval(path)
        data = evaluate(matcher, items, data=parser.parse).as_dict()
        data["fitted"] = path.name in {p.name for p in CALIBRATION_SETS}
        if index is not None:
            data["with_learned"] = _with_learned(matcher, items, parser, index)
        results[path.name] = data
    if as_json:
        echo_json(results if len(results) > 1 else next(iter(results.values())))
        return
    for name, data in results.items():
        if name.startswith(DATA_SET_PREFIX):
            _print_data_eval(name, data, misses)
        else:
            _print_eval(name, data, misses)


def _learned_index(matcher: Any) -> Any:
    """The confirmed learned phrasings of the configured database, as the bot uses them."""
    from bot.domain import LearnedStatus
    from bot.storage.questions import LearnedRepo
    from knowledge.learned import Learned, LearnedIndex

    async def rows(services: Services, session: AsyncSession) -> list[Learned]:
        found = await LearnedRepo(session).with_status(
            LearnedStatus.CONFIRMED, LearnedStatus.EXPORTED
        )
        return [Learned(r.id, r.text, r.entry_id) for r in found]

    index = LearnedIndex(matcher.index)
    index.sync(query(rows))
    return index


def _with_learned(matcher: Any, items: Any, parser: Any, index: Any) -> dict[str, Any]:
    """The set's figures with the learned phrasings, and what they change."""
    from knowledge.evaluation import evaluate

    report = evaluate(matcher, items, learned=index, data=parser.parse).as_dict()
    changed = []
    for item in items:
        if parser.parse(item.question) is not None:
            continue
        before, after = matcher.match(item.question), matcher.match(item.question, index)
        if (before.outcome, before.entry_id) != (after.outcome, after.entry_id):
            changed.append(
                {
                    "question": item.question,
                    "expected": item.expected,
                    "before": before.entry_id or before.outcome.value,
                    "after": after.entry_id or after.outcome.value,
                }
            )
    return {
        "phrasings": len(index),
        "in_scope": report["in_scope"],
        "out_of_scope": report["out_of_scope"],
        "changed": changed,
    }


def _print_data_eval(name: str, data: dict[str, Any], misses: bool) -> None:
    fitted = "tuned on" if data["fitted"] else "never tuned on"
    click.echo(f"{name} ({fitted}): data questions recognised")
    click.echo(
        f"  {data['data_questions']} data questions: right {pct(data['right'])}, "
        f"wrong kind or region {pct(data['wrong'])}, missed (left to the FAQ) "
        f"{pct(data['missed'])}"
    )
    click.echo(
        f"  {data['rule_questions']} rule questions: taken from the FAQ {pct(data['rules_taken'])}"
    )
    if misses:
        for what, questions in data["misses"].items():
            for q in questions:
                click.echo(f"    [{what}] {q}")
    click.echo("")


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
    taken = data["data_questions"]
    click.echo(
        f"  data questions  FAQ questions taken {taken['in_scope']}, out-of-scope ones "
        f"answered from the data {taken['out_of_scope']}"
    )
    if "with_learned" in data:
        w = data["with_learned"]
        wi, wo = w["in_scope"], w["out_of_scope"]
        click.echo(
            f"  with {w['phrasings']} learned phrasings  answered right {pct(wi['right'])}, "
            f"helped {pct(wi['helped'])}, answered wrong {pct(wi['wrong'])}; out of scope "
            f"refused {pct(wo['refused'])}; {len(w['changed'])} answers changed"
        )
        for c in w["changed"]:
            change = f"{c['before']} → {c['after']}"
            click.echo(f"    {c['question']!r}: {change} (expected {c['expected']})")
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
        fail("kb calibrate needs scikit-learn: pip install -e '.[test]'", 2)
    from knowledge.classifier import CLASSIFIER_FILE
    from knowledge.evaluation import VAGUE_FILE, calibrate, load_eval, load_lines, load_negatives
    from knowledge.kb import load_kb
    from knowledge.matcher import CALIBRATION_FILE

    collector.started()
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
    echo_json(
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
        return [(g, services.kb.title_of(g.entry_id)) for g in groups]

    groups = query(run)
    if as_json:
        echo_json(
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
