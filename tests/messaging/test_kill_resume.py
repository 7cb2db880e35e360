"""Kill the sender with SIGKILL at random moments and start it again until it is done: every
recipient has exactly one message, except the ones reported uncertain (at most the
concurrency per kill), which have at most one."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.support.senders import RECIPIENTS, WORKER, lines, prepare, rows_of

CONCURRENCY = 4  # as in the worker
KILLS = 5


def _start(db_file: Path, log: Path) -> tuple[subprocess.Popen[str], int]:
    """Start a sender; returns it and how many in-flight rows it found (now uncertain)."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), f"sqlite+aiosqlite:///{db_file}", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    ready = proc.stdout.readline()  # recovery is done, sending starts
    assert ready.startswith("ready"), ready
    return proc, int(ready.split()[1])


def test_sigkill_at_random_moments_loses_nobody_and_doubles_nobody(tmp_path: Path) -> None:
    rng = random.Random(20261204)
    db_file, log = tmp_path / "kill.db", tmp_path / "telegram.log"
    url = f"sqlite+aiosqlite:///{db_file}"
    ann_id = asyncio.run(prepare(url))
    started = time.monotonic()
    mid_send_kills = 0
    recovered = []
    for _ in range(KILLS):
        proc, found = _start(db_file, log)
        recovered.append(found)
        time.sleep(rng.uniform(0.02, 0.25))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if 0 < len(lines(log)) < RECIPIENTS:
                mid_send_kills += 1
    proc, found = _start(db_file, log)
    recovered.append(found)
    assert proc.wait(timeout=60) == 0

    rows, status = asyncio.run(rows_of(url, ann_id))
    received = Counter(lines(log))
    uncertain = [r for r in rows if r.status == "uncertain"]
    assert status == "done"
    assert {r.status for r in rows} <= {"sent", "uncertain"}
    assert len(rows) == RECIPIENTS
    assert max(received.values()) == 1, "somebody got the announcement twice"
    for row in rows:
        if row.status == "sent":
            assert received[row.chat_id] == 1, row.chat_id
    assert all(n <= CONCURRENCY for n in recovered), recovered  # only those in flight
    assert len(uncertain) == sum(recovered)
    assert set(received) <= {r.chat_id for r in rows}
    assert mid_send_kills >= 2, "the kills should land while sending"
    assert time.monotonic() - started < 30
