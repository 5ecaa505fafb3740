//! The window's Memory tab (ui/hex_view.rs) driven by egui_kittest on the
//! demo dump, against bytes the test reads itself with `read_memory`:
//! - the tab (opened by its name) shows the bytes the dump holds and `??`
//!   where it holds none, from the first region (address 0) on;
//! - the largest free region (8 TiB, ~5e11 rows) jumps to its end at once
//!   from the Go to box, the paging keys and the scrollbar, never past it;
//! - Go to an address in another region selects that region and puts the
//!   address's row on top; bad input says why;
//! - dps rows: a pointer into a heap is a link (so is the inspector's, once a
//!   click puts the cursor on the row) that selects the heap's region.
//!
//! tests/memory_cli.rs has the first Memory tab test (Show bytes, Go to on the
//! stack, the `??` colour on pixels, pointers named from the walk's symbols).

use crate::common;
use crate::gui::{harness, step_until};

use common::kittest::click_at;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use memscape::app::{DumpSource, MemscapeApp};
use memscape::dump::{AddressSpace, RegionKind};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

/// The start of a db row as the Memory tab writes it: address, then 16 bytes
/// in hex (`??` where not held), a dash after the eighth.
fn db_row(space: &AddressSpace, at: u64) -> String {
    let bits = space.system.pointer_bits;
    let (mut b, mut h) = ([0u8; 16], [false; 16]);
    space.read_memory(at, &mut b, &mut h);
    let hexes: Vec<String> = (0..16).map(|k| if h[k] { format!("{:02x}", b[k]) } else { "??".to_string() }).collect();
    format!("{}  {}-{}", memscape::format::windbg_addr(at, bits), hexes[..8].join(" "), hexes[8..].join(" "))
}

/// The window on the demo dump with region `index` selected and the Memory tab open (by its tab).
fn memory_tab(index: usize) -> Harness<'static, MemscapeApp> {
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    h.state_mut().select_region(index);
    h.run_steps(2);
    h.get_by_label("Memory").click();
    h.run_steps(3);
    h
}

/// Types `text` into the Go to box and presses Enter.
fn go_to(h: &mut Harness<'static, MemscapeApp>, text: &str) {
    h.get_by_role_and_label(Role::TextInput, "Go to").focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "Go to").type_text(text);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
}

/// Presses `key` with the pointer over the rows (the paging keys act only there).
fn key_over_rows(h: &mut Harness<'static, MemscapeApp>, row_label: &str, key: egui::Key) {
    let at = h.get_by_label_contains(row_label).rect().center();
    h.hover_at(at);
    h.step();
    h.key_press(key);
    h.run_steps(2);
}

#[test]
fn the_memory_tab_shows_the_bytes_read_and_question_marks_from_address_0_on() {
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let sp = space.crashed_thread().unwrap().sp.unwrap();
    let stack = space.region_index_at(sp).unwrap();
    let base = space.regions[stack].base_addr;
    let mut h = memory_tab(stack);
    // The first row is the stack's base, as read here; its bottom is not in the dump.
    let unheld = db_row(&space, base);
    assert!(unheld.contains("?? ?? ??"), "{unheld}");
    h.get_by_label_contains(&unheld);
    // The row at the stack pointer is held, and equal to the bytes read here.
    go_to(&mut h, &format!("{sp:x}"));
    let held_row = db_row(&space, sp - sp % 16);
    assert!(!held_row.contains("??"), "{held_row}");
    h.get_by_label_contains(&held_row);
    assert_eq!(h.state().selected(), Some(stack));

    // The first region starts at address 0 (Free): its rows are ??, and reading them does not overflow.
    assert_eq!(space.regions[0].base_addr, 0);
    assert_eq!(space.regions[0].kind, RegionKind::Free);
    h.state_mut().select_region(0);
    h.run_steps(3);
    h.get_by_label_contains(&db_row(&space, 0));
    assert!(db_row(&space, 0).contains("?? ?? ??"));
}

