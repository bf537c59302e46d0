"""mmsim's reference market makers, each written with the public API a plugin author has.

Each module defines its quoting rule once as an ``@njit`` function, a numba
fast-path strategy type built from it with :func:`mmsim.numba_strategy`, and a
Python-path twin (``<Name>Python``, an :class:`mmsim.Strategy`) that calls the
same rule. Load them by path (``strategies/glft.py:GLFT``) from a checkout, or
by entry-point name (``glft``) once mmsim is installed.

==================  ===================================================  ==================
module              strategy                                             entry point
==================  ===================================================  ==================
fixed_spread        symmetric quotes a fixed distance from the mid       ``fixed_spread``
join_best           rest at the best bid and ask (queue-model probe)     ``join_best``
inventory_skew      linear inventory skew with position limits           ``inventory_skew``
avellaneda_stoikov  Avellaneda-Stoikov (2008) reservation price/spread   ``avellaneda_stoikov``
glft                Gueant-Lehalle-Fernandez-Tapia (2013) closed form    ``glft``
signal_skew         shift quotes by microprice, imbalance and OFI        ``signal_skew``
toxicity_pull       widen or pull a side on informed-flow signals        ``toxicity_pull``
ladder_flatten      two-level ladder; an IOC toward flat past a limit    ``ladder_flatten``
==================  ===================================================  ==================
"""
