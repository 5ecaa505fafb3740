//! `--timings`: the wall time of each phase of a headless command (open,
//! model, analysis, layout, render, encode, output) and the peak resident
//! memory, printed on stderr when the command ends. Off, it records nothing.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::dump::{AddressSpace, DumpError, LoadProgress};

/// The phases of one command, in the order they ran.
pub struct Timings {
    enabled: bool,
    start: Instant,
    phases: Vec<Phase>,
}

struct Phase {
    name: &'static str,
    took: Duration,
    /// Finer steps of the phase (the dump reader's), printed after it.
    detail: Vec<(&'static str, Duration)>,
    /// The peak resident memory when the phase ended: where the memory went.
    peak_after: Option<u64>,
}

impl Timings {
    pub fn new(enabled: bool) -> Timings {
        Timings { enabled, start: Instant::now(), phases: Vec::new() }
    }

    /// Records nothing.
    pub fn off() -> Timings {
        Timings::new(false)
    }

    /// Runs `f` as phase `name`.
    pub fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        if !self.enabled {
            return f();
        }
        let t = Instant::now();
        let out = f();
        self.add(name, t.elapsed(), Vec::new());
        out
    }

    /// Opens a dump as two phases: "open" (mapping it and reading its
    /// streams) and "model" (building the region map), each with the
    /// reader's own steps.
    pub fn open(&mut self, path: &std::path::Path) -> Result<AddressSpace, DumpError> {
        if !self.enabled {
            return AddressSpace::open(path);
        }
        let progress = LoadProgress::new();
        let t = Instant::now();
        let space = AddressSpace::open_with_progress(path, &progress)?;
        let total = t.elapsed();
        let steps = progress.phase_durations();
        // The last reader step builds the model; everything before it reads the file.
        let (model_steps, open_steps) = match steps.split_last() {
            Some((last, rest)) => (vec![*last], rest.to_vec()),
            None => (Vec::new(), Vec::new()),
        };
        let model: Duration = model_steps.iter().map(|s| s.1).sum();
        self.add("open", total.saturating_sub(model), open_steps);
        self.add("model", model, Vec::new());
        Ok(space)
    }

    /// Records phase `name` as having taken `took` (for work timed by hand,
    /// such as a render whose result is needed in the middle of it).
    pub fn record(&mut self, name: &'static str, took: Duration) {
        if self.enabled {
            self.add(name, took, Vec::new());
        }
    }

    fn add(&mut self, name: &'static str, took: Duration, detail: Vec<(&'static str, Duration)>) {
        let peak_after = peak_rss_bytes();
        match self.phases.iter_mut().find(|p| p.name == name) {
            // A phase run twice (two renders) adds up.
            Some(p) => {
                p.took += took;
                p.detail.extend(detail);
                p.peak_after = peak_after;
            }
            None => self.phases.push(Phase { name, took, detail, peak_after }),
        }
    }

    /// Prints the table (when enabled): one line per phase, the total and
    /// the peak resident memory.
    pub fn report(&self, err: &mut dyn Write) -> std::io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        for p in &self.phases {
            match p.peak_after {
                Some(b) => {
                    writeln!(err, "timings: {:<10} {:>10}   (peak RSS {:.1} MiB after)", p.name, ms(p.took), mib(b))?
                }
                None => writeln!(err, "timings: {:<10} {:>10}", p.name, ms(p.took))?,
            }
            for (step, took) in &p.detail {
                writeln!(err, "timings:   {:<28} {:>10}", step, ms(*took))?;
            }
        }
        writeln!(err, "timings: {:<10} {:>10}", "total", ms(self.start.elapsed()))?;
        match peak_rss_bytes() {
            Some(b) => writeln!(err, "timings: {:<10} {:>10.1} MiB", "peak RSS", mib(b))?,
            None => writeln!(err, "timings: {:<10} {:>10}", "peak RSS", "unknown")?,
        }
        Ok(())
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The process's peak resident set size (Linux: VmHWM in /proc/self/status).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_add_up_and_print_in_order() {
        let mut t = Timings::new(true);
        t.time("layout", || std::thread::sleep(Duration::from_millis(2)));
        t.time("render", || ());
        t.time("layout", || std::thread::sleep(Duration::from_millis(2)));
        let mut out = Vec::new();
        t.report(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let names: Vec<&str> = text.lines().map(|l| l.split_whitespace().nth(1).unwrap()).collect();
        assert_eq!(names, ["layout", "render", "total", "peak"]);
        assert!(t.phases[0].took >= Duration::from_millis(4));
        if cfg!(target_os = "linux") {
            assert!(peak_rss_bytes().unwrap() > 1 << 20);
        }
    }

    #[test]
    fn off_prints_nothing() {
        let mut t = Timings::off();
        assert_eq!(t.time("layout", || 7), 7);
        let mut out = Vec::new();
        t.report(&mut out).unwrap();
        assert!(out.is_empty());
    }
}
