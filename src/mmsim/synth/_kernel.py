"""The synthetic market's generator: one numba kernel (a Gillespie loop over the agents' Poisson clocks).

The model is described in :mod:`mmsim.synth` and ``docs/demo.md``. The kernel
has its own splitmix64 random streams, so a seed gives the same events bit for
bit on every machine and numba version. Only :func:`mmsim.synth.simulate`
calls it (importing this module compiles or loads the kernel with numba).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from ..events import Kind

_LP, _NOISE, _INFORMED = 0, 1, 2

_S = 1_000_000_000  # ns per second


# --------------------------------------------------------------------------- random streams
# splitmix64 (Steele, Lea & Flood 2014): tiny, fast, and ours, so the events do not
# depend on numba's or numpy's generator. Two streams: the fair value's and the agents',
# so switching informed traders off leaves the fair-value path unchanged.

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_SH30, _SH27, _SH31, _SH11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@nb.njit(cache=True, inline="always")
def _next_u64(state):
    state[0] = state[0] + _GOLDEN
    z = state[0]
    z = (z ^ (z >> _SH30)) * _M1
    z = (z ^ (z >> _SH27)) * _M2
    return z ^ (z >> _SH31)


@nb.njit(cache=True, inline="always")
def _uniform(state):
    # in (0, 1): never 0, so log() below is finite
    return (float(_next_u64(state) >> _SH11) + 0.5) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def _normal(state):
    # Box-Muller; one draw per call keeps the stream simple to reason about
    u1 = _uniform(state)
    u2 = _uniform(state)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@nb.njit(cache=True)
def _exponential(state, mean):
    return -mean * math.log(_uniform(state))


@nb.njit(cache=True)
def _geometric(state, mean):
    # on 1, 2, ... with the given mean: inversion of P(K > k) = (1 - 1/mean)^k
    if mean <= 1.0:
        return 1
    q = 1.0 - 1.0 / mean
    return 1 + int(math.floor(math.log(_uniform(state)) / math.log(q)))


# --------------------------------------------------------------------------- the book
# Price levels live in a ring of W slots indexed by price & (W - 1); each level is a
# doubly linked FIFO of order slots. The synthetic book spans a few dozen ticks, so
# a ring of 2**14 never aliases; if it ever would, the kernel stops with _ERR_ALIAS:
# when a new level would share a slot with another price, and when the next level
# of a side lies more than W ticks from the one emptied (the scan for it covers W
# slots). So the best bid and ask always name a live level, and every order slot
# the kernel indexes comes from a live level's list (numba checks no bounds).

_W = 1 << 14
_MASK = _W - 1
# level columns
_LQ, _LHEAD, _LTAIL, _LCOUNT, _LPRICE = 0, 1, 2, 3, 4
# order columns
_OID, _OSIDE, _OPRICE, _OQTY, _ONEXT, _OPREV, _OLIVE = 0, 1, 2, 3, 4, 5, 6
# scalar state
(_NLIVE, _NFREE, _BB, _BA, _NEXTID, _NBLV, _NALV, _LAST, _NOUT, _ERR) = range(10)
_NONE_BID = np.iinfo(np.int64).min
_NONE_ASK = np.iinfo(np.int64).max
_ERR_OUT, _ERR_ORDERS, _ERR_RING, _ERR_ALIAS, _ERR_PRICE, _ERR_QUOTE = 1, 2, 3, 4, 5, 6
_MAX_FV = float(2**42)  # mmsim.synth.config.MAX_PRICE_TICKS: the fair value stays exact to 2**-10 tick
# output columns
_CTS, _CKIND, _CSIDE, _CPX, _CQTY, _COID, _CAGENT, _CBB, _CBA = range(9)

_K_ADD, _K_CANCEL, _K_DELETE, _K_EXECUTE = int(Kind.ADD), int(Kind.CANCEL), int(Kind.DELETE), int(Kind.EXECUTE)
_K_DEPTH, _K_TRADE = int(Kind.DEPTH), int(Kind.TRADE)


@nb.njit(cache=True)
def _emit(out, out_fv, st, t, kind, side, price, qty, oid, agent, fv, bb, ba, same=False):
    # ``same``: part of the same matching-engine action as the previous event (one taker
    # order's fills and, in L2, their depth updates) and stamped with the same time
    n = st[_NOUT]
    if n >= out.shape[0]:
        st[_ERR] = _ERR_OUT
        return t
    ts = st[_LAST] if same else (t if t > st[_LAST] else st[_LAST] + 1)
    st[_LAST] = ts
    out[n, _CTS] = ts
    out[n, _CKIND] = kind
    out[n, _CSIDE] = side
    out[n, _CPX] = price
    out[n, _CQTY] = qty
    out[n, _COID] = oid
    out[n, _CAGENT] = agent
    out[n, _CBB] = bb
    out[n, _CBA] = ba
    out_fv[n] = fv
    st[_NOUT] = n + 1
    return ts


@nb.njit(cache=True)
def _level_qty(lv, price):
    i = price & _MASK
    if lv[i, _LCOUNT] > 0 and lv[i, _LPRICE] == price:
        return lv[i, _LQ]
    return 0


@nb.njit(cache=True)
def _add(lv, od, live, free, st, side, price, qty):
    """Rest a new order at the back of its level; return its slot, or -1 on error."""
    if price < 1:  # (SynthConfig's floor keeps the quotes above 0: a backstop)
        st[_ERR] = _ERR_QUOTE
        return -1
    i = price & _MASK
    if lv[i, _LCOUNT] > 0 and lv[i, _LPRICE] != price:
        st[_ERR] = _ERR_ALIAS
        return -1
    if st[_NFREE] == 0:
        st[_ERR] = _ERR_ORDERS
        return -1
    st[_NFREE] -= 1
    s = free[st[_NFREE]]
    st[_NEXTID] += 1
    od[s, _OID] = st[_NEXTID]
    od[s, _OSIDE] = side
    od[s, _OPRICE] = price
    od[s, _OQTY] = qty
    od[s, _ONEXT] = -1
    if lv[i, _LCOUNT] == 0:
        od[s, _OPREV] = -1
        lv[i, _LPRICE] = price
        lv[i, _LHEAD] = s
        lv[i, _LQ] = 0
        if side > 0:
            st[_NBLV] += 1
        else:
            st[_NALV] += 1
    else:
        od[s, _OPREV] = lv[i, _LTAIL]
        od[lv[i, _LTAIL], _ONEXT] = s
    lv[i, _LTAIL] = s
    lv[i, _LCOUNT] += 1
    lv[i, _LQ] += qty
    od[s, _OLIVE] = st[_NLIVE]
    live[st[_NLIVE]] = s
    st[_NLIVE] += 1
    if side > 0:
        if price > st[_BB]:
            st[_BB] = price
    elif price < st[_BA]:
        st[_BA] = price
    return s


@nb.njit(cache=True)
def _unlink(lv, od, live, free, st, s):
    """Remove order slot ``s`` (its remaining qty already taken off the level)."""
    side = od[s, _OSIDE]
    price = od[s, _OPRICE]
    i = price & _MASK
    nx = od[s, _ONEXT]
    pv = od[s, _OPREV]
    if pv >= 0:
        od[pv, _ONEXT] = nx
    else:
        lv[i, _LHEAD] = nx
    if nx >= 0:
        od[nx, _OPREV] = pv
    else:
        lv[i, _LTAIL] = pv
    lv[i, _LCOUNT] -= 1
    # swap-remove from the live list
    pos = od[s, _OLIVE]
    last = live[st[_NLIVE] - 1]
    live[pos] = last
    od[last, _OLIVE] = pos
    st[_NLIVE] -= 1
    free[st[_NFREE]] = s
    st[_NFREE] += 1
    if lv[i, _LCOUNT] == 0:
        if side > 0:
            st[_NBLV] -= 1
            if price == st[_BB]:
                if st[_NBLV] == 0:
                    st[_BB] = _NONE_BID
                else:
                    p = price - 1
                    found = False
                    for _ in range(_W):
                        j = p & _MASK
                        if lv[j, _LCOUNT] > 0 and lv[j, _LPRICE] == p:
                            found = True
                            break
                        p -= 1
                    if not found:  # the next bid is more than W ticks down: the ring cannot hold the book
                        st[_ERR] = _ERR_ALIAS
                    st[_BB] = p
        else:
            st[_NALV] -= 1
            if price == st[_BA]:
                if st[_NALV] == 0:
                    st[_BA] = _NONE_ASK
                else:
                    p = price + 1
                    found = False
                    for _ in range(_W):
                        j = p & _MASK
                        if lv[j, _LCOUNT] > 0 and lv[j, _LPRICE] == p:
                            found = True
                            break
                        p += 1
                    if not found:
                        st[_ERR] = _ERR_ALIAS
                    st[_BA] = p


@nb.njit(cache=True)
def _place(lv, od, live, free, st, out, out_fv, l3, t, side, price, qty, fv):
    s = _add(lv, od, live, free, st, side, price, qty)
    if s < 0:
        return t
    if l3:
        return _emit(out, out_fv, st, t, _K_ADD, side, price, qty, od[s, _OID], _LP, fv, st[_BB], st[_BA])
    return _emit(out, out_fv, st, t, _K_DEPTH, side, price, _level_qty(lv, price), 0, _LP, fv, st[_BB], st[_BA])


@nb.njit(cache=True)
def _reduce(lv, od, live, free, st, out, out_fv, l3, t, s, qty, fv):
    """Cancel ``qty`` lots of order ``s`` (all of it: a DELETE)."""
    side = od[s, _OSIDE]
    price = od[s, _OPRICE]
    oid = od[s, _OID]
    remaining = od[s, _OQTY]
    od[s, _OQTY] = remaining - qty
    lv[price & _MASK, _LQ] -= qty
    full = qty >= remaining
    if full:
        _unlink(lv, od, live, free, st, s)
    if l3:
        kind = _K_DELETE if full else _K_CANCEL
        return _emit(out, out_fv, st, t, kind, side, price, qty, oid, _LP, fv, st[_BB], st[_BA])
    return _emit(out, out_fv, st, t, _K_DEPTH, side, price, _level_qty(lv, price), 0, _LP, fv, st[_BB], st[_BA])


@nb.njit(cache=True)
def _take(lv, od, live, free, st, out, out_fv, l3, t, aggr, limit, size, agent, fv):
    """A marketable order of ``size`` lots, side ``aggr``, sweeping resting orders FIFO up to ``limit``."""
    remaining = size
    first = True
    while remaining > 0 and st[_ERR] == 0:
        if aggr > 0:
            if st[_NALV] == 0 or st[_BA] > limit:
                break
            price = st[_BA]
        else:
            if st[_NBLV] == 0 or st[_BB] < limit:
                break
            price = st[_BB]
        i = price & _MASK
        bb0 = st[_BB]
        ba0 = st[_BA]
        traded = 0
        while remaining > 0 and lv[i, _LCOUNT] > 0 and lv[i, _LPRICE] == price:
            s = lv[i, _LHEAD]
            q = min(remaining, od[s, _OQTY])
            oid = od[s, _OID]
            od[s, _OQTY] -= q
            lv[i, _LQ] -= q
            remaining -= q
            traded += q
            if od[s, _OQTY] == 0:
                _unlink(lv, od, live, free, st, s)
            if l3:
                t = _emit(out, out_fv, st, t, _K_EXECUTE, -aggr, price, q, oid, agent, fv, st[_BB], st[_BA],
                          not first)
                first = False
        if not l3:
            t = _emit(out, out_fv, st, t, _K_TRADE, aggr, price, traded, 0, agent, fv, bb0, ba0, not first)
            t = _emit(out, out_fv, st, t, _K_DEPTH, -aggr, price, _level_qty(lv, price), 0, agent, fv,
                      st[_BB], st[_BA], True)
            first = False
    return t


@nb.njit(cache=True)
def _deficit(lv, st, v, levels, half_spread, depth, depth_step, pick):
    """Count LP target levels below target that can be filled without crossing.

    With ``pick >= 0`` return ``(side, price, shortfall)`` of the ``pick``-th such level instead.
    """
    top_bid = int(math.floor(v - half_spread))
    top_ask = int(math.ceil(v + half_spread))
    n = 0
    for k in range(levels):
        target = depth + depth_step * k
        p = top_bid - k
        if p < st[_BA]:
            q = _level_qty(lv, p)
            if q < target:
                if n == pick:
                    return 1, p, target - q
                n += 1
        p = top_ask + k
        if p > st[_BB]:
            q = _level_qty(lv, p)
            if q < target:
                if n == pick:
                    return -1, p, target - q
                n += 1
    return 0, n, 0


@nb.njit(cache=True)
def _after(t, gap, last):
    """``t + int(gap) + 1`` ns, or ``_NONE_ASK`` (never) when that is past ``last``: a gap of a tiny rate
    (``_S / 1e-300`` is inf) would overflow int64, whose conversion numba leaves undefined."""
    if not gap < float(last - t):  # (a NaN too)
        return _NONE_ASK
    n = int(gap)  # below 2**63 - t: float(last - t) rounds up by at most 512
    if n >= last - t:
        return _NONE_ASK
    return t + n + 1


@nb.njit(cache=True, nogil=True)
def _kernel(seed, l3, start, end, p0, fv_vol, fv_step, jump_rate, jump_mean, noise_rate, noise_size,
            inf_on, inf_rate, horizon, edge, inf_size, levels, half_spread, stale_margin, depth, depth_step,
            lp_size, refill_rate, cancel_rate, partial, reaction, out_cap, order_cap, ring_cap):
    out = np.zeros((out_cap, 9), np.int64)
    out_fv = np.zeros(out_cap, np.float64)
    lv = np.zeros((_W, 5), np.int64)
    od = np.zeros((order_cap, 7), np.int64)
    live = np.zeros(order_cap, np.int64)
    free = np.arange(order_cap - 1, -1, -1).astype(np.int64)
    st = np.zeros(10, np.int64)
    st[_NFREE] = order_cap
    st[_BB] = _NONE_BID
    st[_BA] = _NONE_ASK
    st[_LAST] = start - 1

    rng_fv = np.zeros(1, np.uint64)
    rng_ag = np.zeros(1, np.uint64)
    rng_fv[0] = np.uint64(seed) * np.uint64(2) + np.uint64(1)
    rng_ag[0] = np.uint64(seed) * np.uint64(2) + np.uint64(2)
    _next_u64(rng_fv)  # decorrelate the two nearby seeds
    _next_u64(rng_ag)

    v_floor = 2.0 * levels + 4.5 + half_spread  # mmsim.synth.config.price_floor: the quotes stay above 0
    # the fair-value path: change points (time, value) generated ahead of the clock,
    # kept in a ring until the clock passes them, so V(t + horizon) is known at t
    ring_t = np.zeros(ring_cap, np.int64)
    ring_v = np.zeros(ring_cap, np.float64)
    r_head = 0
    r_count = 0
    v_gen = float(p0)
    next_diff = start + fv_step
    # a jump after end + horizon changes no event (the clock stops at end; informed traders look horizon ahead)
    last_jump = end + horizon if horizon <= _NONE_ASK - end else _NONE_ASK
    next_jump = _NONE_ASK  # never, without jumps (end + 1 was reached once the diffusion passed it: 1 / 0)
    if jump_rate > 0:
        next_jump = _after(start, _exponential(rng_fv, _S / jump_rate), last_jump)
    diff_sd = fv_vol * math.sqrt(fv_step / _S)
    v = float(p0)

    # opening book: the LPs' full target profile, 1 ns apart
    t = start
    for k in range(levels):
        target = depth + depth_step * k
        for side in (1, -1):
            p = int(math.floor(v - half_spread)) - k if side > 0 else int(math.ceil(v + half_spread)) + k
            filled = 0
            while filled < target and st[_ERR] == 0:
                q = _geometric(rng_ag, lp_size)
                t = _place(lv, od, live, free, st, out, out_fv, l3, t, side, p, q, v)
                filled += q

    while st[_ERR] == 0:
        # generate the fair value at least `horizon` ahead, and one point past it
        while r_count == 0 or min(next_diff, next_jump) <= t + horizon:
            if r_count == ring_cap:
                st[_ERR] = _ERR_RING
                break
            if next_jump <= next_diff:
                size = _geometric(rng_fv, jump_mean)
                v_gen += size if _uniform(rng_fv) < 0.5 else -size
                ts_gen = next_jump
                next_jump = _after(next_jump, _exponential(rng_fv, _S / jump_rate), last_jump)
            else:
                v_gen += diff_sd * _normal(rng_fv)
                ts_gen = next_diff
                next_diff += fv_step
            if v_gen < v_floor:
                v_gen = 2.0 * v_floor - v_gen  # reflect: prices stay positive
            if not v_gen <= _MAX_FV:  # (a NaN too) past it the half tick is lost and int64 prices overflow
                st[_ERR] = _ERR_PRICE
                break
            j = (r_head + r_count) % ring_cap
            ring_t[j] = ts_gen
            ring_v[j] = v_gen
            r_count += 1
        if st[_ERR] != 0:
            break

        bb = st[_BB]
        ba = st[_BA]
        stale = (st[_NBLV] > 0 and bb > v - stale_margin) or (st[_NALV] > 0 and ba < v + stale_margin)
        n_def = _deficit(lv, st, v, levels, half_spread, depth, depth_step, -1)[1]
        r_noise = noise_rate
        r_inf = inf_rate if inf_on else 0.0
        r_cancel = cancel_rate * st[_NLIVE]
        r_stale = _S / reaction if stale else 0.0
        r_refill = refill_rate * n_def
        total = r_noise + r_inf + r_cancel + r_stale + r_refill
        t_next = end
        if total > 0:
            t_next = _after(t, _exponential(rng_ag, _S / total), end)
        if ring_t[r_head] <= t_next:
            # the fair value moves first; the agents' clocks are memoryless, so redraw after
            t = max(t, ring_t[r_head])
            if t >= end:
                break
            v = ring_v[r_head]
            r_head = (r_head + 1) % ring_cap
            r_count -= 1
            continue
        t = t_next
        if t >= end:
            break

        u = _uniform(rng_ag) * total
        if u < r_noise:
            side = 1 if _uniform(rng_ag) < 0.5 else -1
            size = _geometric(rng_ag, noise_size)
            limit = _NONE_ASK if side > 0 else _NONE_BID
            t = _take(lv, od, live, free, st, out, out_fv, l3, t, side, limit, size, _NOISE, v)
            continue
        u -= r_noise
        if u < r_inf:
            # the fair value the trader knows: the last change point at or before t + horizon
            v_lead = v
            for k in range(r_count - 1, -1, -1):
                j = (r_head + k) % ring_cap
                if ring_t[j] <= t + horizon:
                    v_lead = ring_v[j]
                    break
            size = _geometric(rng_ag, inf_size)
            if st[_NALV] > 0 and ba <= v_lead - edge:
                limit = int(math.floor(v_lead - edge))
                t = _take(lv, od, live, free, st, out, out_fv, l3, t, 1, limit, size, _INFORMED, v)
            elif st[_NBLV] > 0 and bb >= v_lead + edge:
                limit = int(math.ceil(v_lead + edge))
                t = _take(lv, od, live, free, st, out, out_fv, l3, t, -1, limit, size, _INFORMED, v)
            continue
        u -= r_inf
        if u < r_cancel:
            s = live[min(int(_uniform(rng_ag) * st[_NLIVE]), st[_NLIVE] - 1)]
            q = od[s, _OQTY]
            if q > 1 and _uniform(rng_ag) < partial:
                q = 1 + min(int(_uniform(rng_ag) * (q - 1)), q - 2)
            t = _reduce(lv, od, live, free, st, out, out_fv, l3, t, s, q, v)
            continue
        u -= r_cancel
        if u < r_stale:
            # pull the newest order at the most mispriced level
            if st[_NBLV] > 0 and bb > v - stale_margin:
                s = lv[bb & _MASK, _LTAIL]
            else:
                s = lv[ba & _MASK, _LTAIL]
            t = _reduce(lv, od, live, free, st, out, out_fv, l3, t, s, od[s, _OQTY], v)
            continue
        pick = min(int((u - r_stale) / refill_rate), n_def - 1)
        side, p, short = _deficit(lv, st, v, levels, half_spread, depth, depth_step, pick)
        if side != 0:
            q = _geometric(rng_ag, lp_size)
            t = _place(lv, od, live, free, st, out, out_fv, l3, t, side, p, q, v)

    n = st[_NOUT]
    return st[_ERR], out[:n], out_fv[:n]

