//! The LinuxMaps stream: /proc/pid/maps as Breakpad and Crashpad copy it.
//!
//! Parsed here, line by line, rather than with minidump's MinidumpLinuxMaps,
//! because that rejects the whole stream when a single line is malformed; a
//! damaged dump should keep every line that still reads. Lines are parsed as
//! they are used, borrowing their paths from the stream, never collected: a
//! stream of 200k short lines must not cost a multiple of itself in memory.

use std::borrow::Cow;

/// One line of /proc/pid/maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MapsLine<'a> {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub shared: bool,
    pub offset: u64,
    pub inode: u64,
    /// The path or pseudo-path ("[heap]", "[stack:1234]"); empty for anonymous memory.
    pub path: Cow<'a, str>,
}

/// Every non-blank line: `Some` when well-formed, `None` when not.
pub(crate) fn lines(text: &[u8]) -> impl Iterator<Item = Option<MapsLine<'_>>> {
    text.split(|b| *b == b'\n').filter(|l| !l.trim_ascii().is_empty()).map(|line| match std::str::from_utf8(line) {
        Ok(s) => parse_line(s.trim_end_matches('\r')),
        // A path with bad UTF-8: that line only is copied, with U+FFFD.
        Err(_) => {
            let owned = String::from_utf8_lossy(line).into_owned();
            parse_line(owned.trim_end_matches('\r')).map(|l| MapsLine {
                start: l.start,
                end: l.end,
                read: l.read,
                write: l.write,
                exec: l.exec,
                shared: l.shared,
                offset: l.offset,
                inode: l.inode,
                path: Cow::Owned(l.path.into_owned()),
            })
        }
    })
}

/// What one pass over the stream says, before the regions are built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct MapsSummary {
    pub lines: usize,
    /// Malformed lines (skipped).
    pub bad: usize,
    /// Whether the lines are sorted by address and disjoint, as the kernel writes them.
    pub sorted: bool,
}

/// The LinuxMaps stream's text and what a first pass found in it.
pub(crate) struct MapsText<'a> {
    pub text: &'a [u8],
    pub summary: MapsSummary,
}

/// Counts, checks the order of, and validates every line.
pub(crate) fn summarize(text: &[u8]) -> MapsSummary {
    let mut s = MapsSummary { sorted: true, ..MapsSummary::default() };
    let mut last_end = 0;
    for line in lines(text) {
        match line {
            Some(l) => {
                s.sorted &= l.start >= last_end;
                last_end = l.end;
                s.lines += 1;
            }
            None => s.bad += 1,
        }
    }
    s
}

/// Parses every well-formed line; returns how many lines were skipped.
#[cfg(test)]
pub(crate) fn parse_maps(text: &[u8]) -> (Vec<MapsLine<'_>>, usize) {
    let mut out = Vec::new();
    let mut bad = 0;
    for line in lines(text) {
        match line {
            Some(l) => out.push(l),
            None => bad += 1,
        }
    }
    (out, bad)
}

fn parse_line(line: &str) -> Option<MapsLine<'_>> {
    // start-end perms offset dev inode [path]; the path may contain spaces.
    let mut fields = line.splitn(6, ' ');
    let range = fields.next()?;
    let perms = fields.next()?.as_bytes();
    let offset = u64::from_str_radix(fields.next()?, 16).ok()?;
    let _dev = fields.next()?;
    let inode = fields.next()?.parse().ok()?;
    let path = Cow::Borrowed(fields.next().unwrap_or("").trim());
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
