//! `memscape strings DUMP`: strings in captured memory as GNU strings finds
//! them in each captured range (analysis::strings), printed as they are
//! found: text (`address  A|U  region  text`) or a JSON array of
//! `{address, encoding, text, region}` (`region`: the base of the region
//! holding it; `length` in characters, and `text` cut at
//! analysis::strings::MAX_TEXT_CHARS).

use std::io::Write;
use std::ops::ControlFlow;

use anyhow::Result;
use serde::Serialize;

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
    let mut first = true;
    let mut failed: Option<std::io::Error> = None;
    if as_json {
        out.write_all(b"[")?;
    }
    for_each_string(space, opts, None, &mut |s| {
        let region = space.region_at(s.addr);
        let written = if as_json {
            let row = StringJson {
                address: hex(s.addr),
                encoding: s.encoding.name(),
                text: &s.text,
                length: s.len,
                region: region.map(|r| hex(r.base_addr)),
                region_kind: region.map(|r| r.kind.name()),
            };
            let sep = if first { "\n  " } else { ",\n  " };
            out.write_all(sep.as_bytes())
                .and_then(|()| serde_json::to_writer(&mut *out, &row).map_err(std::io::Error::other))
        } else {
            let enc = if s.encoding == Encoding::Ascii { 'A' } else { 'U' };
            let kind = region.map_or("?", |r| r.kind.name());
            writeln!(out, "{}  {enc}  {kind:<12} {}", windbg_addr(s.addr, bits), s.text)
        };
        first = false;
        match written {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    if as_json {
        out.write_all(if first { b"]\n" } else { b"\n]\n" })?;
    }
    Ok(())
}
