//! Names for exception codes as crash engineers say them: NTSTATUS names on
//! Windows (STATUS_ACCESS_VIOLATION), signals on Linux (SIGSEGV), Mach
//! exceptions on macOS (EXC_BAD_ACCESS).
//!
//! minidump's CrashReason spells Windows codes as EXCEPTION_* and folds access
//! kinds into the name; WinDbg and the pattern catalog use the STATUS_* names,
//! so the common ones are listed here and the crate's reading is kept as detail.

use super::model::Platform;

const WINDOWS: &[(u32, &str)] = &[
    (0x4000_001F, "STATUS_WX86_BREAKPOINT"),
    (0x4001_0005, "DBG_CONTROL_C"),
    (0x406D_1388, "MS_VC_EXCEPTION (SetThreadName)"),
    (0x8000_0001, "STATUS_GUARD_PAGE_VIOLATION"),
    (0x8000_0002, "STATUS_DATATYPE_MISALIGNMENT"),
    (0x8000_0003, "STATUS_BREAKPOINT"),
    (0x8000_0004, "STATUS_SINGLE_STEP"),
    (0xC000_0005, "STATUS_ACCESS_VIOLATION"),
    (0xC000_0006, "STATUS_IN_PAGE_ERROR"),
    (0xC000_0008, "STATUS_INVALID_HANDLE"),
    (0xC000_0017, "STATUS_NO_MEMORY"),
    (0xC000_001D, "STATUS_ILLEGAL_INSTRUCTION"),
    (0xC000_0025, "STATUS_NONCONTINUABLE_EXCEPTION"),
    (0xC000_0026, "STATUS_INVALID_DISPOSITION"),
    (0xC000_008C, "STATUS_ARRAY_BOUNDS_EXCEEDED"),
    (0xC000_008D, "STATUS_FLOAT_DENORMAL_OPERAND"),
    (0xC000_008E, "STATUS_FLOAT_DIVIDE_BY_ZERO"),
    (0xC000_008F, "STATUS_FLOAT_INEXACT_RESULT"),
    (0xC000_0090, "STATUS_FLOAT_INVALID_OPERATION"),
    (0xC000_0091, "STATUS_FLOAT_OVERFLOW"),
    (0xC000_0092, "STATUS_FLOAT_STACK_CHECK"),
    (0xC000_0093, "STATUS_FLOAT_UNDERFLOW"),
    (0xC000_0094, "STATUS_INTEGER_DIVIDE_BY_ZERO"),
    (0xC000_0095, "STATUS_INTEGER_OVERFLOW"),
    (0xC000_0096, "STATUS_PRIVILEGED_INSTRUCTION"),
    (0xC000_00FD, "STATUS_STACK_OVERFLOW"),
    (0xC000_0135, "STATUS_DLL_NOT_FOUND"),
    (0xC000_0139, "STATUS_ENTRYPOINT_NOT_FOUND"),
    (0xC000_013A, "STATUS_CONTROL_C_EXIT"),
    (0xC000_0142, "STATUS_DLL_INIT_FAILED"),
    (0xC000_0194, "STATUS_POSSIBLE_DEADLOCK"),
    (0xC000_0374, "STATUS_HEAP_CORRUPTION"),
    (0xC000_0409, "STATUS_STACK_BUFFER_OVERRUN"),
    (0xC000_0417, "STATUS_INVALID_CRUNTIME_PARAMETER"),
    (0xC000_0420, "STATUS_ASSERTION_FAILURE"),
    (0xC000_0602, "STATUS_FAIL_FAST_EXCEPTION"),
    (0xE043_4352, "CLR exception (0xE0434352)"),
    (0xE043_4F4D, "COM+ exception (0xE0434F4D)"),
    (0xE06D_7363, "C++ exception (0xE06D7363)"),
];

const LINUX: &[(u32, &str)] = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (11, "SIGSEGV"),
    (13, "SIGPIPE"),
    (15, "SIGTERM"),
    (31, "SIGSYS"),
    (0xFFFF_FFFF, "DUMP_REQUESTED"),
];

const MACOS: &[(u32, &str)] = &[
    (1, "EXC_BAD_ACCESS"),
    (2, "EXC_BAD_INSTRUCTION"),
    (3, "EXC_ARITHMETIC"),
    (4, "EXC_EMULATION"),
    (5, "EXC_SOFTWARE"),
    (6, "EXC_BREAKPOINT"),
    (10, "EXC_CRASH"),
    (11, "EXC_RESOURCE"),
    (12, "EXC_GUARD"),
    (0x4350_7378, "EXC_CRASHPAD_SIGNAL"),
];

/// The conventional name of `code` on `platform`, if it is a well-known one.
pub fn exception_name(platform: Platform, code: u32) -> Option<&'static str> {
    let table = match platform {
        Platform::Windows => WINDOWS,
        Platform::Linux => LINUX,
        Platform::MacOs => MACOS,
        Platform::Other => return None,
    };
    table.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Whether a Windows code is an access violation or in-page error, whose
/// parameters carry the access kind and the target address.
pub fn is_windows_access_fault(code: u32) -> bool {
    code == 0xC000_0005 || code == 0xC000_0006
}

/// The winnt.h name of a `__fastfail` code (STATUS_STACK_BUFFER_OVERRUN's first
/// parameter), e.g. `FAST_FAIL_STACK_COOKIE_CHECK_FAILURE`, from the minidump
/// crate's table; `None` for a code it does not know.
pub fn fast_fail_name(code: u64) -> Option<String> {
    // The crate prints "EXCEPTION_STACK_BUFFER_OVERRUN / <fast-fail name>", the
    // name being the number in hex when unknown.
    let text = minidump::CrashReason::WindowsStackBufferOverrun(code).to_string();
    let name = text.rsplit_once(" / ").map(|(_, n)| n)?;
    name.starts_with("FAST_FAIL_").then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_platform() {
        assert_eq!(exception_name(Platform::Windows, 0xC000_0005), Some("STATUS_ACCESS_VIOLATION"));
        assert_eq!(exception_name(Platform::Linux, 11), Some("SIGSEGV"));
        assert_eq!(exception_name(Platform::MacOs, 1), Some("EXC_BAD_ACCESS"));
        assert_eq!(exception_name(Platform::Windows, 11), None);
        assert!(WINDOWS.windows(2).all(|w| w[0].0 < w[1].0), "sorted, no duplicates");
    }

    #[test]
    fn fast_fail_codes() {
        assert_eq!(fast_fail_name(2).as_deref(), Some("FAST_FAIL_STACK_COOKIE_CHECK_FAILURE"));
        assert_eq!(fast_fail_name(7).as_deref(), Some("FAST_FAIL_FATAL_APP_EXIT"));
        assert_eq!(fast_fail_name(0xdead_beef), None);
    }
}
