"""Whether a sweep point and its baseline point on event stores at two paths replay the same events
(:class:`_Stores`; docs/sweeps.md, "Points that are not compared")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._json import loads_unique



#: The meta.json key of a conversion's notes (dropped rows, skipped streams, a clock offset): provenance here.
QUIRKS = "quirks"
#: The notes that are more than provenance: they must be equal (present in both stores or neither). A
#: ``trade_implied_book`` says the book replayed is implied by the prints, and the report reads it.
PAIRED_QUIRKS = ("trade_implied_book",)


class _Stores:
    """Whether a point and its baseline point replay the same events (each store's meta.json read once).

    The same path is the same events. Two paths are when both stores' meta.json carry an ``events_digest`` and
    they are equal, every other key of the two meta.json is equal but where the events came from (``format``,
    ``source``: :data:`mmsim.report.setup.PROVENANCE_KEYS`, and ``quirks``, the conversion's notes, which change no
    number: :data:`PAIRED_QUIRKS` aside), and each store's events are the ones its digest was
    computed from (recomputed, not trusted: :func:`mmsim.data._identity.verify_digest`): a copy of a store, or
    the same events converted twice. The worker then replays the baseline on the point's store, which gives the
    baseline's run bit for bit, as ``mmsim compare`` pairs two such runs. (Only the identity keys compare checks
    were compared at first, and a copy whose ``contract_size`` was 10 was paired, the baseline replayed at the
    copy's tick value; a copy's events edited under its digest were paired too; breaker17c. A store and its
    hftbacktest ``.npz`` round trip, which differ in ``quirks`` only, were refused while ``mmsim compare`` paired
    their runs; newcomer17.)"""

    def __init__(self) -> None:
        self._metas: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, str | None] = {}

    def meta(self, path: Any) -> dict[str, Any]:
        key = str(path or "")
        if key not in self._metas:
            try:  # a store that cannot be read here has no digest (its points' runs say what is wrong)
                meta = loads_unique((Path(key) / "meta.json").read_text(encoding="utf-8")) if key else {}
            except (OSError, ValueError):
                meta = {}
            self._metas[key] = meta if isinstance(meta, dict) else {}
        return self._metas[key]

    def fault(self, path: Any) -> str | None:
        """Why the store at ``path``'s events are not the ones its meta.json's digest says, or None."""
        from ..data._identity import verify_digest
        from ..data.store import open_events_file
        from ..errors import MmsimError

        key = str(path)
        if key not in self._faults:
            meta_path = Path(key) / "meta.json"
            try:
                events = open_events_file(Path(key) / "events.npy")  # every command's opener: one message
                verify_digest(events, self.meta(path), meta_path)
                self._faults[key] = None
            except MmsimError as exc:
                self._faults[key] = str(exc)
            except (OSError, ValueError) as exc:
                self._faults[key] = f"{key}/events.npy: cannot be read ({type(exc).__name__}: {exc})"
        return self._faults[key]

    def why(self, who: str, base: Any, point: Any) -> str | None:
        """None when the stores at ``base`` and ``point`` hold the same events, else why ``who`` is no baseline."""
        from ..data._meta_digest import META_DIGEST_KEY
        from ..events import DIGEST_KEY
        from ..report.setup import PROVENANCE_KEYS

        if base == point:
            return None
        mb, mp = self.meta(base), self.meta(point)
        db, dp = mb.get(DIGEST_KEY), mp.get(DIGEST_KEY)
        head = f"{who} replays another event store ({base}) than this point's ({point})"
        if not (isinstance(db, str) and isinstance(dp, str)):
            lacking = " and ".join(f"{x}/meta.json" for x, d in ((base, db), (point, dp)) if not isinstance(d, str))
            return (f"{head}, and without an events_digest in {lacking} (a store written before stores "
                    "carried one) the sweep cannot tell whether their events are the same; a paired comparison "
                    "needs the same events")
        if db != dp:
            return (f"{head}, and their events differ (events_digest {_short(db)} vs {_short(dp)}); a paired "
                    "comparison needs the same events")
        diffs = [_differs(k, mb.get(k), mp.get(k)) for k in sorted(set(mb) | set(mp))  # meta_digest: of the keys
                 if k not in (*PROVENANCE_KEYS, QUIRKS, META_DIGEST_KEY) and mb.get(k) != mp.get(k)]
        qb, qp = _quirks(mb), _quirks(mp)
        for k in PAIRED_QUIRKS:
            if (k in qb) != (k in qp):
                diffs.append(f"{QUIRKS}.{k} in {base if k in qb else point}/meta.json only")
            elif k in qb and qb[k] != qp[k]:
                diffs.append(_differs(f"{QUIRKS}.{k}", qb[k], qp[k]))
        if diffs:
            return (f"{head}: the same events (one events_digest) read otherwise ({', '.join(diffs)}); a paired "
                    "comparison needs the same data")
        for path in (base, point):
            fault = self.fault(path)
            if fault is not None:
                return f"{head}: {fault}; a paired comparison needs the same events"
        return None


def _quirks(meta: dict[str, Any]) -> dict[str, Any]:
    """The meta.json's ``quirks`` mapping ({} when it has none)."""
    q = meta.get(QUIRKS)
    return q if isinstance(q, dict) else {}


def _differs(key: str, a: Any, b: Any) -> str:
    """``contract_size 1.0 vs 10.0``; a mapping or list (``quirks``) by its key alone: ``quirks differ``."""
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return f"{key} differ"
    return f"{key} {a!r} vs {b!r}"


def _short(digest: str) -> str:
    """A store's events digest as a message shows it: ``sha256:`` and its first 12 hex digits."""
    algo, colon, hexes = digest.partition(":")
    return f"{algo}:{hexes[:12]}…" if colon and len(hexes) > 12 else digest
