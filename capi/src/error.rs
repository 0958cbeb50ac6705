//! Why the last failing call on this thread failed: a message per thread, as errno is a number
//! per thread, so a host can log more than a status's name.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use super::types::gsp_status;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Records `message` as this thread's last error and returns `status`, for `return fail(...)`.
pub(crate) fn fail(status: gsp_status, message: impl Into<String>) -> gsp_status {
    let mut message = message.into().into_bytes();
    message.retain(|&b| b != 0);
    let message = CString::new(message).expect("NULs removed");
    LAST_ERROR.with(|e| *e.borrow_mut() = message);
    status
}

/// This thread's last error message; valid until the next gsp call on this thread.
pub(crate) fn last() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}
