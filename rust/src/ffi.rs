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
        if n == 0 {
            // The arrays may be null when n is 0; from_raw_parts needs non-null.
            (*handle).on_book(ts, &[], &[], &[], &[]);
            return;
        }
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

/// Write the parameters in use (zero fields replaced by their defaults).
///
/// # Safety
/// `handle` must be live; `out` must be a valid pointer to a `MmsimSignalParams`.
#[no_mangle]
pub unsafe extern "C" fn mmsim_signals_params_get(handle: *const Signals, out: *mut Params) {
    guard(|| unsafe { *out = *(*handle).params() })
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

    const HEADER: &str = include_str!("../include/mmsim_signals.h");

    #[test]
    fn params_fields_and_offsets_match_header() {
        use std::mem::offset_of;
        // The struct body in the header, field names in order.
        let body = HEADER.split("typedef struct MmsimSignalParams {").nth(1).unwrap();
        let body = body.split('}').next().unwrap();
        let fields: Vec<(&str, &str)> = body
            .lines()
            .filter_map(|l| l.split(';').next().filter(|d| d.contains('_') && !d.trim().starts_with("/*")))
            .map(|d| {
                let mut it = d.split_whitespace();
                (it.next().unwrap(), it.next().unwrap())
            })
            .collect();
        let want = [
            ("int64_t", "depth_levels", offset_of!(Params, depth_levels)),
            ("double", "depth_decay", offset_of!(Params, depth_decay)),
            ("double", "ofi_half_life_ns", offset_of!(Params, ofi_half_life_ns)),
            ("double", "trade_flow_half_life_ns", offset_of!(Params, trade_flow_half_life_ns)),
            ("double", "vol_half_life_ns", offset_of!(Params, vol_half_life_ns)),
            ("double", "hawkes_half_life_ns", offset_of!(Params, hawkes_half_life_ns)),
            ("double", "hawkes_alpha", offset_of!(Params, hawkes_alpha)),
            ("double", "hawkes_baseline", offset_of!(Params, hawkes_baseline)),
            ("double", "vpin_bucket_volume", offset_of!(Params, vpin_bucket_volume)),
            ("int64_t", "vpin_buckets", offset_of!(Params, vpin_buckets)),
        ];
        assert_eq!(fields.len(), want.len(), "{fields:?}");
        for (i, ((ty, name), (wty, wname, off))) in fields.iter().zip(want.iter()).enumerate() {
            assert_eq!((ty, name), (wty, wname));
            // every field is 8 bytes wide, so C puts field i at 8 * i
            assert_eq!(*off, 8 * i, "{name}");
        }
    }

    #[test]
    fn slot_enum_and_limits_match_header() {
        for (i, name) in NAMES.iter().enumerate() {
            let line = format!("MMSIM_SIG_{} = {},", name.to_uppercase(), i);
            assert!(HEADER.contains(&line), "header lacks {line:?}");
        }
        assert!(HEADER.contains(&format!("MMSIM_SIG_COUNT = {}", COUNT)));
        assert!(HEADER.contains(&format!("#define MMSIM_MAX_LEVELS {}", MAX_LEVELS)));
        for f in ["mmsim_signals_params_default", "mmsim_signals_new", "mmsim_signals_free", "mmsim_signals_reset",
                  "mmsim_signals_on_book", "mmsim_signals_on_trade", "mmsim_signals_values", "mmsim_signals_params_get",
                  "mmsim_signals_count", "mmsim_signals_name"] {
            assert!(HEADER.contains(&format!("{f}(")), "header lacks {f}");
        }
    }

    #[test]
    fn abi_round_trip() {
        unsafe {
            let mut p = std::mem::zeroed::<Params>();
            mmsim_signals_params_default(&mut p);
            assert_eq!(p, Params::default());
            p.depth_levels = 99;
            assert!(mmsim_signals_new(&p).is_null());
            p.depth_levels = 0; // zero means default
            let h = mmsim_signals_new(&p);
            assert!(!h.is_null());
            let mut got = std::mem::zeroed::<Params>();
            mmsim_signals_params_get(h, &mut got);
            assert_eq!(got.depth_levels, 5);
            let (bp, bq, ap, aq) = ([100i64, 99], [30i64, 1], [102i64, 103], [10i64, 1]);
            mmsim_signals_on_book(h, 1, bp.as_ptr(), bq.as_ptr(), ap.as_ptr(), aq.as_ptr(), 2);
            mmsim_signals_on_book(h, 2, std::ptr::null(), std::ptr::null(), std::ptr::null(), std::ptr::null(), 0);
            mmsim_signals_on_trade(h, 3, 1, 102, 5);
            let mut out = [0.0f64; COUNT];
            mmsim_signals_values(h, out.as_mut_ptr());
            assert_eq!(out[crate::slot::MICROPRICE], 101.5);
            assert_eq!(out[crate::slot::TRADE_FLOW], 5.0);
            mmsim_signals_reset(h);
            mmsim_signals_values(h, out.as_mut_ptr());
            assert!(out[crate::slot::MID].is_nan());
            assert_eq!(out[crate::slot::TRADE_FLOW], 0.0);
            mmsim_signals_free(h);
            mmsim_signals_free(std::ptr::null_mut());
            assert_eq!(mmsim_signals_count(), COUNT as i64);
            assert!(mmsim_signals_name(COUNT as i64).is_null());
            assert!(mmsim_signals_name(-1).is_null());
            let name = std::ffi::CStr::from_ptr(mmsim_signals_name(10));
            assert_eq!(name.to_str().unwrap(), "vpin");
        }
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
