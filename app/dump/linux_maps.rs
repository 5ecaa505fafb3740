//! The LinuxMaps stream: /proc/pid/maps as Breakpad and Crashpad copy it.
//!
//! Parsed here, line by line, rather than with minidump's MinidumpLinuxMaps,
//! because that rejects the whole stream when a single line is malformed; a
//! damaged dump should keep every line that still reads.

/// One line of /proc/pid/maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MapsLine {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub shared: bool,
    pub offset: u64,
    pub inode: u64,
    /// The path or pseudo-path ("[heap]", "[stack:1234]"); empty for anonymous memory.
    pub path: String,
}

/// Parses every well-formed line; returns how many lines were skipped.
pub(crate) fn parse_maps(text: &[u8]) -> (Vec<MapsLine>, usize) {
    let mut out = Vec::new();
    let mut bad = 0;
    for line in text.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(line);
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line) {
            Some(l) => out.push(l),
            None => bad += 1,
        }
    }
    (out, bad)
}

fn parse_line(line: &str) -> Option<MapsLine> {
    // start-end perms offset dev inode [path]; the path may contain spaces.
    let mut fields = line.splitn(6, ' ');
    let range = fields.next()?;
    let perms = fields.next()?.as_bytes();
    let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
    let _dev = fields.next()?;
    let inode = fields.next()?.parse().ok()?;
    let path = fields.next().unwrap_or("").trim().to_string();
    let (start, end) = range.split_once('-')?;
    let start = u64::from_str_radix(start, 16).ok()?;
    let end = u64::from_str_radix(end, 16).ok()?;
    if end <= start || perms.len() < 4 {
        return None;
    }
    Some(MapsLine {
        start,
        end,
        read: perms[0] == b'r',
        write: perms[1] == b'w',
        exec: perms[2] == b'x',
        shared: perms[3] == b's',
        offset,
        inode,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_skips_bad_ones() {
        let text = b"00400000-0040b000 r-xp 00000000 08:01 1234 /usr/bin/my app\n\
                     01a2c000-01a4d000 rw-p 00000000 00:00 0          [heap]\n\
                     garbage line\n\
                     7ffd1000-7ffd0000 rw-p 00000000 00:00 0\n\
                     7f0000000000-7f0000001000 ---p 00000000 00:00 0\n";
        let (lines, bad) = parse_maps(text);
        assert_eq!(bad, 2);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].path, "/usr/bin/my app");
        assert!(lines[0].exec && !lines[0].write);
        assert_eq!(lines[1].path, "[heap]");
        assert_eq!(lines[2].path, "");
        assert!(!lines[2].read);
    }
}
