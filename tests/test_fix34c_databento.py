"""fix34c: Databento tidy-ups (closing23's final read): ``l2_only`` is given to the store writer, not set after it."""

from __future__ import annotations

import numpy as np
import pytest
from _corpus import NS0

import mmsim
from mmsim.data.store import EventStoreWriter


def test_l2_only_is_given_to_the_writer(tmp_path):
    # It was set on the writer after construction (databento.py, lobster.py): a keyword of the constructor now.
    from mmsim.events import EVENT_DTYPE, Kind

    ev = np.zeros(1, EVENT_DTYPE)
    ev["exch_ts"] = ev["local_ts"] = NS0
    ev["kind"] = Kind.ADD
    with EventStoreWriter(tmp_path / "s", l2_only=True) as w:
        assert w.l2_only is True
        with pytest.raises(mmsim.DataError, match=r"ADD, an order event"):
            w.append(ev)
    with EventStoreWriter(tmp_path / "t") as w:
        assert w.l2_only is False
        w.append(ev)
        w.abort()
