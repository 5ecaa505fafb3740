//! `memscape strings DUMP`: strings in captured memory as GNU strings finds
//! them in each captured range (analysis::strings), printed as they are
//! found: text (`address  A|U  region  text`) or a JSON array of
//! `{address, encoding, text, region}` (`region`: the base of the region
//! holding it; `length` in characters, and `text` cut at
//! analysis::strings::MAX_TEXT_CHARS).

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::json::StreamedRows;
use crate::analysis::strings::{Encoding, StringOptions, for_each_string};
use crate::dump::AddressSpace;
use crate::format::{hex, windbg_addr};

#[derive(Serialize)]
struct StringJson<'a> {
    address: String,
    encoding: &'static str,
    text: &'a str,
    length: usize,
    region: Option<String>,
    region_kind: Option<&'static str>,
}

pub fn run(space: &AddressSpace, opts: &StringOptions, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let bits = space.system.pointer_bits;
    let mut rows = StreamedRows::start(out, as_json)?;
    for_each_string(space, opts, None, &mut |s| {
        let region = space.region_at(s.addr);
        rows.row(
            || StringJson {
                address: hex(s.addr),
                encoding: s.encoding.name(),
                text: &s.text,
                length: s.len,
                region: region.map(|r| hex(r.base_addr)),
                region_kind: region.map(|r| r.kind.name()),
            },
            |out| {
                let enc = if s.encoding == Encoding::Ascii { 'A' } else { 'U' };
                let kind = region.map_or("?", |r| r.kind.name());
                writeln!(out, "{}  {enc}  {kind:<12} {}", windbg_addr(s.addr, bits), s.text)
            },
        )
    });
    Ok(rows.finish()?)
}
