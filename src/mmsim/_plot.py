"""The one PNG helper: matplotlib figures on the Agg canvas, never touching pyplot or the global backend.

``matplotlib.use("Agg")`` in a user's notebook would switch their backend; a
:class:`matplotlib.figure.Figure` with its own Agg canvas needs no backend and
leaves pyplot's state alone (no figure to close, nothing shown).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

__all__ = ["figure", "fit_tick_labels", "png_bytes"]


def figure(width: float, height: float, dpi: int = 100, **kwargs: Any) -> Any:
    """A new :class:`matplotlib.figure.Figure` of ``width`` x ``height`` inches (not registered with pyplot)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=dpi, **kwargs)


def png_bytes(fig: Any, **savefig: Any) -> bytes:
    """Render ``fig`` with the Agg canvas and return the PNG bytes (no time stamp, so the bytes are reproducible)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None}, **savefig)
    return buf.getvalue()


#: Least gap between two tick labels side by side, in pixels.
TICK_GAP_PX = 3.0


def fit_tick_labels(fig: Any, axes: Sequence[Any]) -> None:
    """Lay out the x tick labels of ``axes`` so that no two overlap: level, else in two rows, else upright.

    Values of a latency grid are close on the page where they are close in
    ratio (50ms and 100ms on a symlog axis from 0 to 1s). The figure is laid
    out with the Agg renderer and each label's box measured
    (:meth:`matplotlib.text.Text.get_window_extent`). Labels that all sit
    :data:`TICK_GAP_PX` apart stay as they are; otherwise every second label
    moves one row down (its tick's pad grows by a label's height). When a row
    is still crowded, the axis's labels go back to one row, turned upright (90
    degrees). No label is ever hidden: each is a swept value, and a plot of a
    latency study is read against its 0 ms point.
    """
    if not axes:
        return
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()

    def labelled(ax: Any) -> list[Any]:
        ticks = [t for t in ax.xaxis.get_major_ticks() if t.label1.get_text() and t.label1.get_visible()]
        return sorted(ticks, key=lambda t: t.label1.get_window_extent(renderer).x0)

    def crowded(ticks: Sequence[Any]) -> bool:
        boxes = [t.label1.get_window_extent(renderer) for t in ticks]
        return any(b.x0 < a.x1 + TICK_GAP_PX for a, b in zip(boxes, boxes[1:]))

    pads: dict[Any, float] = {}
    for ax in axes:
        ticks = labelled(ax)
        if crowded(ticks):
            height_pt = max(t.label1.get_window_extent(renderer).height for t in ticks) * 72.0 / fig.dpi
            for t in ticks[1::2]:
                pads[t] = t.get_pad()
                t.set_pad(t.get_pad() + height_pt + 1.0)
    if not pads:
        return
    canvas.draw()
    for ax in axes:
        ticks = labelled(ax)
        if crowded(ticks[0::2]) or crowded(ticks[1::2]):
            for t in ticks:
                t.set_pad(pads.get(t, t.get_pad()))
                t.label1.set_rotation(90)
    canvas.draw()
