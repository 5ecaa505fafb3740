//! The modules panel and the module sections behind it.
//!
//! `AddressSpace::module_sections` on the demo dump (every module's header page
//! is captured, with section tables matching its MemoryInfoList), on synthetic
//! dumps whose headers are missing, cut short or hostile, and on the corpus
//! (never a panic). The UI functions of `ui::modules` driven by egui_kittest
//! without a renderer: the table lists every module, filters, sorts by a
//! header click and reports a clicked row; the details show versions and
//! timestamps, and a click on a section selects an address inside that module.

use crate::common;

use std::collections::BTreeMap;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use memscape::dump::{AddressSpace, Owner, Protection, RegionKind, Section, SectionsError};
use memscape::ui::modules::{
    ModuleAction, ModuleColumn, ModulesTableState, module_details_ui, modules_table_ui, unloaded_table_ui,
};

use common::open_synth;
use common::synth::{Flavour, memory_info_dump, with_bytes, with_module};

fn demo() -> AddressSpace {
    memscape::demo::open_demo().expect("the demo dump opens")
}

fn module_index(space: &AddressSpace, name: &str) -> usize {
    space.modules.iter().position(|m| m.name == name).unwrap_or_else(|| panic!("no module {name}"))
}

/// Whether a section's protection (what the loader asks for) agrees with a
/// page's current protection: copy-on-write pages turn read-write once written.
fn protection_agrees(section: Protection, page: Protection) -> bool {
    match section.0 {
        Protection::WRITECOPY => matches!(page.0, Protection::WRITECOPY | Protection::READWRITE),
        Protection::EXECUTE_WRITECOPY => {
            matches!(page.0, Protection::EXECUTE_WRITECOPY | Protection::EXECUTE_READWRITE)
        }
        p => p == page.0,
    }
}

// ---------------------------------------------------------------- sections

#[test]
fn every_demo_module_has_sections_inside_it_that_agree_with_the_memory_info() {
    let space = demo();
    assert!(!space.modules.is_empty());
    for (i, m) in space.modules.iter().enumerate() {
        let sections = space.module_sections(i).unwrap_or_else(|e| panic!("{}: {e}", m.name));
        assert!(!sections.is_empty(), "{}: no sections", m.name);
        for s in &sections {
            assert!(s.size_bytes > 0 && s.base_addr % 0x1000 == 0, "{}: {s:?}", m.name);
            assert!(s.base_addr >= m.base_addr + 0x1000, "{} {}: overlaps the header page", m.name, s.name);
            assert!(s.end_addr() <= m.end_addr(), "{} {}: runs past the module", m.name, s.name);
            // Every region the section spans is part of this image and mapped
            // the way the section table asks.
            let mut addr = s.base_addr;
            while addr < s.end_addr() {
                let r =
                    space.region_at(addr).unwrap_or_else(|| panic!("{} {}: no region at {addr:#x}", m.name, s.name));
                assert_eq!(r.kind, RegionKind::Image, "{} {} at {addr:#x}", m.name, s.name);
                assert_eq!(r.owner, Owner::module(i), "{} {} at {addr:#x}", m.name, s.name);
                assert!(
                    protection_agrees(s.protect, r.protect),
                    "{} {} at {addr:#x}: section says {}, the page is {}",
                    m.name,
                    s.name,
                    s.protect,
                    r.protect
                );
                addr = r.end_addr();
            }
        }
        let text = sections.iter().find(|s| s.name == ".text").unwrap_or_else(|| panic!("{}: no .text", m.name));
        assert_eq!(text.protect.to_string(), "PAGE_EXECUTE_READ", "{}", m.name);
        assert_eq!(text.characteristics & 0x2000_0000, 0x2000_0000, "{}: .text not executable", m.name);
    }
}

#[test]
fn a_module_without_a_captured_header_is_not_captured() {
    let space = open_synth("sections-missing", memory_info_dump(Flavour::Amd64Win10));
    assert_eq!(space.modules.len(), 1);
    assert_eq!(space.module_sections(0), Err(SectionsError::NotCaptured));
    assert_eq!(space.module_sections(7), Err(SectionsError::NoSuchModule(7)));
}

