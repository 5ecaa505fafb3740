//! The one error type of the `synth` layer: a scenario whose tables do not fit
//! together (overlapping allocations, a capture outside committed memory, a label
//! that was never placed), which is a bug in the generator's own data and which
//! the tests rule out for the bundled scenarios; and, for the big-dump generator,
//! a knob outside its range or a file that could not be written.

/// Why a generator could not lay out or serialize its scenario.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Two allocations claim the same addresses.
    #[error("allocation {new} at {new_base:#x} overlaps {existing} at {existing_base:#x}")]
    Overlap {
        /// What the rejected allocation is.
        new: String,
        /// Its base address.
        new_base: u64,
        /// What it collided with.
        existing: String,
        /// That allocation's base address.
        existing_base: u64,
    },
    /// An allocation is not aligned, empty, or outside the user address space.
    #[error("allocation {what} at {base:#x} (size {size:#x}) is misplaced: {why}")]
    Misplaced {
        /// What the allocation is.
        what: String,
        /// Its base address.
        base: u64,
        /// Its size in bytes.
        size: u64,
        /// Which rule it breaks.
        why: &'static str,
    },
    /// No free range of the wanted size was left.
    #[error("no free range of {size:#x} bytes for {what}")]
    NoRoom {
        /// What was to be placed.
        what: String,
        /// The size in bytes.
        size: u64,
    },
    /// A code or data address the scenario refers to is not where it should be.
    #[error("{what}: {why}")]
    Inconsistent {
        /// The object concerned.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// minidump-synth could not resolve every label while serializing.
    #[error("minidump-synth left a label unresolved")]
    Unresolved,
    /// A knob of a generator is outside what it can produce.
    #[error("{knob} = {value} is {why}")]
    OutOfRange {
        /// The knob, as the command line spells it (`regions`, `threads`, ...).
        knob: &'static str,
        /// The value asked for.
        value: u64,
        /// What is allowed, in words.
        why: String,
    },
    /// The dump file could not be created or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}
