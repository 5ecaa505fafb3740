//! `memscape shot`: offscreen pictures of every view, checked pixel by pixel
//! where the layout put known regions, plus the command's contract (size,
//! PNG, metadata, errors). Skipped without a GPU adapter unless
//! MEMSCAPE_REQUIRE_GPU=1.

use crate::common;

use common::gpu_available;
use std::process::Command;

use memscape::dump::{AddressSpace, RegionKind};
use memscape::export::{PictureOptions, render_picture};
use memscape::layout::{View, ViewKind};
use memscape::scene::theme;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

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
        let shot = render_picture(&space, &PictureOptions::new(View::Flat(view), [1200, 800])).unwrap();
        assert!(shot.flat_scene().is_some());
        assert_eq!(shot.image.dimensions(), (1200, 800));
        // The ten largest on-screen tiles: the pixel just inside each one's
        // top-left corner has its kind's colour (labels sit in the centre).
        let mut rects: Vec<(usize, egui::Rect)> = (0..space.regions.len())
            .filter(|i| space.regions[*i].kind != RegionKind::Free)
            .filter_map(|i| shot.screen_rect_of(i as u32).map(|r| (i, r)))
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
    let opts =
        PictureOptions { select: Some(ntdll), ..PictureOptions::new(View::Flat(ViewKind::Treemap), [1200, 800]) };
    let shot = render_picture(&space, &opts).unwrap();
    let r = shot.screen_rect_of(index as u32).unwrap();
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
        .args(["shot", DEMO, "--view", "hilbert", "--size", "640x400", "--select", "0x7ff00004d1c", "-o"])
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
    assert!(text.contains(&("memscape:select".into(), "0x7ff00004d1c".into())), "{text:?}");
    let _ = std::fs::remove_file(&out);

    // Two runs, same bytes.
    let a = render_picture(
        &AddressSpace::open(DEMO).unwrap(),
        &PictureOptions::new(View::Flat(ViewKind::Strip), [320, 200]),
    )
    .unwrap()
    .image;
    let b = render_picture(
        &AddressSpace::open(DEMO).unwrap(),
        &PictureOptions::new(View::Flat(ViewKind::Strip), [320, 200]),
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

#[test]
fn three_d_views_render_the_scene_and_highlight_the_selection() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let m = space.modules.iter().max_by_key(|m| m.size_bytes).unwrap();
    let addr = m.base_addr + m.size_bytes / 2;
    let index = space.region_index_at(addr).unwrap() as u32;
    for view in [View::City, View::Volume] {
        let plain = render_picture(&space, &PictureOptions::new(view, [800, 500])).unwrap();
        let selected =
            render_picture(&space, &PictureOptions { select: Some(addr), ..PictureOptions::new(view, [800, 500]) })
                .unwrap();
        assert_eq!(plain.image.dimensions(), (800, 500));
        // The sky where nothing is: the top-left corner is close to the sky's top colour.
        let sky = plain.image.get_pixel(1, 1).0;
        let top = theme::SKY_TOP.to_array();
        assert!(
            sky.iter().zip(top).take(3).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 12),
            "{view:?}: sky {sky:?}"
        );
        // Something is drawn: many pixels differ from the same picture with
        // every kind hidden (the sky alone).
        let none = memscape::scene::Filters { show_kind: [false; RegionKind::ALL.len()], ..Default::default() };
        let sky_only =
            render_picture(&space, &PictureOptions { filters: none, ..PictureOptions::new(view, [800, 500]) }).unwrap();
        let drawn = plain
            .image
            .pixels()
            .zip(sky_only.image.pixels())
            .filter(|(a, b)| a.0.iter().zip(b.0).take(3).any(|(x, y)| x.abs_diff(y) > 8))
            .count();
        // Boxes make about 48k (City) and 64k (Volume) pixels differ; labels,
        // ground ticks and the selection's wireframe alone about 12k and 18k.
        assert!(drawn > 30_000, "{view:?}: only {drawn} pixels differ from the sky alone");
        // The selected region's box is brighter where it is, and only there.
        let pos = selected.screen_pos_of(index).expect("selection on screen");
        let lum = |img: &image::RgbaImage, x: u32, y: u32| {
            let p = img.get_pixel(x, y).0;
            u32::from(p[0]) + u32::from(p[1]) + u32::from(p[2])
        };
        let (x, y) = (pos.x as u32, pos.y as u32);
        let around = (0..5).flat_map(|dx| (0..5).map(move |dy| (x + dx - 2, y + dy - 2)));
        let brighter = around.filter(|(x, y)| lum(&selected.image, *x, *y) > lum(&plain.image, *x, *y) + 20).count();
        assert!(brighter >= 5, "{view:?}: the selected box at {pos:?} is not highlighted");
        assert_eq!(lum(&selected.image, 1, 1), lum(&plain.image, 1, 1), "{view:?}: the sky changed");
    }
}