/// A PE32+ header page for a module at 0x400000 of 0x3000 bytes: .text at
/// 0x1000 (code), .data at 0x2000 (data), as memory_info_dump's entries map them.
fn header_page() -> Vec<u8> {
    let mut p = vec![0u8; 0x1000];
    let mut put = |at: usize, bytes: &[u8]| p[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, b"MZ");
    put(0x3C, &0xF0u32.to_le_bytes());
    put(0xF0, b"PE\0\0");
    let fh = 0xF4;
    put(fh, &0x8664u16.to_le_bytes());
    put(fh + 2, &2u16.to_le_bytes());
    put(fh + 16, &0xF0u16.to_le_bytes());
    let oh = fh + 20;
    put(oh, &0x20Bu16.to_le_bytes());
    put(oh + 56, &0x3000u32.to_le_bytes());
    put(oh + 108, &16u32.to_le_bytes());
    let table = oh + 0xF0;
    for (i, (name, rva, characteristics)) in
        [(".text", 0x1000u32, 0x6000_0020u32), (".data", 0x2000, 0xC000_0040)].into_iter().enumerate()
    {
        let at = table + i * 40;
        put(at, name.as_bytes());
        put(at + 8, &0xE00u32.to_le_bytes());
        put(at + 12, &rva.to_le_bytes());
        put(at + 36, &characteristics.to_le_bytes());
    }
    p
}

#[test]
fn a_captured_header_gives_sections_matching_the_memory_info() {
    let space = open_synth("sections-ok", with_bytes(memory_info_dump(Flavour::Amd64Win10), 0x40_0000, &header_page()));
    let sections = space.module_sections(0).expect("sections parse");
    let got: Vec<_> = sections.iter().map(|s| (s.name.as_str(), s.base_addr, s.size_bytes, s.protect.0)).collect();
    assert_eq!(
        got,
        vec![
            (".text", 0x40_1000, 0x1000, Protection::EXECUTE_READ),
            (".data", 0x40_2000, 0x1000, Protection::WRITECOPY)
        ]
    );
    for s in &sections {
        let r = space.region_at(s.base_addr).expect("a region");
        assert!(protection_agrees(s.protect, r.protect), "{}: {} vs {}", s.name, s.protect, r.protect);
    }
}

#[test]
fn a_header_captured_in_part_is_not_captured() {
    let page = header_page();
    let space =
        open_synth("sections-part", with_bytes(memory_info_dump(Flavour::Amd64Win10), 0x40_0000, &page[..0x180]));
    assert_eq!(space.module_sections(0), Err(SectionsError::NotCaptured));
}

