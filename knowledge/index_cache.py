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
    path = directory / f"{name}-{key_of(data, code)}.pickle" if directory else None

    def load(path: Path) -> T:
        with path.open("rb") as fh:
            found = pickle.load(fh)  # noqa: S301 - our own cache, in a directory of this user
        if not isinstance(found, kind):
            raise TypeError(f"holds a {type(found).__name__}, not a {kind.__name__}")
        return found

    def save(value: T, path: Path) -> None:
        with path.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)

    return load_or_build(path, load, build, save)


def load_or_build(
    path: Path | None,
    load: Callable[[Path], T],
    build: Callable[[], T],
    save: Callable[[T, Path], None],
) -> T:
    """`load(path)`, or else `build()`, kept at `path` for the next run. Without a path (the
    cache is off) it is only built; a file that cannot be read is built again."""
    if path is not None:
        try:
            return load(path)
        except FileNotFoundError:
            pass
        except Exception as exc:
            log.info("kept file %s not used: %s", path, exc)
    value = build()
    if path is not None:
        keep(value, path, save)
    return value


def keep(value: T, path: Path, save: Callable[[T, Path], None]) -> None:
    """`save` the value beside `path` and move it there, so that no other process ever reads a
    half-written file; a directory that cannot be written is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(handle)
        save(value, Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        log.info("kept file %s not written: %s", path, exc)
