//! The window at a million regions, driven by egui_kittest on the same wgpu
//! renderers as eframe (lavapipe here): the time from opening the dump to
//! the first drawn map, from a view switch to the new map drawn, and from a
//! click to the selection drawn (in frames and milliseconds). A frame is
//! drawn by `Harness::render` (the paint callbacks run, the instances are
//! uploaded, the picture is read back).
//!
//! usage: cargo bench --bench window   (prints the figures; no divan table)
//!
//! The dump is issue 16's: 1,000,000 regions, 200 threads, 500 modules,
//! 64 MiB captured, generated once into Cargo's target tmp dir.

// Benchmark code: clippy.toml's allow-*-in-tests covers only #[test] functions, not the
// helpers beside them; unwrap and expect are how a test says what it expects.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use memscape::app::{DumpSource, Kept, MemscapeApp};
use memscape::huge_pages::HugePages;
use memscape::layout::{View, ViewKind};
use memscape::synth::big::{BigDumpSpec, write_big_dump};

/// The program's allocator (main.rs): the window is timed as it runs.
#[global_allocator]
static ALLOCATOR: HugePages = HugePages;

fn dump() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("memscape-bench-window-1m-200t-500m-64m.dmp");
    if !path.exists() {
        let tmp = path.with_extension("part");
        write_big_dump(&BigDumpSpec::new(1_000_000, 200, 500, 64 << 20), &tmp).expect("generating the dump");
        std::fs::rename(&tmp, &path).expect("keeping the dump");
    }
    path
}

/// When the app asked to be repainted next (its workers wake it through
/// egui's repaint requests), as eframe's event loop learns it.
#[derive(Clone)]
struct Wakeups(Arc<Mutex<Option<Instant>>>);

impl Wakeups {
    /// Hears `ctx`'s repaint requests, as eframe does; a first frame is
    /// due at once (a request made before may not have been heard).
    fn listen(ctx: &egui::Context) -> Wakeups {
        let wakeups = Wakeups(Arc::new(Mutex::new(Some(Instant::now()))));
        let heard = wakeups.clone();
        ctx.set_request_repaint_callback(move |info| {
            let at = Instant::now() + info.delay;
            let mut next = heard.0.lock().unwrap();
            *next = Some(next.map_or(at, |n| n.min(at)));
        });
        wakeups
    }

    /// Takes the request when it is due.
    fn due(&self) -> bool {
        let mut next = self.0.lock().unwrap();
        let due = next.is_some_and(|at| at <= Instant::now());
        if due {
            *next = None;
        }
        due
    }
}

/// The least time between two frames: a 60 Hz display's.
const FRAME: Duration = Duration::from_micros(16_667);

/// Steps (without drawing) until `done`, as the window runs: a frame when
/// the app asked for one (a worker woke it, or it repaints on a timer), at
/// most one per display frame, and none otherwise, so that the UI thread
/// takes no more of the two cores from a scene worker than in the window
/// (a step every 2 ms took a quarter of a second of a 1M Volume's build).
/// Then draws one frame; returns when `done` held (before that frame).
fn until_drawn(h: &mut Harness<'static, MemscapeApp>, what: &str, done: impl Fn(&MemscapeApp) -> bool) -> Instant {
    let wakeups = Wakeups::listen(&h.ctx);
    let start = Instant::now();
    let mut last_frame = start;
    while !done(h.state()) {
        assert!(start.elapsed() < Duration::from_secs(120), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
        if last_frame.elapsed() >= FRAME && wakeups.due() {
            last_frame = Instant::now();
            h.step();
        }
    }
    let ready = Instant::now();
    h.render().expect("drawing the window");
    ready
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    // As main.rs does before it opens the window.
    assert!(memscape::huge_pages::turn_on() || !cfg!(target_os = "linux"), "huge pages turned on too late");
    let path = dump();
    let start = Instant::now();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1920.0, 1080.0))
        .wgpu()
        .build_eframe(move |cc| MemscapeApp::new(cc, DumpSource::File(path), Kept::default()));
    until_drawn(&mut h, "the dump", |a| a.space().is_some());
    let loaded = start.elapsed();
    // A region sure to be on every map: the crashed thread's stack.
    let index = {
        let space = h.state().space().unwrap();
        let t = space.crashed_thread().unwrap();
        space.region_index_at(t.sp.unwrap()).unwrap()
    };
    until_drawn(&mut h, "the first map", |a| a.screen_rect_of_region(index).is_some());
    let first_map = start.elapsed();
    println!("1M regions, 1920x1080: dump loaded and a frame drawn {}, first map drawn {}", ms(loaded), ms(first_map));

    for view in [View::Flat(ViewKind::Hilbert), View::Flat(ViewKind::Treemap), View::City, View::Volume] {
        let start = Instant::now();
        h.state_mut().set_view(view);
        h.step();
        let shown = |a: &MemscapeApp| match view {
            View::Flat(_) => a.screen_rect_of_region(index).is_some(),
            _ => a.screen_pos_of_region_3d(index).is_some(),
        };
        let built = until_drawn(&mut h, view.name(), |a| shown(a) && !a.is_laying_out()) - start;
        // Built: the scene is in place, before the frame that draws it (on
        // a GPU that frame takes milliseconds; on lavapipe about as long).
        println!("switch to {}: built {}, drawn {}", view.name(), ms(built), ms(start.elapsed()));
    }
    h.state_mut().set_view(View::Flat(ViewKind::Treemap));
    until_drawn(&mut h, "the treemap again", |a| a.screen_rect_of_region(index).is_some() && !a.is_laying_out());
    let rect = h.state().screen_rect_of_region(index).unwrap();
    let start = Instant::now();
    h.hover_at(rect.center());
    h.step();
    h.drag_at(rect.center());
    h.step();
    h.drop_at(rect.center());
    let mut frames = 0;
    while h.state().selected() != Some(index) && frames < 10 {
        h.step();
        frames += 1;
    }
    h.render().expect("drawing the window");
    let selected = h.state().selected() == Some(index);
    println!(
        "click to selection drawn: {} ({} frames after the release{})",
        ms(start.elapsed()),
        frames + 1,
        if selected { "" } else { "; NOT selected" }
    );
}
