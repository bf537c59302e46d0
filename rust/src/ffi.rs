//! C ABI of mmsim-signals (mirrored by `include/mmsim_signals.h`).
//!
//! Every export catches panics and aborts instead of unwinding into C++.

use crate::{Params, Signals, COUNT, MAX_LEVELS, NAMES};
use std::os::raw::c_char;

fn guard<R>(f: impl FnOnce() -> R) -> R {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => std::process::abort(),
    }
}

/// Write the default parameters.
///
/// # Safety
/// `out` must be a valid pointer to a `MmsimSignalParams`.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_params_default(out: *mut Params) {
    guard(|| unsafe { *out = Params::default() })
}

/// New signal state, or null when a parameter is invalid.
///
/// # Safety
/// `params` must point to a valid `MmsimSignalParams`.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_new(params: *const Params) -> *mut Signals {
    guard(|| match Signals::new(unsafe { *params }) {
        Some(s) => Box::into_raw(Box::new(s)),
        None => std::ptr::null_mut(),
    })
}

/// Free a handle from `mmsim_signals_new` (null is ignored).
///
/// # Safety
/// `handle` must come from `mmsim_signals_new` and not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_free(handle: *mut Signals) {
    guard(|| {
        if !handle.is_null() {
            drop(unsafe { Box::from_raw(handle) });
        }
    })
}

/// Reset to a fresh state.
///
/// # Safety
/// `handle` must be a live handle.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_reset(handle: *mut Signals) {
    guard(|| unsafe { (*handle).reset() })
}

/// Feed the top `n` levels of the book after an event at `ts`.
///
/// # Safety
/// `handle` must be live; the four arrays must hold `n` elements, `n <= MMSIM_MAX_LEVELS`.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_on_book(
    handle: *mut Signals,
    ts: i64,
    bid_px: *const i64,
    bid_qty: *const i64,
    ask_px: *const i64,
    ask_qty: *const i64,
    n: i64,
) {
    guard(|| unsafe {
        let n = (n.max(0) as usize).min(MAX_LEVELS);
        (*handle).on_book(
            ts,
            std::slice::from_raw_parts(bid_px, n),
            std::slice::from_raw_parts(bid_qty, n),
            std::slice::from_raw_parts(ask_px, n),
            std::slice::from_raw_parts(ask_qty, n),
        )
    })
}

/// Feed a trade print (`side` is the aggressor).
///
/// # Safety
/// `handle` must be live.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_on_trade(handle: *mut Signals, ts: i64, side: i64, price: i64, qty: i64) {
    guard(|| unsafe { (*handle).on_trade(ts, side, price, qty) })
}

/// Write `MMSIM_SIG_COUNT` values.
///
/// # Safety
/// `handle` must be live; `out` must hold `MMSIM_SIG_COUNT` doubles.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_values(handle: *const Signals, out: *mut f64) {
    guard(|| unsafe {
        let v = (*handle).values();
        std::ptr::copy_nonoverlapping(v.as_ptr(), out, COUNT);
    })
}

/// Number of signal slots.
#[no_mangle]
pub extern "C" fn mmsim_signals_count() -> i64 {
    COUNT as i64
}

static NAMES_C: [&[u8]; COUNT] = [
    b"spread\0",
    b"mid\0",
    b"imbalance\0",
    b"depth_imbalance\0",
    b"microprice\0",
    b"ofi\0",
    b"trade_flow\0",
    b"volatility\0",
    b"hawkes_buy\0",
    b"hawkes_sell\0",
    b"vpin\0",
];

/// Name of slot `i` (static, NUL-terminated), or null out of range.
#[no_mangle]
pub extern "C" fn mmsim_signals_name(i: i64) -> *const c_char {
    if i < 0 || i as usize >= COUNT {
        return std::ptr::null();
    }
    debug_assert_eq!(&NAMES_C[i as usize][..NAMES[i as usize].len()], NAMES[i as usize].as_bytes());
    NAMES_C[i as usize].as_ptr() as *const c_char
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_layout_matches_header() {
        // MmsimSignalParams: i64, 8 x f64, i64 -> 80 bytes, 8-aligned.
        assert_eq!(std::mem::size_of::<Params>(), 80);
        assert_eq!(std::mem::align_of::<Params>(), 8);
    }

    #[test]
    fn names_are_nul_terminated_and_match() {
        for i in 0..COUNT {
            let bytes = NAMES_C[i];
            assert_eq!(*bytes.last().unwrap(), 0);
            assert_eq!(&bytes[..bytes.len() - 1], NAMES[i].as_bytes());
        }
    }
}