#[test]
fn the_largest_free_region_jumps_to_its_end_at_once_and_never_past_it() {
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let free = (0..space.regions.len()).max_by_key(|&i| space.regions[i].size_bytes).unwrap();
    let (base, end) = (space.regions[free].base_addr, space.regions[free].end_addr());
    assert_eq!(space.regions[free].kind, RegionKind::Free);
    assert!(end - base >= 1 << 40, "the demo's largest free region is {} bytes", end - base);
    let (first, last) = (db_row(&space, base), db_row(&space, end - 16));
    let mut h = memory_tab(free);
    h.get_by_label_contains(&first);

    // Go to its last 16 bytes: the row is there two frames later.
    go_to(&mut h, &format!("{:x}", end - 16));
    h.get_by_label_contains(&last);
    // Home, End, PageDown past the end, PageUp past the start: the ends, never beyond.
    key_over_rows(&mut h, &last, egui::Key::Home);
    h.get_by_label_contains(&first);
    key_over_rows(&mut h, &first, egui::Key::PageUp);
    h.get_by_label_contains(&first);
    key_over_rows(&mut h, &first, egui::Key::End);
    h.get_by_label_contains(&last);
    assert!(h.query_by_label_contains(&db_row(&space, end)).is_none(), "a row past the region's end");
    for _ in 0..3 {
        key_over_rows(&mut h, &last, egui::Key::PageDown);
        h.get_by_label_contains(&last);
    }
    key_over_rows(&mut h, &last, egui::Key::PageUp);
    assert!(h.query_by_label_contains(&last).is_none(), "PageUp did not move up");

    // The scrollbar: a press at its top shows the first row, at its bottom the last.
    let bar = h.get_by_label("Scroll the rows").rect();
    click_at(&mut h, egui::pos2(bar.center().x, bar.min.y + 1.0));
    h.get_by_label_contains(&first);
    click_at(&mut h, egui::pos2(bar.center().x, bar.max.y - 1.0));
    h.get_by_label_contains(&last);
    // Halfway down: a row near the middle of 8 TiB, not the ends.
    click_at(&mut h, bar.center());
    assert!(h.query_by_label_contains(&first).is_none() && h.query_by_label_contains(&last).is_none());
    // (The thumb's middle under the pointer: the top row is within a screenful of the middle.)
    let mid = base + (end - base) / 2;
    let bits = space.system.pointer_bits;
    let shown = (0..128u64)
        .map(|k| mid - 64 * 16 + k * 16)
        .any(|at| h.query_by_label_contains(&format!("{}  ", memscape::format::windbg_addr(at, bits))).is_some());
    assert!(shown, "no row within 1 KiB of the middle of the region after a press at the bar's middle");

    // Bad input: outside the address space, not hex.
    go_to(&mut h, "ffffffffffffffff");
    h.get_by_label_contains("is outside the address space");
    go_to(&mut h, "zz");
    h.get_by_label_contains("is not a hex address");
    assert_eq!(h.state().selected(), Some(free));
}

#[test]
fn go_to_an_address_in_another_region_selects_it_with_that_row_on_top() {
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let sp = space.crashed_thread().unwrap().sp.unwrap();
    let stack = space.region_index_at(sp).unwrap();
    // Deep inside the largest module's image: far from its region's first rows.
    let m = space.modules.iter().max_by_key(|m| m.size_bytes).unwrap();
    let target = m.base_addr + m.size_bytes / 2 + 0x28;
    let region = space.region_index_at(target).unwrap();
    assert_ne!(region, stack);
    assert!(target - space.regions[region].base_addr > 0x1000, "the address is near its region's start");
    let mut h = memory_tab(stack);
    go_to(&mut h, &format!("{target:x}"));
    h.run_steps(1);
    assert_eq!(h.state().selected(), Some(region));
    let row = target - target % 16;
    h.get_by_label_contains(&db_row(&space, row));
    // On top: the row above it is not shown.
    assert!(h.query_by_label_contains(&db_row(&space, row - 16)).is_none(), "the address's row is not on top");
    // The inspector is on the address.
    h.get_by_label(&format!("At {}", memscape::format::hex(target)));
}

#[test]
fn a_dps_row_pointing_into_a_heap_links_to_the_heap() {
    if !common::gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let sp = space.crashed_thread().unwrap().sp.unwrap();
    let stack = space.region_index_at(sp).unwrap();
    let stack_end = space.regions[stack].end_addr();
    // The first word from SP up whose value lies in a heap, read here.
    let (word, value, text) = (sp..stack_end)
        .step_by(8)
        .find_map(|at| {
            let (mut b, mut held) = ([0u8; 8], [false; 8]);
            space.read_memory(at, &mut b, &mut held);
            let v = u64::from_le_bytes(b);
            let r = space.region_at(v).filter(|_| held.iter().all(|h| *h))?;
            (r.kind == RegionKind::Heap && space.module_at(v).is_none())
                .then(|| (at, v, format!("{} {}", r.kind, r.label)))
        })
        .expect("a pointer into a heap on the crashed thread's stack");
    let heap = space.region_index_at(value).unwrap();
    assert_ne!(heap, stack);
    let mut h = memory_tab(stack);
    h.get_by_label("dps").click();
    h.run_steps(2);
    // The word's row second from the top (the Go to puts the cursor on the row above it).
    assert!(word - 8 >= sp);
    go_to(&mut h, &format!("{:x}", word - 8));
    h.get_by_label(&format!("At {}", memscape::format::hex(word - 8)));
    // The row: address, value, and the link.
    let bits = space.system.pointer_bits;
    let w = memscape::format::windbg_addr(word, bits);
    let v = memscape::format::windbg_addr(value, bits);
    let row = h.get_by_label_contains(&format!("{w}  {v}")).rect();
    assert!(h.get_all_by_label(&text).count() >= 1, "no link {text:?}");
    // A click on the row's address puts the cursor there: the inspector links the same target.
    click_at(&mut h, egui::pos2(row.min.x + 20.0, row.center().y));
    h.get_by_label(&format!("At {}", memscape::format::hex(word)));
    let links: Vec<egui::Rect> = h.get_all_by_label(&text).map(|n| n.rect()).collect();
    assert!(links.len() >= 2, "the inspector does not link the pointer: {links:?}");
    // The row's link (the one on the row's line) selects the heap.
    let link = links.iter().find(|r| (r.center().y - row.center().y).abs() < 2.0).expect("the row's link");
    click_at(&mut h, link.center());
    assert_eq!(h.state().selected(), Some(heap), "{text}");
}
