//! HandleData: how many handles of each type the process held.

use minidump::{Minidump, MinidumpHandleDataStream};

use super::model::HandleSummary;

pub(crate) fn read_handles<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    warnings: &mut Vec<String>,
) -> Option<HandleSummary> {
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
