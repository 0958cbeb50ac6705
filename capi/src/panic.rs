//! The panic boundary: a panic inside gsp becomes GSP_STATUS_INTERNAL, never an abort or an
//! unwind into C.

use std::panic::{catch_unwind, AssertUnwindSafe};

use gsp::panic_message;

use super::error::fail;
use super::types::gsp_status;

/// Runs `f`, mapping a panic to `GSP_STATUS_INTERNAL` (with its message).
pub(crate) fn boundary(f: impl FnOnce() -> gsp_status) -> gsp_status {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        fail(
            gsp_status::GSP_STATUS_INTERNAL,
            format!(
                "internal error (a bug in gsp): {}",
                panic_message(&*payload)
            ),
        )
    })
}

/// Runs `f` for functions without a status; a panic is contained and ignored.
pub(crate) fn boundary_void(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}
