"""Charts rendered on the server as SVG with matplotlib (a Figure of its own, no pyplot state): the
same picture serves the page, the PDF of the annual review and an e-mail, and works without JavaScript.

Matplotlib rather than Altair: it is installed, draws offline, and its SVG is deterministic here (a fixed
``svg.hashsalt``, no date in the metadata, text kept as text), so a frozen review's stored charts compare
equal when nothing changed. Each chart is shown beside a table with the same numbers (the templates).

Drawing costs a few hundred milliseconds a chart, so ``render`` keeps each SVG in Django's cache under
the digest of what it is drawn from (the drawing function and its data, labels included): the same
numbers give the same picture, so a page shown again, or a review generated after the page, draws
nothing; changed numbers are a new key (nothing to invalidate).
"""

import base64
import hashlib
import io
import threading

import matplotlib
from django.core.cache import cache
from django.utils.functional import Promise
from matplotlib.figure import Figure

from observation import conf

_LOCK = threading.Lock()  # matplotlib's global state (rcParams, font cache) is not thread-safe
BLUE, GREEN, ORANGE, GREY = "#000091", "#18753c", "#b34000", "#666666"  # contrasted on white
STYLE = {
    "svg.hashsalt": "gup-observation",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _svg(figure):
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width=6.4, height=3.0):
    return Figure(figsize=(width, height), dpi=96)


def _plain(value):
    """A canonical text of ``value`` (dicts by key, lazy texts translated) for the cache key."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{_plain(k)}:{_plain(v)}" for k, v in sorted(value.items(), key=repr)) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_plain(item) for item in value) + "]"
    if isinstance(value, Promise):
        return repr(str(value))
    return repr(value)


def cache_key(draw, args, kwargs):
    text = _plain([draw.__module__, draw.__qualname__, list(args), kwargs, STYLE])
    return "gup-chart:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def render(draw, *args, **kwargs):
    """Call ``draw(figure, ...)`` on a new figure and return its SVG text (thread-safe), or the SVG
    drawn before from the same data (the cache)."""
    key = cache_key(draw, args, kwargs)
    svg = cache.get(key)
    if svg is not None:
        return svg
    width, height = kwargs.pop("width", 6.4), kwargs.pop("height", 3.0)
    with _LOCK, matplotlib.rc_context(STYLE):
        figure = _figure(width, height)
        draw(figure, *args, **kwargs)
        svg = _svg(figure)
    cache.set(key, svg, conf.get("GUP_OBSERVATION_CHART_CACHE_SECONDS"))
    return svg


def data_uri(svg):
    """An ``<img src>`` for the SVG (the CSP allows data: images; no inline style on the page)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def draw_volume_and_backlog(figure, months, labels):
    """``months``: [{label, filed, done, backlog (or None)}]; bars for filed/done, a line for the backlog."""
    axes = figure.subplots()
    positions = range(len(months))
    width = 0.4
    axes.bar(
        [p - width / 2 for p in positions],
        [m["filed"] for m in months],
        width,
        color=BLUE,
        label=labels["filed"],
    )
    axes.bar(
        [p + width / 2 for p in positions],
        [m["done"] for m in months],
        width,
        color=GREEN,
        label=labels["done"],
    )
    backlog = [(p, m["backlog"]) for p, m in zip(positions, months, strict=True) if m["backlog"] is not None]
    if backlog:
        axes.plot(
            [p for p, _v in backlog],
            [v for _p, v in backlog],
            color=ORANGE,
            marker="o",
            label=labels["backlog"],
        )
    axes.set_xticks(list(positions), [m["label"] for m in months], rotation=45, ha="right")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.legend(frameon=False, loc="upper left")


def draw_delays_by_handler(figure, rows, labels):
    """``rows``: [{name, median_hours, target_hours}] (suppressed rows left out by the caller)."""
    axes = figure.subplots()
    names = [row["name"] for row in rows]
    positions = range(len(rows))
    axes.barh(list(positions), [row["median_hours"] or 0 for row in rows], color=BLUE, label=labels["median"])
    axes.scatter(
        [row["target_hours"] or 0 for row in rows],
        list(positions),
        color=ORANGE,
        marker="|",
        s=400,
        label=labels["target"],
        zorder=3,
    )
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.set_xlabel(labels["unit"])
    axes.legend(frameon=False, loc="lower right")


def draw_on_time_by_month(figure, months, labels):
    """``months``: [{label, share (0..1 or None)}]."""
    axes = figure.subplots()
    points = [(index, m["share"] * 100) for index, m in enumerate(months) if m["share"] is not None]
    axes.plot([p for p, _v in points], [v for _p, v in points], color=GREEN, marker="o")
    axes.set_ylim(0, 100)
    axes.set_ylabel(labels["unit"])
    axes.set_xticks(list(range(len(months))), [m["label"] for m in months], rotation=45, ha="right")


def draw_density(figure, grid, labels):
    """``grid``: {"columns": n, "rows": m, "cells": {(col, row): count}} (row 0 at the south)."""
    axes = figure.subplots()
    matrix = [
        [grid["cells"].get((col, row), 0) for col in range(grid["columns"])] for row in range(grid["rows"])
    ]
    image = axes.imshow(matrix, origin="lower", cmap="Blues", interpolation="nearest")
    figure.colorbar(image, ax=axes, label=labels["count"], shrink=0.8)
    axes.set_xticks([])
    axes.set_yticks([])
    axes.set_xlabel(labels["west_east"])
    axes.set_ylabel(labels["south_north"])