#[test]
fn the_camera_option_moves_the_3d_camera() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let a = render_picture(
        &space,
        &PictureOptions { camera: Some([0.0, 60.0, 900.0]), ..PictureOptions::new(View::City, [400, 250]) },
    )
    .unwrap();
    let b = render_picture(
        &space,
        &PictureOptions { camera: Some([120.0, 20.0, 900.0]), ..PictureOptions::new(View::City, [400, 250]) },
    )
    .unwrap();
    let cam = a.camera3d().unwrap();
    assert_eq!((cam.yaw_deg, cam.pitch_deg, cam.distance), (0.0, 60.0, 900.0));
    assert!(a.image != b.image, "two cameras gave the same picture");
    // The point looked at (a panned window camera) comes along too.
    let target = [cam.target[0] + 150.0, cam.target[1], cam.target[2] - 80.0];
    let panned = PictureOptions {
        camera: Some([0.0, 60.0, 900.0]),
        camera_target: Some(target),
        ..PictureOptions::new(View::City, [400, 250])
    };
    let c = render_picture(&space, &panned).unwrap();
    assert_eq!(c.camera3d().unwrap().target, target);
    assert!(c.image != a.image, "the target did not move the picture");
    let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
        .args(["shot", DEMO, "--view", "city", "--camera", "30,95,10", "-o", "x.png"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "pitch 95 is a usage error");
    let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
        .args(["shot", DEMO, "--view", "city", "--camera", "30,40,10,1,2", "-o", "x.png"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "five numbers are a usage error");
    let out = std::env::temp_dir().join(format!("memscape-camera-{}.png", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
        .args(["shot", DEMO, "--view", "city", "--size", "160x100", "--camera", "30,40,500,10,0,-20.5", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let bytes = std::fs::read(&out).unwrap();
    std::fs::remove_file(&out).ok();
    let needle = b"memscape:camera\x0030,40,500,10,0,-20.5";
    assert!(bytes.windows(needle.len()).any(|w| w == needle), "the camera with its target is not recorded");
}

#[test]
fn the_gallery_command_writes_every_view_with_and_without_a_selection() {
    if !gpu_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("memscape-gallery-{}", std::process::id()));
    let run =
        Command::new(env!("CARGO_BIN_EXE_memscape")).args(["gallery", "--size", "320x200"]).arg(&dir).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let names = memscape::cli::gallery::file_names();
    assert_eq!(names.len(), 10);
    for name in &names {
        let img = image::open(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((img.width(), img.height()), (320, 200), "{name}");
    }
    // With and without the selection differ.
    let a = std::fs::read(dir.join("demo-treemap.png")).unwrap();
    let b = std::fs::read(dir.join("demo-treemap-plain.png")).unwrap();
    assert_ne!(a, b);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_window_filters_and_colouring_reach_the_export() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let mut filters = memscape::scene::Filters::default();
    for (i, k) in RegionKind::ALL.iter().enumerate() {
        filters.show_kind[i] = *k == RegionKind::Stack;
    }
    let opts = PictureOptions { filters, ..PictureOptions::new(View::Flat(ViewKind::Treemap), [600, 400]) };
    let shot = render_picture(&space, &opts).unwrap();
    let count = |c: [u8; 4]| shot.image.pixels().filter(|p| close(p.0, c)).count();
    assert_eq!(count(theme::kind_color(RegionKind::Image).to_array()), 0, "Image drawn though hidden");
    assert!(count(theme::kind_color(RegionKind::Stack).to_array()) > 10_000, "the stacks fill the treemap");
}

/// `memscape bench-gpu` (hidden): the window's renderers draw the demo's
/// views frame after frame; the counts are the scene's and the
/// percentiles are ordered.
#[test]
fn bench_gpu_prints_frame_percentiles_of_the_scene() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    for view in [View::Flat(ViewKind::Hilbert), View::City] {
        let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
            .args(["bench-gpu", DEMO, "--view", view.name(), "--frames", "6", "--size", "320x200"])
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let text = String::from_utf8(run.stdout).unwrap();
        let params = memscape::scene::ViewParams::new(
            view,
            &memscape::scene::Filters::default(),
            Default::default(),
            &Default::default(),
            None,
        );
        let instances = match memscape::scene::build::build_scene(&space, &params, 1) {
            memscape::scene::BuiltScene::Flat(s) => s.instances().len(),
            memscape::scene::BuiltScene::ThreeD(s) => s.instances.len(),
        };
        assert!(text.contains(&format!(": {instances} instances, ")), "{view:?}: {text}");
        let line = text.lines().find(|l| l.starts_with("6 frames: ")).unwrap_or_else(|| panic!("{text}"));
        let ms: Vec<f64> = line.split(" ms").filter_map(|part| part.rsplit(' ').next()?.parse().ok()).collect();
        assert_eq!(ms.len(), 4, "p50, p90, p99 and max in {line}");
        assert!(ms[0] > 0.0 && ms.windows(2).all(|w| w[0] <= w[1]), "{line}");
    }
}