#[test]
fn hostile_headers_are_malformed_not_a_panic() {
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut p = header_page();
    p[0xF6..0xF8].copy_from_slice(&0xFFFFu16.to_le_bytes());
    cases.push(("absurd NumberOfSections", p));
    let mut p = header_page();
    p[0x3C..0x40].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
    cases.push(("e_lfanew far past the page", p));
    let mut p = header_page();
    p[0x3C..0x40].copy_from_slice(&0xFF8u32.to_le_bytes());
    cases.push(("NT headers straddling the page end", p));
    let mut p = header_page();
    p[0x104..0x106].copy_from_slice(&0xFFF0u16.to_le_bytes());
    cases.push(("SizeOfOptionalHeader past the page", p));
    let mut p = header_page();
    p[0xF0..0xF4].copy_from_slice(b"NE\0\0");
    cases.push(("no PE signature", p));
    let mut p = header_page();
    p[0x108..0x10A].copy_from_slice(&0x1234u16.to_le_bytes());
    cases.push(("unknown optional header magic", p));
    let mut p = header_page();
    let text = 0xF4 + 20 + 0xF0;
    p[text + 8..text + 12].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
    p[text + 12..text + 16].copy_from_slice(&0xFFFF_F000u32.to_le_bytes());
    cases.push(("a section far outside the image", p));
    cases.push(("random bytes", (0..0x1000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect()));

    for (what, page) in cases {
        let space = open_synth("sections-hostile", with_bytes(memory_info_dump(Flavour::Amd64Win10), 0x40_0000, &page));
        match space.module_sections(0) {
            Err(SectionsError::Malformed(reason)) => assert!(!reason.is_empty(), "{what}"),
            other => panic!("{what}: expected Malformed, got {other:?}"),
        }
    }
}

/// What reading each module's headers gives, per dump: (dump, modules whose
/// sections were read, modules whose headers the dump does not hold). Pinned
/// so that a change in what the reader accepts shows here. None of the
/// corpus dumps captures module header pages (minidumps rarely do); the demo
/// dump captures them for every module.
const SECTION_OUTCOMES: [(&str, usize, usize); 15] = [
    ("linux-x64-breakpad-null-deref.dmp", 0, 8),
    ("linux-x64-electron-breakpad-maps.dmp", 0, 187),
    ("linux-x86-breakpad-i386-maps.dmp", 0, 10),
    ("macos-arm64-crashpad.dmp", 0, 332),
    ("macos-x64-electron-crashpad.dmp", 0, 217),
    ("win-x64-beefide-custom-stream.dmp", 0, 31),
    ("win-x64-bo4server-dbghelp-meminfo-threadinfo-handles.dmp", 0, 39),
    ("win-x64-electron29-crashpad-meminfo.dmp", 0, 42),
    ("win-x64-gallipoli-187-threads.dmp", 0, 143),
    ("win-x64-unity-ksp-7934-ranges.dmp", 0, 91),
    ("win-x64-win10-sigsegv-small.dmp", 0, 4),
    ("win-x86-breakpad-test-av.dmp", 0, 13),
    ("win-x86-vs2013-fizzbuzz-threadinfo.dmp", 0, 6),
    ("win-x86-winxp-origin-av.dmp", 0, 146),
    ("win-x86-wow64-redfaction-av.dmp", 0, 97),
];

/// Reads every module's sections: (read, not captured); any other outcome
/// fails, and every section read lies inside its module.
fn section_outcomes(space: &AddressSpace, what: &str) -> (usize, usize) {
    let (mut read, mut missing) = (0, 0);
    for (i, m) in space.modules.iter().enumerate() {
        match space.module_sections(i) {
            Ok(sections) => {
                assert!(!sections.is_empty(), "{what}: {}: no sections", m.name);
                for s in &sections {
                    let end = s.base_addr.checked_add(s.size_bytes).expect("section end");
                    assert!(
                        s.base_addr >= m.base_addr && end <= m.base_addr + m.size_bytes,
                        "{what}: {} [0x{:x}, 0x{:x}) has {s:?} outside it",
                        m.name,
                        m.base_addr,
                        m.base_addr + m.size_bytes
                    );
                }
                read += 1;
            }
            Err(SectionsError::NotCaptured) => missing += 1,
            Err(e) => panic!("{what}: {}: {e}", m.name),
        }
    }
    (read, missing)
}

#[test]
fn every_module_s_sections_stay_inside_it_and_outcomes_are_pinned() {
    let demo = demo();
    assert_eq!(section_outcomes(&demo, "demo"), (demo.modules.len(), 0), "the demo captures every module's headers");
    let Some(dir) = common::corpus_dir() else { return };
    let rows = common::read_manifest(&dir);
    assert_eq!(rows.len(), SECTION_OUTCOMES.len(), "the corpus changed: pin its outcomes anew");
    for (file, read, missing) in SECTION_OUTCOMES {
        let space = AddressSpace::open(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(section_outcomes(&space, file), (read, missing), "{file}");
    }
}

// ---------------------------------------------------------------- the UI

struct TablePanel {
    space: AddressSpace,
    table: ModulesTableState,
    selected: Option<usize>,
    clicked: Option<usize>,
}

fn table_harness() -> Harness<'static, TablePanel> {
    let panel = TablePanel { space: demo(), table: ModulesTableState::default(), selected: None, clicked: None };
    Harness::builder().with_size(egui::vec2(1500.0, 1100.0)).build_ui_state(
        |ui, p: &mut TablePanel| {
            if let Some(i) = modules_table_ui(ui, &p.space, &mut p.table, p.selected, None) {
                p.clicked = Some(i);
                p.selected = Some(i);
            }
        },
        panel,
    )
}

/// The text of a node as `get_by_label` matches it (a Label keeps its text in
/// the value).
fn node_text(n: &egui_kittest::kittest::AccessKitNode<'_>) -> Option<String> {
    if n.role() == egui::accesskit::Role::Label { n.value() } else { n.label() }
}

/// The module names in the table, in the order the rows show them.
fn names_in_table(h: &Harness<'static, TablePanel>) -> Vec<String> {
    let names: std::collections::BTreeSet<String> = h.state().space.modules.iter().map(|m| m.name.clone()).collect();
    h.query_all_by(move |n| node_text(n).is_some_and(|t| names.contains(t.as_str())))
        .filter_map(|n| node_text(&n.accesskit_node()))
        .collect()
}

#[test]
fn the_table_lists_every_module() {
    let mut h = table_harness();
    h.run();
    let names = names_in_table(&h);
    let expected: Vec<String> = h.state().space.modules.iter().map(|m| m.name.clone()).collect();
    assert_eq!(names, expected, "by start address, every module once");
    h.get_by_label(&format!("{} of {} modules", expected.len(), expected.len()));
}

#[test]
fn a_filter_narrows_the_rows() {
    let mut h = table_harness();
    h.run();
    let field = h.get_by_label("Filter");
    field.focus();
    field.type_text("6.0.6002");
    h.run();
    assert_eq!(h.state().table.filter, "6.0.6002");
    let space = &h.state().space;
    let expected: Vec<String> = space
        .modules
        .iter()
        .filter(|m| {
            m.file_version.is_some_and(|v| v.to_string().contains("6.0.6002"))
                || m.product_version.is_some_and(|v| v.to_string().contains("6.0.6002"))
                || m.path.contains("6.0.6002")
        })
        .map(|m| m.name.clone())
        .collect();
    assert!(expected.len() >= 3 && expected.len() < space.modules.len(), "{expected:?}");
    assert!(expected.iter().any(|n| n == "ntdll.dll"));
    assert_eq!(names_in_table(&h), expected);
    // Case-insensitive on names.
    let field = h.get_by_label("Filter");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Filter").type_text("NTDLL");
    h.run();
    assert_eq!(names_in_table(&h), vec!["ntdll.dll".to_string()]);
}

#[test]
fn clicking_the_size_header_sorts_by_size_and_again_reverses() {
    let mut h = table_harness();
    h.run();
    h.get_by_label("Size").click();
    h.run();
    assert_eq!(h.state().table.sort, (ModuleColumn::Size, true));
    let mut by_size: Vec<(u64, u64, String)> =
        h.state().space.modules.iter().map(|m| (m.size_bytes, m.base_addr, m.name.clone())).collect();
    by_size.sort();
    let ascending: Vec<String> = by_size.iter().map(|(_, _, n)| n.clone()).collect();
    assert_eq!(names_in_table(&h), ascending);

    h.get_by_label("Size").click();
    h.run();
    assert_eq!(h.state().table.sort, (ModuleColumn::Size, false));
    by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let descending: Vec<String> = by_size.iter().map(|(_, _, n)| n.clone()).collect();
    assert_eq!(names_in_table(&h), descending);
}

#[test]
fn clicking_a_row_returns_its_module() {
    let mut h = table_harness();
    h.run();
    h.get_by_label("ntdll.dll").click();
    h.run();
    let ntdll = module_index(&h.state().space, "ntdll.dll");
    assert_eq!(h.state().clicked, Some(ntdll));
    h.get_by_label("kernel32.dll").click();
    h.run();
    assert_eq!(h.state().clicked, Some(module_index(&h.state().space, "kernel32.dll")));
}

#[test]
fn a_thousand_modules_are_virtualized_and_the_selection_is_scrolled_to() {
    let mut dump = memory_info_dump(Flavour::Amd64Win10);
    for i in 0..1000u64 {
        dump = with_module(dump, 0x1_0000_0000 + i * 0x1_0000, 0x1_0000, &format!("C:\\many\\mod{i:04}.dll"));
    }
    let space = open_synth("many-modules", dump);
    assert_eq!(space.modules.len(), 1001);
    let last = module_index(&space, "mod0999.dll");
    let panel = TablePanel { space, table: ModulesTableState::default(), selected: None, clicked: None };
    let mut h = Harness::builder().with_size(egui::vec2(1400.0, 700.0)).build_ui_state(
        |ui, p: &mut TablePanel| {
            if let Some(i) = modules_table_ui(ui, &p.space, &mut p.table, p.selected, None) {
                p.clicked = Some(i);
            }
        },
        panel,
    );
    h.run();
    let shown = names_in_table(&h);
    assert!(!shown.is_empty() && shown.len() < 60, "{} rows laid out", shown.len());
    assert!(h.query_by_label("mod0999.dll").is_none());
    // Selecting the last module elsewhere scrolls the table to it.
    h.state_mut().selected = Some(last);
    h.run();
    h.get_by_label("mod0999.dll").click();
    h.run();
    assert_eq!(h.state().clicked, Some(last));
}

#[test]
fn the_unloaded_table_lists_the_unloaded_modules() {
    let space = demo();
    assert!(!space.unloaded_modules.is_empty());
    let names: Vec<String> = space.unloaded_modules.iter().map(|u| u.name.clone()).collect();
    let state = (space, ModulesTableState::default(), None::<usize>);
    let mut h = Harness::builder().with_size(egui::vec2(1200.0, 400.0)).build_ui_state(
        |ui, s: &mut (AddressSpace, ModulesTableState, Option<usize>)| {
            if let Some(i) = unloaded_table_ui(ui, &s.0, &mut s.1) {
                s.2 = Some(i);
            }
        },
        state,
    );
    h.run();
    for n in &names {
        h.get_by_label(n);
    }
    h.get_by_label(&names[0]).click();
    h.run();
    assert_eq!(h.state().2, Some(0));
}

struct DetailsPanel {
    space: AddressSpace,
    module: usize,
    cache: BTreeMap<usize, Result<Vec<Section>, String>>,
    actions: Vec<ModuleAction>,
}

fn details_harness(name: &str) -> Harness<'static, DetailsPanel> {
    let space = demo();
    let module = module_index(&space, name);
    let panel = DetailsPanel { space, module, cache: BTreeMap::new(), actions: Vec::new() };
    Harness::builder().with_size(egui::vec2(520.0, 900.0)).build_ui_state(
        |ui, p: &mut DetailsPanel| {
            let action = module_details_ui(ui, &p.space, p.module, &mut p.cache, None);
            if action != ModuleAction::None {
                p.actions.push(action);
            }
        },
        panel,
    )
}

