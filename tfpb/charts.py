"""Charts of the yearly review as SVG drawn on the server (matplotlib), always shown beside a table of the
same numbers (the accessible equivalent)."""

import io

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure


def planned_realised_svg(labels, planned, realised, *, planned_label, realised_label, amount_label):
    """Horizontal bars, planned against realised, one pair per label; returns the SVG text."""
    height = max(2.2, 0.55 * len(labels) + 1.2)
    figure = Figure(figsize=(7.5, height))
    FigureCanvasSVG(figure)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.barh(
        [p - 0.2 for p in positions],
        [float(v) for v in planned],
        height=0.4,
        label=planned_label,
        color="#1f4e8c",
    )
    axes.barh(
        [p + 0.2 for p in positions],
        [float(v) for v in realised],
        height=0.4,
        label=realised_label,
        color="#e07b00",
    )
    axes.set_yticks(positions, [label if len(label) <= 40 else label[:38] + "…" for label in labels])
    axes.invert_yaxis()
    axes.set_xlabel(amount_label)
    axes.legend(loc="lower right", fontsize="small")
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "gup-tfpb", "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
