"""The one codec of button data: every button's callback data is built and read here.

Callback data is `<flow>:<action>[:<argument>…]`, at most 64 bytes (Telegram's limit). The
client sends it back as typed, so it can be forged: `parse` returns None for anything that is
not a known flow with a known action and the right number of arguments, and a flow's service
then answers "this button no longer works". Arguments are plain text; numbers are read with
`Callback.number`, which refuses anything but plain digits that fit a database integer.

Handlers route on the flow's prefix (`pattern(flow)`); services read the parsed value. Nothing
else splits callback data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

LIMIT = 64  # bytes, Telegram's limit for callback data
ANY_ACTION = "*"  # the action is data itself (a check's code)


class Flow(StrEnum):
    QA = "qa"  # buttons under an answer: 👍/👎, "Bedoel je …?", related entries
    FAQ = "faq"  # browsing the FAQ
    CHECK = "chk"  # the guided checks
    REGISTER = "new"  # /registreer
    TRAJECTORY = "mt"  # /mijntrajecten: lists, details, placement, ending, edits
    USERS = "usr"  # /gebruikers
    INVITE = "inv"  # /uitnodigen
    EXPORT = "exp"  # /export
    REGIONS = "rs"  # /regios: divisions and targets
    STATS = "st"  # /regio and /landelijk
    ANNOUNCE = "ann"  # /bericht and /berichten
    SETTINGS = "set"  # /instellingen
    INBOX = "un"  # /onbeantwoord: linking questions to entries, proposals


# For every flow, its actions and how many arguments each takes (several counts: any of
# them). The last argument of an action marked REST may itself contain ':'.
REST = -1
SHAPES: dict[Flow, dict[str, tuple[int, ...]]] = {
    Flow.QA: {
        "up": (1,),
        "down": (1,),
        "pick": (2,),
        "none": (1,),
        "more": (1,),
        "rel": (1,),
        "wish": (2,),  # after a 👎: the entry the asker was looking for (a proposal)
    },
    Flow.FAQ: {"home": (0,), "sec": (1,), "ent": (1,)},
    # chk:<check code>:<owner>:<path>[:?]
    Flow.CHECK: {ANY_ACTION: (2, 3)},
    Flow.REGISTER: {
        "v": (2, REST),
        "back": (0,),
        "edit": (1,),
        "ok": (0,),
        "cancel": (0,),
        "resume": (0,),
        "restart": (0,),
        "ask": (0,),
    },
    Flow.TRAJECTORY: {
        "l": (2, 3, 4),  # list: scope, page[, show[, search]]
        "d": (1,),  # details
        "p": (2,),  # placement form: id, version
        "e": (2,),  # ending form
        "w": (2,),  # edit form
        "x": (0,),  # stop the form
        "b": (0,),  # « Terug in a placement or ending
        "ok": (0,),  # confirm an ending
        "f": (1,),  # the field to edit
        "v": (2, REST),  # an answer: step, value
    },
    Flow.USERS: {
        "list": (0, 1, 2),  # [page[, search words]]
        "d": (1,),  # details: Telegram id
        "role": (2,),  # Telegram id, role
        "region": (3,),  # Telegram id, region, role
        "pick": (1,),  # choose a region
        "off": (1,),
    },
    Flow.INVITE: {"new": (1, 2)},  # role[, region]
    Flow.EXPORT: {"get": (2,)},  # scope (nl or a region), year or "all"
    Flow.REGIONS: {
        "home": (0,),
        "noop": (0,),
        "y": (1,),  # a year
        "r": (2,),  # year, region
        "s": (3,),  # save target: year, region, value
        "t": (3,),  # stepper: year, region, value
        "d": (4,),  # division: year, region, division, value
    },
    Flow.STATS: {"l": (1,), "p": (1,), "r": (2,)},
    Flow.ANNOUNCE: {
        "a": (1, 2),  # audience: all | r | back | ok | r:<code> | d:<division> | o:<role>
        "p": (1,),  # preview: now | plan | text | aud | x; a moved planned moment: yes | no
        "c": (1,),  # cancel a planned one
        "u": (1,),  # resend the uncertain ones
        "l": (0,),  # the overview
    },
    Flow.SETTINGS: {"d": (1,), "w": (1,)},
    Flow.INBOX: {
        "n": (1,),  # the next question to handle, from this position
        "l": (2,),  # link question (log id) to entry
        "s": (1,),  # search an entry for a question (log id)
        "t": (1,),  # new topic
        "i": (1,),  # ignore
        "p": (1,),  # the proposals, from this position
        "y": (1,),  # confirm a proposal
        "x": (1,),  # reject a proposal
        "c": (0,),  # the candidates for new entries
    },
}


@dataclass(frozen=True)
class Callback:
    flow: Flow
    action: str
    args: tuple[str, ...] = ()

    def arg(self, i: int) -> str:
        return self.args[i] if i < len(self.args) else ""

    def number(self, i: int) -> int | None:
        """Argument `i` as a number: plain digits that fit a database integer, else None
        ('²'.isdigit() is true but int('²') fails; databases refuse beyond 64 bits)."""
        text = self.arg(i)
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            return None
        return int(text)

    @property
    def data(self) -> str:
        return ":".join((self.flow.value, self.action, *self.args))


def typed_arg(text: str, max_bytes: int) -> str:
    """Text a person typed (a search) made fit to ride along in button data: no ':', single
    spaces, at most `max_bytes` bytes of UTF-8 (the whole data has 64)."""
    text = " ".join(text.replace(":", " ").split())
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1].rstrip()
    return text


def build(flow: Flow, action: str, *args: object) -> str:
    """The callback data of a button. A shape the codec would not read back, a ':' inside an
    argument (but a REST one) or more than 64 bytes is a programming error: ValueError."""
    parts = [str(a) for a in args]
    data = ":".join((flow.value, action, *parts))
    parsed = parse(data)
    if parsed is None or parsed.args != tuple(parts) or parsed.action != action:
        raise ValueError(f"callback data {data!r} does not fit the codec")
    return data


def parse(data: str | None) -> Callback | None:
    """The button's flow, action and arguments; None when it is unknown or malformed."""
    if not data or len(data.encode("utf-8")) > LIMIT:
        return None
    prefix, _, rest = data.partition(":")
    try:
        flow = Flow(prefix)
    except ValueError:
        return None
    action, sep, tail = rest.partition(":")
    shapes = SHAPES[flow]
    counts = shapes.get(action) or shapes.get(ANY_ACTION)
    if counts is None or not action:
        return None
    if REST in counts:
        fixed = max(c for c in counts if c != REST)
        args = tuple(tail.split(":", fixed - 1)) if sep else ()
        return Callback(flow, action, args) if len(args) == fixed else None
    args = tuple(tail.split(":")) if sep else ()
    return Callback(flow, action, args) if len(args) in counts else None


def pattern(flow: Flow, *actions: str) -> str:
    """The handler's pattern for a flow's buttons (only these actions, when given)."""
    if not actions:
        return rf"^{flow.value}:"
    return rf"^{flow.value}:(?:{'|'.join(re.escape(a) for a in actions)})(?::|$)"