#[test]
fn details_show_versions_timestamp_and_debug_identity() {
    let mut h = details_harness("ntdll.dll");
    h.run();
    assert!(h.query_all_by_label("6.0.6002.18446").count() >= 1, "file version");
    h.get_by_label_contains("2011-05-13");
    h.get_by_label_contains("0x4dcd9861");
    h.get_by_label("ntdll.pdb");
    h.get_by_label("no"); // not among the unloaded modules
    assert!(h.state().actions.is_empty());
    // The long path wraps inside the 520 px panel instead of widening it.
    let path = h.state().space.modules[h.state().module].path.clone();
    let node = h.get_by_label(&path);
    assert!(node.rect().right() <= 520.0, "the path label ends at {}", node.rect().right());
}

#[test]
fn clicking_a_section_selects_its_base_inside_the_module() {
    let mut h = details_harness("ntdll.dll");
    h.run();
    let (ntdll, text) = {
        let p = h.state();
        let sections = p.cache.get(&p.module).expect("sections cached").clone().expect("sections parse");
        (p.module, sections.into_iter().find(|s| s.name == ".text").expect(".text"))
    };
    h.get_by_label("PAGE_EXECUTE_READ");
    h.get_by_label(".text").click();
    h.run();
    assert_eq!(h.state().actions, vec![ModuleAction::SelectAddress(text.base_addr)]);
    let r = h.state().space.region_at(text.base_addr).expect("a region at .text");
    assert_eq!(r.kind, RegionKind::Image);
    assert_eq!(r.owner, Owner::module(ntdll));

    h.get_by_label("Select on map").click();
    h.run();
    let base = h.state().space.modules[ntdll].base_addr;
    assert_eq!(h.state().actions.last(), Some(&ModuleAction::SelectAddress(base)));
}

