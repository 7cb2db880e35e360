"""The one codec of button data: what it builds it reads back; forged data is unknown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.callbacks import REST, SHAPES, Callback, Flow, build, parse, pattern


def _examples() -> list[tuple[Flow, str, tuple[str, ...]]]:
    out = []
    for flow, actions in SHAPES.items():
        for action, counts in actions.items():
            name = "k" if action == "*" else action
            for n in counts:
                if n != REST:
                    out.append((flow, name, tuple(f"a{i}" for i in range(n))))
    return out


@pytest.mark.parametrize(("flow", "action", "args"), _examples())
def test_what_is_built_is_read_back(flow: Flow, action: str, args: tuple[str, ...]) -> None:
    data = build(flow, action, *args)
    assert parse(data) == Callback(flow, action, args)
    assert len(data.encode()) <= 64


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "xx:up:1",  # an unknown flow
        "qa",  # no action
        "qa:",  # an empty action
        "qa:sideways:1",  # an unknown action
        "qa:up",  # too few arguments
        "qa:up:1:2",  # too many
        "qa:pick:1",
        "mt:d:1:2",
        "usr:d",
        "qa:up:" + "9" * 80,  # beyond Telegram's 64 bytes
    ],
)
def test_forged_or_stale_data_is_unknown(data: str | None) -> None:
    assert parse(data) is None


def test_the_last_argument_of_an_answer_may_hold_a_colon() -> None:
    data = build(Flow.TRAJECTORY, "v", "start_date", "12:30")
    assert parse(data) == Callback(Flow.TRAJECTORY, "v", ("start_date", "12:30"))


@pytest.mark.parametrize(
    ("flow", "action", "args"),
    [
        (Flow.QA, "up", ("1:2",)),  # a colon inside a plain argument
        (Flow.QA, "sideways", ("1",)),  # not a shape of the flow
        (Flow.QA, "rel", ("x" * 70,)),  # more than 64 bytes
    ],
)
def test_building_what_cannot_be_read_back_is_a_programming_error(
    flow: Flow, action: str, args: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        build(flow, action, *args)


@pytest.mark.parametrize(
    ("text", "number"),
    [("17", 17), ("²", None), ("-1", None), ("1e3", None), ("9" * 19, None), ("", None)],
)
def test_numbers_are_plain_digits_that_fit(text: str, number: int | None) -> None:
    assert Callback(Flow.TRAJECTORY, "d", (text,)).number(0) == number


def test_patterns_route_a_flow_or_some_of_its_actions() -> None:
    import re

    assert re.match(pattern(Flow.ANNOUNCE), "ann:l")
    assert re.match(pattern(Flow.ANNOUNCE, "c", "u", "l"), "ann:l")
    assert re.match(pattern(Flow.ANNOUNCE, "c", "u", "l"), "ann:c:4")
    assert not re.match(pattern(Flow.ANNOUNCE, "c", "u", "l"), "ann:a:all")
    assert not re.match(pattern(Flow.ANNOUNCE, "c"), "ann:cancel:4")


@given(st.text(max_size=80))
def test_any_text_is_read_or_refused_never_a_crash(data: str) -> None:
    parsed = parse(data)
    assert parsed is None or parsed.data == data


def test_typed_text_fits_in_button_data() -> None:
    """A search typed by a person rides along in buttons: no ':', one space, within bytes."""
    from bot.callbacks import typed_arg

    assert typed_arg("  kl:07   jansen ", 40) == "kl 07 jansen"
    long = typed_arg("é" * 50, 30)
    assert len(long.encode()) <= 30 and long == "é" * 15
    data = build(Flow.USERS, "list", 3, typed_arg("zuid-limburg regio " * 5, 40))
    assert parse(data) is not None and len(data.encode()) <= 64
