"""What the bot builds from the knowledge base, kept on disk between runs, so that `hoofdzaak
ask` and `hoofdzaak chat` answer sooner: the matcher's index (building it takes about a
second, loading it about ten milliseconds) and the loaded, checked knowledge base itself
(reading and checking the YAML files about a tenth of a second, loading it two milliseconds).
knowledge/lexicon.py keeps its word lists in the same directory.

A file is keyed by everything it is built from (for the index: every entry's phrasings and
answer texts, the synonyms, stop words and off-topic words; for the knowledge base: the bytes
of its files) and by the code that builds it (for the index knowledge/matcher.py and
knowledge/text.py): a changed knowledge base or a new version builds a new one. It lives in
`HOOFDZAAK_INDEX_CACHE` (a directory; `off` builds every time) or else `$XDG_CACHE_HOME/hoofdzaak`
(`~/.cache/hoofdzaak`). It is a pickle, like pip's and pytest's caches: a directory only its
own user can write. Anything wrong with it (unreadable, from another Python) and it is simply
built again; a cache that cannot be written is no error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
CODE = (Path(__file__).parent / "matcher.py", Path(__file__).parent / "text.py")


def cache_dir() -> Path | None:
    configured = os.environ.get("HOOFDZAAK_INDEX_CACHE")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "no") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hoofdzaak"


def key_of(data: object, code: tuple[Path, ...] = CODE) -> str:
    """A key for `data` (JSON-able) built by `code` on this Python."""
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
    for path in code:
        digest.update(path.read_bytes())
    digest.update(sys.version.encode())
    return digest.hexdigest()[:24]


def cached(
    name: str, data: object, build: Callable[[], T], kind: type[T], code: tuple[Path, ...] = CODE
) -> T:
    """`build()`, or what an earlier run built from the same `data` with the same `code`."""
    directory = cache_dir()
    if directory is None:
        return build()
    path = directory / f"{name}-{key_of(data, code)}.pickle"
    try:
        with path.open("rb") as fh:
            found = pickle.load(fh)  # noqa: S301 - our own cache, in a directory of this user
        if isinstance(found, kind):
            return found
    except FileNotFoundError:
        pass
    except Exception as exc:
        log.info("index cache %s not used: %s", path, exc)
    value = build()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, delete=False, suffix=".tmp") as tmp:
            pickle.dump(value, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, path)
    except OSError as exc:
        log.info("index cache %s not written: %s", path, exc)
    return value
