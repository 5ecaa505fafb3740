//! `memscape patterns`: walks every thread's stack, runs the pattern rules
//! (analysis/patterns) and prints one block per finding, or DESIGN.md's JSON
//! array of {name, severity, confidence, summary, evidence, regions, modules,
//! threads}.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::timings::Timings;
use crate::analysis::patterns::{Finding, analyze};
use crate::dump::{AddressSpace, WalkOptions, walk_stacks};
use crate::format::hex;

#[derive(Serialize)]
pub struct FindingJson {
    pub name: &'static str,
    pub severity: &'static str,
    pub confidence: f32,
    pub summary: String,
    pub evidence: Vec<String>,
    pub regions: Vec<String>,
    pub modules: Vec<String>,
    pub threads: Vec<u32>,
}

impl From<&Finding> for FindingJson {
    fn from(f: &Finding) -> FindingJson {
        FindingJson {
            name: f.name,
            severity: f.severity.name(),
            // Two decimals: f32 noise (0.949999988) helps nobody.
            confidence: (f.confidence * 100.0).round() / 100.0,
            summary: f.summary.clone(),
            evidence: f.evidence.clone(),
            regions: f.regions.iter().map(|r| hex(*r)).collect(),
            modules: f.modules.clone(),
            threads: f.threads.clone(),
        }
    }
}

/// Walks the stacks (symbols from `opts`), analyzes and prints. The walk's
/// warnings go to stderr.
pub fn run(
    space: &AddressSpace,
    as_json: bool,
    opts: &WalkOptions,
    timings: &mut Timings,
    out: &mut dyn Write,
) -> Result<()> {
    let walked = timings.time("stackwalk", || walk_stacks(space, opts, &|_, _| {}))?;
    for w in &walked.warnings {
        eprintln!("warning: {w}");
    }
    let findings = timings.time("analysis", || analyze(space, Some(&walked)));
    timings.time("output", || write(space, &findings, as_json, out))
}

fn write(space: &AddressSpace, findings: &[Finding], as_json: bool, out: &mut dyn Write) -> Result<()> {
    if as_json {
        let json: Vec<FindingJson> = findings.iter().map(FindingJson::from).collect();
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    if findings.is_empty() {
        writeln!(out, "No patterns found.")?;
    }
    for f in findings {
        write_finding(f, space.system.pointer_bits, out)?;
    }
    Ok(())
}

/// One block: `[severity] Name (confidence 0.95)`, the summary, then the
/// evidence and related regions, modules and threads, indented.
pub fn write_finding(f: &Finding, pointer_bits: u32, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "[{}] {} (confidence {:.2})", f.severity, f.name, f.confidence)?;
    writeln!(out, "    {}", f.summary)?;
    for e in &f.evidence {
        writeln!(out, "    - {e}")?;
    }
    if !f.regions.is_empty() {
        let list: Vec<String> = f.regions.iter().map(|r| crate::format::windbg_addr(*r, pointer_bits)).collect();
        writeln!(out, "    regions: {}", list.join(" "))?;
    }
    if !f.modules.is_empty() {
        writeln!(out, "    modules: {}", f.modules.join(", "))?;
    }
    if !f.threads.is_empty() {
        let list: Vec<String> = f.threads.iter().map(|t| format!("{t} (0x{t:x})")).collect();
        writeln!(out, "    threads: {}", list.join(", "))?;
    }
    writeln!(out)?;
    Ok(())
}
