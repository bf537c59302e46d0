"""The one PNG helper: matplotlib figures on the Agg canvas, never touching pyplot or the global backend.

``matplotlib.use("Agg")`` in a user's notebook would switch their backend; a
:class:`matplotlib.figure.Figure` with its own Agg canvas needs no backend and
leaves pyplot's state alone (no figure to close, nothing shown).
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["figure", "png_bytes"]


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