#[test]
fn every_demo_module_shows_its_details_and_sections() {
    let space = demo();
    let count = space.modules.len();
    let panel = DetailsPanel { space, module: 0, cache: BTreeMap::new(), actions: Vec::new() };
    let mut h = Harness::builder().with_size(egui::vec2(520.0, 900.0)).build_ui_state(
        |ui, p: &mut DetailsPanel| {
            module_details_ui(ui, &p.space, p.module, &mut p.cache, None);
        },
        panel,
    );
    for i in 0..count {
        h.state_mut().module = i;
        h.run();
        h.get_by_label(".text");
        // Long paths (GAC and NativeImages ones run past 150 characters) wrap.
        let path = h.state().space.modules[i].path.clone();
        let right = h.get_by_label(&path).rect().right();
        assert!(right <= 520.0, "{path}: the label ends at {right}");
    }
    assert_eq!(h.state().cache.len(), count);
    assert!(h.state().cache.values().all(|s| s.is_ok()));
}

/// The Symbols column, from a real walk of the demo with its own Breakpad
/// symbols: the modules on the stacks whose `.sym` files exist say so (with
/// the file on hover), the others say "no symbols", and the column sorts.
#[test]
fn the_symbols_column_says_what_a_walk_found() {
    let space = demo();
    let dir = memscape::demo::demo_symbol_dir().expect("the demo's symbols");
    let walk = memscape::dump::walk_stacks(&space, &memscape::dump::WalkOptions::with_dirs(vec![dir]), &|_, _| {})
        .expect("walk");
    let ntdll = space.modules.iter().position(|m| m.name == "ntdll.dll").expect("ntdll");
    assert_eq!(walk.symbols[ntdll].summary(), "breakpad symbols", "{:#?}", walk.symbols[ntdll]);
    let found = walk.symbols.iter().filter(|s| s.summary() == "breakpad symbols").count();
    let missing = walk.symbols.iter().filter(|s| s.summary() == "no symbols").count();
    assert!(found >= 3 && missing >= 1 && found + missing == space.modules.len(), "{found} {missing}");

    struct P {
        space: AddressSpace,
        table: ModulesTableState,
        symbols: Vec<memscape::dump::symbols::ModuleSymbols>,
    }
    let mut h = Harness::builder().with_size(egui::vec2(1500.0, 1100.0)).build_ui_state(
        |ui, p: &mut P| {
            modules_table_ui(ui, &p.space, &mut p.table, None, Some(&p.symbols));
        },
        P { space, table: ModulesTableState::default(), symbols: walk.symbols.clone() },
    );
    h.run();
    assert_eq!(h.query_all_by_label("breakpad symbols").count(), found);
    assert_eq!(h.query_all_by_label("no symbols").count(), missing);
    h.state_mut().table.click_header(ModuleColumn::Symbols);
    let rows = h.state().table.module_rows(&h.state().space, Some(&h.state().symbols));
    let summaries: Vec<&str> = rows.iter().map(|&i| walk.symbols[i].summary()).collect();
    assert!(summaries.windows(2).all(|w| w[0] <= w[1]), "sorted by symbols: {summaries:?}");
}
