"""Two sender processes on one announcement, on SQLite and PostgreSQL: nobody gets it twice.

Claiming a row (pending → sending, one conditional UPDATE) is what makes this hold, so the
first test lets two processes race for the rows without the lease; the second runs them as
`hoofdzaak run` does, where the lease leaves the sending to one of them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.support.senders import WORKER, lines, prepare, rows_of

pytestmark = pytest.mark.both_databases
RECIPIENTS = 200


def _run_two(db_url: str, log: Path, mode: str) -> list[str]:
    """Start two workers, let them go at the same moment; returns their "ready" lines."""
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), db_url, str(log), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    ready = []
    for proc in procs:
        assert proc.stdout is not None
        ready.append(proc.stdout.readline().strip())
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        proc.communicate(timeout=90)
        assert proc.returncode == 0
    return ready


def _senders(log: Path) -> set[str]:
    return {line.split("\t")[2] for line in log.read_text().splitlines() if line}


async def _check(db_url: str, ann_id: int, log: Path) -> Counter[int]:
    rows, status = await rows_of(db_url, ann_id)
    received = Counter(lines(log))
    assert status == "done"
    assert len(rows) == RECIPIENTS
    assert {r.status for r in rows} == {"sent"}
    assert set(received) == {r.chat_id for r in rows}, "somebody got nothing"
    return received


async def test_two_processes_racing_for_the_rows_send_each_message_once(
    db_url: str, tmp_path: Path
) -> None:
    ann_id = await prepare(db_url, RECIPIENTS)
    log = tmp_path / "telegram.log"
    await asyncio.to_thread(_run_two, db_url, log, "race")
    received = await _check(db_url, ann_id, log)
    assert max(received.values()) == 1, "somebody got the announcement twice"
    assert len(_senders(log)) == 2, "both processes should have sent a share"


async def test_two_bots_on_one_database_only_one_sends(db_url: str, tmp_path: Path) -> None:
    ann_id = await prepare(db_url, RECIPIENTS)
    log = tmp_path / "telegram.log"
    outputs = await asyncio.to_thread(_run_two, db_url, log, "lease")
    assert sorted(outputs) == ["ready 0", "ready 1"], "exactly one process holds the lease"
    received = await _check(db_url, ann_id, log)
    assert max(received.values()) == 1, "somebody got the announcement twice"
    assert len(_senders(log)) == 1
