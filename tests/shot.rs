//! `memscape shot`: offscreen pictures of every view, checked pixel by pixel
//! where the layout put known regions, plus the command's contract (size,
//! PNG, metadata, errors). Skipped without a GPU adapter unless
//! MEMSCAPE_REQUIRE_GPU=1.

use std::process::Command;

use memscape::cli::shot::{ShotOptions, render};
use memscape::dump::{AddressSpace, RegionKind};
use memscape::layout::ViewKind;
use memscape::ui::theme;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

fn gpu_available() -> bool {
    match memscape::render::offscreen::Gpu::headless() {
        Ok(_) => true,
        Err(e) if std::env::var("MEMSCAPE_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("MEMSCAPE_REQUIRE_GPU=1 but no GPU adapter: {e}")
        }
        Err(e) => {
            eprintln!("skipped: no GPU adapter ({e})");
            false
        }
    }
}

fn close(a: [u8; 4], b: [u8; 4]) -> bool {
    a.iter().zip(b).take(3).all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= 4)
}

#[test]
fn known_regions_have_their_colours_where_the_layout_put_them() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    for view in ViewKind::ALL {
        let shot = render(&space, &ShotOptions { view, size_px: [1200, 800], select: None }).unwrap();
        assert_eq!(shot.image.dimensions(), (1200, 800));
        // The ten largest on-screen tiles: the pixel just inside each one's
        // top-left corner has its kind's colour (labels sit in the centre).
        let mut rects: Vec<(usize, egui::Rect)> = (0..space.regions.len())
            .filter(|i| space.regions[*i].kind != RegionKind::Free)
            .filter_map(|i| shot.view.screen_rect_of(&shot.scene.layout, i as u32).map(|r| (i, r)))
            .filter(|(_, r)| r.width() >= 10.0 && r.height() >= 10.0)
            .collect();
        rects.sort_by(|a, b| b.1.area().total_cmp(&a.1.area()));
        assert!(rects.len() >= 5, "{view:?}: too few large tiles to check ({})", rects.len());
        for (i, r) in rects.iter().take(10) {
            let p = r.min + egui::vec2(3.0, 3.0);
            let got = shot.image.get_pixel(p.x as u32, p.y as u32).0;
            let want = theme::kind_color(space.regions[*i].kind).to_array();
            assert!(
                close(got, want),
                "{view:?}: region {i} ({}) at {p:?} is {got:?}, want {want:?}",
                space.regions[*i].kind
            );
        }
        // The corner of the picture is map background.
        assert!(close(shot.image.get_pixel(2, 2).0, theme::MAP_BACKGROUND.to_array()), "{view:?}: background");
    }
}

#[test]
fn the_selection_is_outlined() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let ntdll = space.modules.iter().find(|m| m.name == "ntdll.dll").unwrap().base_addr;
    let index = space.region_index_at(ntdll).unwrap();
    let opts = ShotOptions { view: ViewKind::Treemap, size_px: [1200, 800], select: Some(ntdll) };
    let shot = render(&space, &opts).unwrap();
    let r = shot.view.screen_rect_of(&shot.scene.layout, index as u32).unwrap();
    // The outline is drawn just outside the tile.
    let p = egui::pos2(r.center().x, r.min.y - 2.0);
    let got = shot.image.get_pixel(p.x as u32, p.y as u32).0;
    assert!(close(got, theme::SELECTION.to_array()), "outline pixel at {p:?} is {got:?}");
}

#[test]
fn the_command_writes_a_png_with_its_settings() {
    if !gpu_available() {
        return;
    }
    let out = std::env::temp_dir().join(format!("memscape-shot-{}.png", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
        .args(["shot", DEMO, "--view", "hilbert", "--size", "640x400", "--select", "0x7fef9a12e4c", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&out).unwrap()));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (640, 400));
    let text: Vec<(String, String)> =
        info.uncompressed_latin1_text.iter().map(|t| (t.keyword.clone(), t.text.clone())).collect();
    assert!(text.contains(&("memscape:view".into(), "hilbert".into())), "{text:?}");
    assert!(text.contains(&("memscape:select".into(), "0x7fef9a12e4c".into())), "{text:?}");
    let _ = std::fs::remove_file(&out);

    // Two runs, same bytes.
    let a = render(
        &AddressSpace::open(DEMO).unwrap(),
        &ShotOptions { view: ViewKind::Strip, size_px: [320, 200], select: None },
    )
    .unwrap()
    .image;
    let b = render(
        &AddressSpace::open(DEMO).unwrap(),
        &ShotOptions { view: ViewKind::Strip, size_px: [320, 200], select: None },
    )
    .unwrap()
    .image;
    assert!(a == b, "two renders differ");
}

#[test]
fn bad_shot_arguments_are_usage_errors() {
    for args in [
        vec!["shot", DEMO, "--view", "cube", "-o", "x.png"],
        vec!["shot", DEMO, "--view", "strip", "--size", "0x10", "-o", "x.png"],
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_memscape")).args(&args).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
    }
    let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
        .args(["shot", DEMO, "--view", "strip", "--select", "0xffffffffffffff", "-o", "x.png"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.starts_with("error: ") && stderr.contains("outside the user address space"), "{stderr}");
}
