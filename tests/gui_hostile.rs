//! The window against hostile files (issue 17): a FIFO, a directory, a
//! character device, a header claiming 2^32-1 streams and a dump cut short
//! while open. Each opened through the window leaves it responsive (frames
//! keep coming) with the previous dump open and the error shown; a dump
//! truncated underneath the window keeps running and says the file changed.

use crate::common;
use crate::gui::{harness, step_until};

use std::path::PathBuf;
use std::process::Command;

use common::synth::mdmp_header;
use common::{gpu_available, scratch_path, write_scratch};
use egui_kittest::kittest::Queryable;
use memscape::app::DumpSource;

#[cfg(unix)]
#[test]
fn hostile_files_leave_the_window_and_the_dump() {
    if !gpu_available() {
        return;
    }
    let fifo = scratch_path("gui-fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    let dir = scratch_path("gui-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let mut header = mdmp_header(u32::MAX, 32);
    header.resize(4096, 0);
    let huge = write_scratch("gui-huge-dir", &header);
    let cases: [(PathBuf, &str); 4] = [
        (fifo.clone(), "a FIFO"),
        (dir.clone(), "a directory"),
        (PathBuf::from("/dev/zero"), "a character device"),
        (huge.clone(), "claims 4294967295 streams"),
    ];
    let mut h = harness(DumpSource::Demo);
    step_until(&mut h, "the demo dump", |a| a.space().is_some());
    for (path, says) in cases {
        h.state_mut().start_loading(DumpSource::File(path.clone()));
        step_until(&mut h, "the load to fail", |a| !a.is_loading());
        let err = h.state().error().unwrap_or_else(|| panic!("no error for {}", path.display())).to_string();
        assert!(err.contains(&path.display().to_string()) && err.contains(says), "{err}");
        h.get_by_label_contains("error: ");
        let space = h.state().space().expect("the demo dump was closed");
        assert!(space.modules.iter().any(|m| m.name == "WaWorkerHost.exe"));
        h.run_steps(2); // still drawing
    }
    let _ = std::fs::remove_file(fifo);
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_file(huge);
}

#[cfg(unix)]
#[test]
fn a_dump_truncated_under_the_window_is_reported() {
    if !gpu_available() {
        return;
    }
    let path = write_scratch("gui-truncated", memscape::demo::DEMO_DUMP_BYTES);
    let mut h = harness(DumpSource::File(path.clone()));
    step_until(&mut h, "the copy", |a| a.space().is_some());
    assert!(h.query_by_label_contains("changed on disk").is_none());
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(0x1_0000).unwrap();
    // The Threads tab walks every stack, reading what the file lost.
    h.get_by_label_contains("Threads (").click();
    let space = h.state().space().unwrap();
    let tail: u64 = space.captured.ranges().iter().filter(|r| r.file_offset >= 0x1_0000).map(|r| r.base_addr).sum();
    assert!(tail > 0);
    // Touch every captured byte (a slice alone reads nothing): the walk may
    // have run before the truncation (the Modules tab starts it for its
    // Symbols column), so the test reads what the file lost itself.
    let mut sum = 0u64;
    for r in space.captured.ranges() {
        if let Some(bytes) = space.captured.read(space.bytes(), r.base_addr, r.size_bytes as usize) {
            sum = bytes.iter().fold(sum, |s, b| s.wrapping_add(u64::from(*b)));
        }
    }
    std::hint::black_box(sum);
    assert!(space.file_changed(), "reading what the file lost is noticed");
    h.run_steps(4);
    h.get_by_label_contains("The dump file changed on disk while open");
    let _ = std::fs::remove_file(path);
}
