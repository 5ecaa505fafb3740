//! The search box: an address, a module name or a thread id, resolved to the
//! region to select. Reads like WinDbg input: hex by default, backticks allowed.

use crate::dump::AddressSpace;
use crate::format::parse_hex_addr;

/// What a query found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchHit {
    /// The region index, and what matched in words.
    Region(usize, String),
    NotFound(String),
}

fn thread_region(space: &AddressSpace, id: u32) -> Option<SearchHit> {
    let t = space.threads.iter().find(|t| t.id == id)?;
    let at = t.sp.unwrap_or(t.stack_start_addr);
    let i = space.region_index_at(at).or_else(|| space.region_index_at(t.teb_addr))?;
    Some(SearchHit::Region(i, format!("thread {} (0x{:x})", t.id, t.id)))
}

fn address_region(space: &AddressSpace, addr: u64) -> SearchHit {
    match space.region_index_at(addr) {
        Some(i) => SearchHit::Region(i, format!("address 0x{addr:x}")),
        None => SearchHit::NotFound(format!("0x{addr:x} is outside the user address space")),
    }
}

/// Resolves `query`: `~N`, `tid N` or `thread N` is a thread id (decimal, or
/// hex with 0x); text naming a module selects its first region; anything
/// else that reads as hex is an address.
pub fn search(space: &AddressSpace, query: &str) -> SearchHit {
    let q = query.trim();
    if q.is_empty() {
        return SearchHit::NotFound("type an address, a module name or a thread id".into());
    }
    let lower = q.to_ascii_lowercase();
    for prefix in ["~", "tid ", "thread "] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            let rest = rest.trim();
            let id = if rest.starts_with("0x") { parse_hex_addr(rest) } else { rest.parse().ok() };
            return id
                .and_then(|id| u32::try_from(id).ok())
                .and_then(|id| thread_region(space, id))
                .unwrap_or_else(|| SearchHit::NotFound(format!("no thread {rest}")));
        }
    }
    // A module by name: exact, then without extension, then prefix, then substring.
    let module = space
        .modules
        .iter()
        .position(|m| m.name.eq_ignore_ascii_case(q))
        .or_else(|| {
            space
                .modules
                .iter()
                .position(|m| m.name.rsplit_once('.').is_some_and(|(stem, _)| stem.eq_ignore_ascii_case(q)))
        })
        .or_else(|| space.modules.iter().position(|m| m.name.to_ascii_lowercase().starts_with(&lower)))
        .or_else(|| space.modules.iter().position(|m| m.name.to_ascii_lowercase().contains(&lower)));
    let looks_numeric = parse_hex_addr(q).is_some();
    if let Some(mi) = module.filter(|_| !looks_numeric || !lower.starts_with("0x")) {
        let m = &space.modules[mi];
        if let Some(i) = space.region_index_at(m.base_addr) {
            return SearchHit::Region(i, format!("module {}", m.name));
        }
    }
    // Plain decimal digits naming a thread select that thread.
    if q.chars().all(|c| c.is_ascii_digit())
        && let Ok(id) = q.parse::<u32>()
        && let Some(hit) = thread_region(space, id)
    {
        return hit;
    }
    match parse_hex_addr(q) {
        Some(addr) => address_region(space, addr),
        None => SearchHit::NotFound(format!("nothing matches \"{q}\"")),
    }
}
