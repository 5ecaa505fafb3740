//! The bundled demo dump (assets/demo/azure-worker-crash.dmp), compiled into
//! the binary so `memscape` with no argument works wherever it is installed.
//! The file is written by `synth::demo_dump_bytes` (see tests/demo_dump.rs).

use crate::dump::{AddressSpace, DumpError};

/// The name the demo dump goes by in titles and messages.
pub const DEMO_DUMP_NAME: &str = "azure-worker-crash.dmp (demo)";

pub static DEMO_DUMP_BYTES: &[u8] = include_bytes!("../assets/demo/azure-worker-crash.dmp");

/// Reads the embedded demo dump.
pub fn open_demo() -> Result<AddressSpace, DumpError> {
    AddressSpace::from_static(DEMO_DUMP_NAME, DEMO_DUMP_BYTES)
}
