//! The analysis layer: AddressSpace (+ stack traces) -> statistics
//! ([`stats`]), crash-dump-analysis pattern findings ([`patterns`]), what
//! each finding involves on the map ([`involvement`]), two dumps compared
//! ([`diff`]) and the later one's map cut at what changed, with the change
//! of every piece ([`compare`]), and scans of captured memory in address
//! order ([`scan`]): strings as GNU strings finds them ([`strings`]) and
//! the words that point into a range ([`refs`]); each region's byte
//! entropy and class ([`byte_stats`]). Pure and
//! deterministic; no egui, no wgpu, and no minidump types (those stay in
//! dump/). May use dump/ only.

pub mod byte_stats;
pub mod compare;
pub mod diff;
pub mod involvement;
pub mod patterns;
pub mod refs;
pub mod scan;
pub mod stats;
pub mod strings;
pub mod swar;
