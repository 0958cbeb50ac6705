//! The panic boundary: a panic inside gsp becomes GSP_STATUS_INTERNAL, never an abort or an
//! unwind into C.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::types::gsp_status;

/// Runs `f`, mapping a panic to `GSP_STATUS_INTERNAL`.
pub(crate) fn boundary(f: impl FnOnce() -> gsp_status) -> gsp_status {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(gsp_status::GSP_STATUS_INTERNAL)
}

/// Runs `f` for functions without a status; a panic is contained and ignored.
pub(crate) fn boundary_void(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}
