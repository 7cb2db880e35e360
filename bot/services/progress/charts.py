"""PNG charts of the progress figures, drawn headless with matplotlib (Agg, object API).

Pure functions: numbers and (Dutch) labels in, PNG bytes out. No pyplot: every call makes its
own `Figure`, which is not shared between threads and is cleared when done.

The bot draws through `render`: drawing takes 150-300 ms of CPU, nearly all of it holding the
GIL, so in a worker thread it slowed every other update of the bot (benchmarks/load.py: p99
from about 0.3 s to 3-5 s with 50 people at once). `render` draws in a worker process
instead and keeps the last charts drawn by what they show: many people look at the same
figures, which change far less often than they are viewed.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported where a chart is drawn: starting up stays quick
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

DPI = 100
# One colour per division, in the order of knowledge/regions.yaml; grey for "no division".
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")
NO_GROUP = "#b0b0b0"
TARGET_COLOUR = "#d62728"


@dataclass(frozen=True)
class RegionChart:
    title: str
    months: Sequence[str]  # 12 month labels
    cumulative: Sequence[int]  # started so far at the end of each month shown (≤ 12)
    expected: Sequence[float] | None  # target pro rata at the end of each of the 12 months
    target: int | None
    started_label: str
    expected_label: str
    target_label: str
    y_label: str
    note: str | None = None  # e.g. "nog geen doel ingesteld"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # progress in percent; None: no target
    group: int | None  # index into NationalChart.groups; None: no division


@dataclass(frozen=True)
class NationalChart:
    title: str
    bars: Sequence[Bar]  # top to bottom
    groups: Sequence[str]  # legend names, in palette order
    no_group_label: str
    x_label: str
    target_label: str  # the 100% line
    expected: float | None  # percent of the target expected by now (None: no line)
    expected_label: str
    no_target_label: str


def _figure(width: float, height: float) -> Figure:
    """A new figure on the headless Agg backend (matplotlib imported here, on first use)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def _png(fig: Figure) -> bytes:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        return buf.getvalue()
    finally:
        fig.clear()


def region_chart(chart: RegionChart) -> bytes:
    """Cumulative trajectories started per month, against the target line (pro rata)."""
    fig = _figure(8, 4.5)
    ax = fig.add_subplot()
    months = range(1, 13)
    shown = list(months)[: len(chart.cumulative)]
    bars = ax.bar(shown, chart.cumulative, color=PALETTE[0], label=chart.started_label)
    ax.bar_label(bars, fontsize=8, padding=2)
    if chart.expected is not None and chart.target is not None:
        ax.plot(
            [0, *months],
            [0.0, *chart.expected],
            color=TARGET_COLOUR,
            linestyle="--",
            marker=".",
            label=chart.expected_label,
        )
        ax.axhline(chart.target, color=TARGET_COLOUR, linewidth=0.8, linestyle=":")
        ax.annotate(
            chart.target_label,
            (6.5, chart.target),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            color=TARGET_COLOUR,
            fontsize=8,
        )
    top = max([*chart.cumulative, chart.target or 0, 1])
    ax.set_ylim(0, top * 1.12)
    ax.set_xlim(0, 12.6)
    ax.set_xticks(list(months), list(chart.months))
    ax.set_ylabel(chart.y_label)
    ax.set_title(chart.title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    if chart.note:
        ax.text(0.99, 0.97, chart.note, transform=ax.transAxes, ha="right", va="top", fontsize=9)
    return _png(fig)


def national_chart(chart: NationalChart) -> bytes:
    """Progress per region (percent of its target), one bar each, coloured by division."""
    n = len(chart.bars)
    fig = _figure(8, 1.5 + 0.28 * n)
    ax = fig.add_subplot()
    ys = list(range(n))
    values = [b.value or 0.0 for b in chart.bars]
    colours = [
        NO_GROUP if b.group is None else PALETTE[b.group % len(PALETTE)] for b in chart.bars
    ]
    ax.barh(ys, values, color=colours)
    right = max([*values, 100.0]) * 1.15
    for y, bar in zip(ys, chart.bars, strict=True):
        text = chart.no_target_label if bar.value is None else f"{round(bar.value)}%"
        ax.text((bar.value or 0.0) + right * 0.01, y, text, va="center", fontsize=7)
    full = ax.axvline(100, color=TARGET_COLOUR, linewidth=1, label=chart.target_label)
    from matplotlib.patches import Patch

    handles = [Patch(color=PALETTE[i % len(PALETTE)], label=g) for i, g in enumerate(chart.groups)]
    if any(b.group is None for b in chart.bars):
        handles.append(Patch(color=NO_GROUP, label=chart.no_group_label))
    lines = [full]
    if chart.expected is not None:
        lines.append(
            ax.axvline(
                chart.expected,
                color=TARGET_COLOUR,
                linestyle="--",
                linewidth=1,
                label=chart.expected_label,
            )
        )
    ax.set_yticks(ys, [b.label for b in chart.bars], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, right)
    ax.set_xlabel(chart.x_label)
    ax.set_title(chart.title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(handles=[*handles, *lines], loc="lower right", fontsize=8)
    return _png(fig)


# -- drawing for the bot: in a worker process, the last charts kept ---------------------------

CACHE_MAX = 64  # charts kept (a PNG is some tens of kB)
_cache: OrderedDict[str, bytes] = OrderedDict()
_lock = threading.Lock()
# charts being drawn right now (this event loop's), so that a second request waits for it
_drawing: dict[str, asyncio.Future[bytes]] = {}
_pool: ProcessPoolExecutor | None = None


def _executor() -> ProcessPoolExecutor:
    """One worker process, started on first use ("spawn": the bot has threads running)."""
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return _pool


def _forget_pool() -> None:
    global _pool
    with _lock:
        _pool = None


async def render(chart: RegionChart | NationalChart) -> bytes:
    """The chart as PNG: one drawn before with the same values and labels, or a new one drawn
    in the worker process (in a thread of this one if that process broke). People asking for
    the same chart at the same moment share one drawing."""
    key = f"{type(chart).__name__}:{chart!r}"
    with _lock:
        png = _cache.get(key)
        if png is not None:
            _cache.move_to_end(key)
            return png
    drawing = _drawing.get(key)
    if drawing is None or drawing.get_loop() is not asyncio.get_running_loop():
        drawing = _drawing[key] = asyncio.ensure_future(_draw(key, chart))
        drawing.add_done_callback(
            lambda done: _drawing.pop(key, None) if _drawing.get(key) is done else None
        )
    return await asyncio.shield(drawing)


async def _draw(key: str, chart: RegionChart | NationalChart) -> bytes:
    draw: Callable[..., bytes] = region_chart if isinstance(chart, RegionChart) else national_chart
    try:
        png = await asyncio.get_running_loop().run_in_executor(_executor(), draw, chart)
    except BrokenProcessPool:
        log.warning("the chart process broke; drawing in a thread", exc_info=True)
        _forget_pool()
        png = await asyncio.to_thread(draw, chart)
    with _lock:
        _cache[key] = png
        while len(_cache) > CACHE_MAX:
            _cache.popitem(last=False)
    return png
