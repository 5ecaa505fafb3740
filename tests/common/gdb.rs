//! gdb as the peer for stack traces: its `thread apply all bt`, parsed.

use std::collections::BTreeMap;
use std::process::Command;

/// One frame as gdb prints it: function, and `file:line` when it has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GdbFrame {
    pub function: String,
    pub line: Option<(String, u32)>,
}

/// `gdb -batch -nx ARGS -ex "thread apply all bt"` (ARGS: `-p PID`, or an
/// executable and its core), by LWP.
pub fn backtraces(gdb: &str, args: &[&str]) -> BTreeMap<u32, Vec<GdbFrame>> {
    let out = Command::new(gdb)
        .args(["-batch", "-nx"])
        .args(args)
        .args(["-ex", "thread apply all bt"])
        .output()
        .expect("run gdb");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut traces = BTreeMap::new();
    let mut current: Option<u32> = None;
    for line in text.lines() {
        if line.starts_with("Thread ") {
            current = line.split("(LWP ").nth(1).and_then(|r| r.split(')').next()).and_then(|n| n.parse().ok());
            continue;
        }
        let (Some(tid), Some(rest)) = (current, line.strip_prefix('#')) else { continue };
        // "#1  0x000055d0 in park () at /x/symprog.c:9" or "#3  apply_discount (n=2) at ..."
        let rest = rest.split_once(' ').map(|(_, r)| r.trim_start()).unwrap_or("");
        let rest = match rest.split_once(" in ") {
            Some((addr, r)) if addr.starts_with("0x") => r,
            _ => rest,
        };
        let function = rest.split([' ', '(']).next().unwrap_or("").to_string();
        let line = rest.rsplit_once(" at ").and_then(|(_, loc)| {
            let (file, n) = loc.rsplit_once(':')?;
            Some((file.to_string(), n.trim().parse().ok()?))
        });
        traces.entry(tid).or_insert_with(Vec::new).push(GdbFrame { function, line });
    }
    assert!(!traces.is_empty(), "gdb printed no backtraces:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    traces
}

/// gdb's frames whose source file ends with `source`: (function, line).
pub fn program_frames_gdb(frames: &[GdbFrame], source: &str) -> Vec<(String, u32)> {
    frames
        .iter()
        .filter_map(|f| {
            let (file, line) = f.line.as_ref()?;
            file.ends_with(source).then(|| (f.function.clone(), *line))
        })
        .collect()
}

/// memscape's frames in `modules`: (function, line), up to `main` (gdb
/// stops there: its `backtrace past-main` is off).
pub fn program_frames(trace: &memscape::dump::StackTrace, modules: &[&str]) -> Vec<(String, u32)> {
    let past_main =
        trace.frames.iter().position(|f| f.function.as_deref() == Some("main")).map_or(usize::MAX, |i| i + 1);
    trace
        .frames
        .iter()
        .take(past_main)
        .filter(|f| f.module.as_deref().is_some_and(|m| modules.contains(&m)))
        .map(|f| (f.function.clone().unwrap_or_else(|| f.location()), f.source.clone().map_or(0, |s| s.1)))
        .collect()
}
