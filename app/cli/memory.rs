//! `memscape memory DUMP ADDR`: the bytes at an address, like WinDbg's `db`
//! (16 a row, hex then ASCII, `??` where the dump holds nothing), or JSON
//! `{address, length, bytes}` with `bytes` two lower-case hex digits a byte
//! and `??` for a byte not held. Read and written a row at a time, so any
//! length costs the same memory.

use std::io::Write;

use anyhow::{Result, bail};

use crate::dump::AddressSpace;
use crate::format::{hex, windbg_addr};

const ROW: usize = 16;

pub fn run(space: &AddressSpace, addr: u64, length: u64, as_json: bool, out: &mut dyn Write) -> Result<()> {
    // The last byte is at addr + length - 1, which must not pass u64::MAX.
    if length > 0 && addr.checked_add(length - 1).is_none() {
        bail!("{}: {length} bytes from {} run past the end of the address space", space.path.display(), hex(addr));
    }
    let (mut buf, mut held) = ([0u8; ROW], [false; ROW]);
    let mut at = addr;
    let mut left = length;
    if as_json {
        write!(out, "{{\n  \"address\": \"{}\",\n  \"length\": {length},\n  \"bytes\": \"", hex(addr))?;
        while left > 0 {
            let n = left.min(ROW as u64) as usize;
            space.read_memory(at, &mut buf[..n], &mut held[..n]);
            for i in 0..n {
                if held[i] {
                    write!(out, "{:02x}", buf[i])?;
                } else {
                    out.write_all(b"??")?;
                }
            }
            left -= n as u64;
            at = at.wrapping_add(n as u64);
        }
        writeln!(out, "\"\n}}")?;
        return Ok(());
    }
    let bits = space.system.pointer_bits;
    while left > 0 {
        let n = left.min(ROW as u64) as usize;
        space.read_memory(at, &mut buf[..n], &mut held[..n]);
        let mut line = format!("{}  ", windbg_addr(at, bits));
        for i in 0..ROW {
            let sep = if i == 7 && n > 8 { '-' } else { ' ' };
            match (i < n, held[i]) {
                (false, _) => line.push_str("   "),
                (true, true) => line.push_str(&format!("{:02x}{sep}", buf[i])),
                (true, false) => line.push_str(&format!("??{sep}")),
            }
        }
        line.push(' ');
        for i in 0..n {
            line.push(if held[i] && (0x20..0x7f).contains(&buf[i]) { char::from(buf[i]) } else { '.' });
        }
        writeln!(out, "{}", line.trim_end())?;
        left -= n as u64;
        at = at.wrapping_add(n as u64);
    }
    Ok(())
}
