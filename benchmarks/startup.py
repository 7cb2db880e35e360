"""How long each `hoofdzaak` command takes, start to finish, as a person at a terminal waits.

    python benchmarks/startup.py [--runs 5]

Every command runs in a fresh process against a throw-away SQLite database with the demo
data; the figure is the shortest of `--runs` wall times (the least disturbed run), next to
`python -c pass` measured in the same run. `ask` and `chat` answer one question (`chat` piped:
start, answer, stop); for them the table also gives the time until the answer's first line
arrives, which is what the aim is about. The first run of each command also fills the caches
(the matcher's index, the knowledge base and the word lists: knowledge/index_cache.py,
knowledge/lexicon.py), as the first use on a machine does; the minimum is the usual case.
Prints a Markdown table; asserts nothing. Aims (issue 16): `--help` ≤ 0.3 s, commands that do
not answer questions ≤ 1 s, `ask` and `chat` ≤ 1.5 s to the first answer.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "hoofdzaak"
ANSWERING = ("ask", "chat")  # the commands whose aim is the time to the answer

COMMANDS: list[tuple[str, list[str], str | None, float]] = [
    # (label, arguments, stdin, aim in seconds)
    ("hoofdzaak --help", ["--help"], None, 0.3),
    ("hoofdzaak users list", ["users", "list"], None, 1.0),
    ("hoofdzaak regions list", ["regions", "list"], None, 1.0),
    ("hoofdzaak stats --region AM18", ["stats", "--region", "AM18"], None, 1.0),
    ("hoofdzaak db current", ["db", "current"], None, 1.0),
    (
        "hoofdzaak digest preview --role coach --region AM18",
        ["digest", "preview", "--role", "coach", "--region", "AM18"],
        None,
        1.0,
    ),
    ("hoofdzaak kb check", ["kb", "check"], None, 1.0),
    ('hoofdzaak ask "wat is een wsp"', ["ask", "wat is een wsp"], None, 1.5),
    ("hoofdzaak chat (one question, piped)", ["chat"], "wat is een wsp\n", 1.5),
]


def wall(argv: list[str], stdin: str | None, env: dict[str, str]) -> tuple[float, float]:
    """(the whole run, the moment the answer's first line was read: a line starting with
    "bot:" for the console, else the first line)."""
    started = time.perf_counter()
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        if stdin is not None:
            proc.stdin.write(stdin)
        proc.stdin.close()
        answer = math.inf
        for line in proc.stdout:
            if answer == math.inf and (line.startswith("bot:") or "chat" not in argv[1:2]):
                answer = time.perf_counter() - started
        errors = proc.stderr.read()
        code = proc.wait()
    took = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({code}): {errors[-500:]}")
    return took, min(answer, took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/startup.db",
            "HOOFDZAAK_INDEX_CACHE": str(Path(tmp) / "cache"),
        }
        env.pop("HOOFDZAAK_ADMINS", None)
        wall([str(BIN), "demo", "seed"], None, env)
        base = min(wall([sys.executable, "-c", "pass"], None, env)[0] for _ in range(args.runs))
        print(f"`python -c pass`: {base:.2f} s (min of {args.runs})\n")
        print(f"| command | wall time (min of {args.runs}) | to the answer | aim | met |")
        print("|---|---|---|---|---|")
        for label, argv, stdin, aim in COMMANDS:
            runs = [wall([str(BIN), *argv], stdin, env) for _ in range(args.runs)]
            took = min(total for total, _ in runs)
            answers = argv[0] in ANSWERING
            answer = min(first for _, first in runs) if answers else took
            shown = f"{answer:.2f} s" if answers else "–"
            met = "yes" if answer <= aim else "no"
            print(f"| `{label}` | {took:.2f} s | {shown} | ≤ {aim:g} s | {met} |")


if __name__ == "__main__":
    main()
