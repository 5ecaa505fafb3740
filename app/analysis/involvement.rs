//! What a pattern finding involves on the map: the regions it names, its
//! modules' images and its threads' stacks, and, the other way round, the
//! findings that involve a region. The maps mark these; the details panel
//! and picture callouts list them.

use crate::analysis::patterns::Finding;
use crate::dump::{AddressSpace, Owner};

/// Region indices a finding involves: its regions, its modules' first
/// regions and its threads' stacks. For the maps' markers.
pub fn finding_regions(space: &AddressSpace, f: &Finding) -> Vec<u32> {
    let mut out: Vec<u32> = f.regions.iter().filter_map(|b| space.region_index_at(*b)).map(|i| i as u32).collect();
    for name in &f.modules {
        if let Some(m) = space.modules.iter().find(|m| &m.name == name)
            && let Some(i) = space.region_index_at(m.base_addr)
        {
            out.push(i as u32);
        }
    }
    for id in &f.threads {
        if let Some(t) = space.threads.iter().find(|t| t.id == *id)
            && let Some(i) = space.region_index_at(t.sp.unwrap_or(t.stack_start_addr))
        {
            out.push(i as u32);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Findings that involve region `index` (directly, through its module or its thread).
pub fn findings_for_region<'a>(space: &AddressSpace, findings: &'a [Finding], index: usize) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| finding_regions(space, f).contains(&(index as u32)) || involves(space, f, index))
        .collect()
}

fn involves(space: &AddressSpace, f: &Finding, index: usize) -> bool {
    let Some(r) = space.regions.get(index) else { return false };
    match &r.owner {
        Owner::Module(m) => space.modules.get(*m as usize).is_some_and(|m| f.modules.contains(&m.name)),
        Owner::Thread(t) => f.threads.contains(t),
        _ => f.regions.iter().any(|b| r.contains(*b)),
    }
}
