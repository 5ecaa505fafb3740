//! Text formatting shared by the command line and the window: addresses,
//! sizes, percentages. No dependencies: any layer may use it.

/// "0x7ffe0000".
pub fn hex(addr: u64) -> String {
    format!("0x{addr:x}")
}

/// Parses an address as WinDbg takes one: hex, with or without `0x`, with an
/// optional backtick between the halves (`00007ff8`12340000`).
pub fn parse_hex_addr(s: &str) -> Option<u64> {
    let t = s.trim().trim_start_matches("0x").trim_start_matches("0X").replace('`', "");
    u64::from_str_radix(&t, 16).ok()
}

/// WinDbg-style 64-bit address with a backtick: "00007ff8`12340000"; plain
/// 8 digits for 32-bit dumps.
pub fn windbg_addr(addr: u64, pointer_bits: u32) -> String {
    if pointer_bits == 64 { format!("{:08x}`{:08x}", addr >> 32, addr & 0xFFFF_FFFF) } else { format!("{addr:08x}") }
}

/// "1.724 GiB", "512 B" (three decimals, as WinDbg prints sizes).
pub fn human_size(bytes: u64) -> String {
    human_size_with(bytes, 3)
}

/// "1.7 GiB": one decimal, for crowded panels.
pub fn human_size_short(bytes: u64) -> String {
    human_size_with(bytes, 1)
}

fn human_size_with(bytes: u64, decimals: usize) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.decimals$} {}", UNITS[unit])
}

/// A growth or shrinkage: "+1.500 MiB", "-4.000 KiB", "0".
pub fn human_delta(delta: i128) -> String {
    let size = human_size(u64::try_from(delta.unsigned_abs()).unwrap_or(u64::MAX));
    match delta {
        0 => "0".into(),
        d if d > 0 => format!("+{size}"),
        _ => format!("-{size}"),
    }
}

pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 { "-".into() } else { format!("{:.2}%", part as f64 * 100.0 / whole as f64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(hex(0xABC), "0xabc");
        assert_eq!(parse_hex_addr("00007ff8`12340000"), Some(0x7ff8_1234_0000));
        assert_eq!(parse_hex_addr(" 0x7FFE0000 "), Some(0x7ffe_0000));
        assert_eq!(parse_hex_addr(""), None);
        assert_eq!(parse_hex_addr("ntdll"), None);
        assert_eq!(windbg_addr(0x7ff8_1234_0000, 64), "00007ff8`12340000");
        assert_eq!(windbg_addr(0x7ffe_0000, 32), "7ffe0000");
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(1536), "1.500 KiB");
        assert_eq!(human_size(128 << 40), "128.000 TiB");
        assert_eq!(percent(1, 4), "25.00%");
        assert_eq!(human_size_short(1536), "1.5 KiB");
        assert_eq!(percent(1, 0), "-");
    }
}
