//! `memscape diff A B`: what was born, died or changed between two dumps
//! (analysis::diff). Text: bytes per kind side by side, in the spirit of
//! `!address -summary`, the modules and threads that came and went, the
//! findings across the pair, then every changed range. JSON: DESIGN.md's
//! `diff` shape.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::patterns::{FindingJson, write_finding};
use crate::analysis::diff::{Diff, Side, diff, findings};
use crate::dump::AddressSpace;
use crate::format::{hex, human_delta, human_size, windbg_addr};

#[derive(Serialize)]
struct DumpJson {
    path: String,
    process_id: Option<u32>,
    region_source: &'static str,
    region_count: usize,
}

#[derive(Serialize)]
struct SideJson {
    state: &'static str,
    #[serde(rename = "type")]
    ty: &'static str,
    protect: String,
    kind: String,
    owner: String,
}

#[derive(Serialize)]
struct RegionJson {
    base: String,
    end: String,
    size: u64,
    change: &'static str,
    a: Option<SideJson>,
    b: Option<SideJson>,
}

#[derive(Serialize)]
struct ModulesJson {
    loaded: Vec<String>,
    unloaded: Vec<String>,
    rebased: Vec<String>,
}

#[derive(Serialize)]
struct ThreadsJson {
    started: Vec<u32>,
    ended: Vec<u32>,
}

#[derive(Serialize)]
struct BytesJson {
    a: u64,
    b: u64,
    delta: i128,
}

#[derive(Serialize)]
struct DiffJson {
    a: DumpJson,
    b: DumpJson,
    regions: Vec<RegionJson>,
    modules: ModulesJson,
    threads: ThreadsJson,
    bytes_by_kind: BTreeMap<String, BytesJson>,
    findings: Vec<FindingJson>,
    warnings: Vec<String>,
}

fn side_json(s: &Side) -> SideJson {
    SideJson {
        state: s.state.name(),
        ty: s.ty.map_or("", |t| t.name()),
        protect: s.protect.to_string(),
        kind: s.kind.to_string(),
        owner: s.owner.clone(),
    }
}

fn dump_json(s: &AddressSpace) -> DumpJson {
    DumpJson {
        path: s.path.display().to_string(),
        process_id: s.process.process_id,
        region_source: s.region_source.name(),
        region_count: s.regions.len(),
    }
}

pub fn run(a: &AddressSpace, b: &AddressSpace, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let d = diff(a, b);
    let found = findings(a, b, &d);
    for w in &d.warnings {
        eprintln!("warning: {w}");
    }
    if as_json {
        let json = DiffJson {
            a: dump_json(a),
            b: dump_json(b),
            regions: d
                .regions
                .iter()
                .map(|r| RegionJson {
                    base: hex(r.base_addr),
                    end: hex(r.end_addr),
                    size: r.size_bytes(),
                    change: r.change.name(),
                    a: r.a.as_ref().map(side_json),
                    b: r.b.as_ref().map(side_json),
                })
                .collect(),
            modules: ModulesJson {
                loaded: d.modules.loaded.clone(),
                unloaded: d.modules.unloaded.clone(),
                rebased: d.modules.rebased.iter().map(|(n, _, _)| n.clone()).collect(),
            },
            threads: ThreadsJson { started: d.threads.started.clone(), ended: d.threads.ended.clone() },
            bytes_by_kind: d
                .bytes_by_kind
                .iter()
                .map(|(k, (x, y))| (k.to_string(), BytesJson { a: *x, b: *y, delta: i128::from(*y) - i128::from(*x) }))
                .collect(),
            findings: found.iter().map(FindingJson::from).collect(),
            warnings: d.warnings.clone(),
        };
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
        return Ok(());
    }
    write_text(a, b, &d, &found, out)
}

fn write_text(
    a: &AddressSpace,
    b: &AddressSpace,
    d: &Diff,
    found: &[crate::analysis::patterns::Finding],
    out: &mut dyn Write,
) -> Result<()> {
    writeln!(out, "A  {}  (pid {})", a.path.display(), a.process.process_id.map_or("?".into(), |p| p.to_string()))?;
    writeln!(out, "B  {}  (pid {})", b.path.display(), b.process.process_id.map_or("?".into(), |p| p.to_string()))?;
    writeln!(out)?;
    writeln!(out, "--- Usage Summary ------------------- A ---------------- B ------------ delta")?;
    for (kind, (x, y)) in &d.bytes_by_kind {
        if *x == 0 && *y == 0 {
            continue;
        }
        let delta = i128::from(*y) - i128::from(*x);
        writeln!(
            out,
            "{:<20} {:>18} {:>18} {:>16}",
            kind.to_string(),
            human_size(*x),
            human_size(*y),
            human_delta(delta)
        )?;
    }
    let (born, died, changed) = d.totals();
    writeln!(out)?;
    writeln!(
        out,
        "Born {} · died {} · changed {} in {} ranges",
        human_size(born),
        human_size(died),
        human_size(changed),
        d.regions.len()
    )?;
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    writeln!(out, "Modules loaded: {}", list(&d.modules.loaded))?;
    writeln!(out, "Modules unloaded: {}", list(&d.modules.unloaded))?;
    if !d.modules.rebased.is_empty() {
        let r: Vec<String> =
            d.modules.rebased.iter().map(|(n, x, y)| format!("{n} {} -> {}", hex(*x), hex(*y))).collect();
        writeln!(out, "Modules rebased: {}", r.join(", "))?;
    }
    let ids = |v: &[u32]| {
        if v.is_empty() { "none".to_string() } else { v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ") }
    };
    writeln!(out, "Threads started: {}", ids(&d.threads.started))?;
    writeln!(out, "Threads ended: {}", ids(&d.threads.ended))?;
    if !d.growth_by_owner.is_empty() {
        writeln!(
            out,
            "Largest growth: {}",
            d.growth_by_owner
                .iter()
                .take(5)
                .map(|(o, g)| format!("{o} {}", human_delta(*g)))
                .collect::<Vec<_>>()
                .join(", ")
        )?;
    }
    writeln!(out)?;
    for f in found {
        write_finding(f, b.system.pointer_bits, out)?;
    }
    let bits = b.system.pointer_bits.max(a.system.pointer_bits);
    writeln!(out, "{:<17} {:<17} {:>12}  {:<8} A -> B", "base", "end", "size", "change")?;
    for r in &d.regions {
        let show = |s: &Option<Side>| match s {
            Some(s) => s.summary(),
            None => "-".to_string(),
        };
        writeln!(
            out,
            "{} {} {:>12}  {:<8} {} -> {}",
            windbg_addr(r.base_addr, bits),
            windbg_addr(r.end_addr, bits),
            human_size(r.size_bytes()),
            r.change.name(),
            show(&r.a),
            show(&r.b)
        )?;
    }
    Ok(())
}
