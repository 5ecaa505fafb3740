//! `/proc/PID/maps` copies, the peer for region maps: parsed into
//! (start, end, "rwx" as booleans, path), without the kernel mappings no
//! dump or core holds (`[vvar]`, `[vvar_vclock]`, `[vsyscall]`).

/// One mapping.
pub type MapsLine = (u64, u64, [bool; 3], String);

pub fn lines(text: &str) -> Vec<MapsLine> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (range, perms) = (f.next()?, f.next()?);
            let path = f.nth(3).unwrap_or("").to_string();
            let (s, e) = range.split_once('-')?;
            let p = perms.as_bytes();
            Some((
                u64::from_str_radix(s, 16).ok()?,
                u64::from_str_radix(e, 16).ok()?,
                [p.first() == Some(&b'r'), p.get(1) == Some(&b'w'), p.get(2) == Some(&b'x')],
                path,
            ))
        })
        .filter(|(_, _, _, p)| !matches!(p.as_str(), "[vvar]" | "[vvar_vclock]" | "[vsyscall]"))
        .collect()
}
