//! HandleData: how many handles of each type the process held.

use minidump::format::MINIDUMP_STREAM_TYPE;
use minidump::{Minidump, MinidumpHandleDataStream};
use scroll::Pread;

use super::model::HandleSummary;

/// MINIDUMP_HANDLE_DESCRIPTOR's size; MINIDUMP_HANDLE_DESCRIPTOR_2 adds 8.
const DESCRIPTOR_BYTES: u32 = 32;

/// Why the stream's header cannot be right, checked before the minidump crate
/// reads it: with a descriptor size of 0 every claimed count "fits", and the
/// crate reserves room for up to 2^32 descriptors (an 84 GB allocation that
/// aborts the process; found by the open_dump fuzz target).
fn bad_header(stream: &[u8]) -> Option<String> {
    let u32_at = |at: usize| stream.pread_with::<u32>(at, scroll::LE).ok();
    let (Some(header), Some(size), Some(count)) = (u32_at(0), u32_at(4), u32_at(8)) else {
        return Some("stream too short for its header".into());
    };
    if size < DESCRIPTOR_BYTES {
        return Some(format!("descriptors of {size} bytes (at least {DESCRIPTOR_BYTES})"));
    }
    let needed = u64::from(header) + u64::from(count) * u64::from(size);
    (needed > stream.len() as u64)
        .then(|| format!("{count} descriptors of {size} bytes do not fit in the stream's {} bytes", stream.len()))
}

pub(crate) fn read_handles<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    warnings: &mut Vec<String>,
) -> Option<HandleSummary> {
    let raw = dump.get_raw_stream(MINIDUMP_STREAM_TYPE::HandleDataStream as u32).ok()?;
    if let Some(why) = bad_header(raw) {
        warnings.push(format!("HandleData unreadable: {why}"));
        return None;
    }
    let stream = match dump.get_stream::<MinidumpHandleDataStream>() {
        Ok(s) => s,
        Err(minidump::Error::StreamNotFound) => return None,
        Err(e) => {
            warnings.push(format!("HandleData unreadable: {e}"));
            return None;
        }
    };
    let mut summary = HandleSummary::default();
    for h in stream.iter() {
        let ty = h.type_name.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| "(unnamed)".into());
        *summary.by_type.entry(ty).or_default() += 1;
        summary.total += 1;
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::bad_header;

    fn header(size_of_header: u32, size: u32, count: u32, len: usize) -> Vec<u8> {
        let mut s = [size_of_header, size, count, 0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
        s.resize(len, 0);
        s
    }

    #[test]
    fn impossible_headers_are_refused_before_the_crate_reads_them() {
        assert!(bad_header(&header(16, 0, u32::MAX, 16)).is_some_and(|w| w.contains("descriptors of 0 bytes")));
        assert!(bad_header(&header(16, 32, 1000, 16 + 32 * 10)).is_some_and(|w| w.contains("do not fit")));
        assert!(bad_header(&[0; 8]).is_some());
        assert_eq!(bad_header(&header(16, 40, 10, 16 + 40 * 10)), None);
    }
}
