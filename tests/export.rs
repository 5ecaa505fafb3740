//! `memscape shot`'s presentation options: --theme, --transparent, --title,
//! --legend and --callouts, checked pixel by pixel where they should (and
//! should not) draw, plus determinism and the PNG metadata. Skipped without a
//! GPU adapter unless MEMSCAPE_REQUIRE_GPU=1.

use crate::common;

use common::gpu_available;
use std::process::Command;

use memscape::dump::{AddressSpace, RegionKind};
use memscape::export::{PictureOptions, render_picture};
use memscape::layout::{View, ViewKind};
use memscape::scene::theme::{self, ExportTheme};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

fn treemap(size: [u32; 2]) -> PictureOptions {
    PictureOptions::new(View::Flat(ViewKind::Treemap), size)
}

/// How many pixels in the rect [x0, x1) x [y0, y1) differ between a and b.
fn differing(a: &image::RgbaImage, b: &image::RgbaImage, x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|(x, y)| a.get_pixel(*x, *y) != b.get_pixel(*x, *y))
        .count()
}

fn contains_colour(img: &image::RgbaImage, x0: u32, y0: u32, x1: u32, y1: u32, want: [u8; 4]) -> bool {
    (y0..y1).flat_map(|y| (x0..x1).map(move |x| (x, y))).any(|(x, y)| img.get_pixel(x, y).0 == want)
}

#[test]
fn the_legend_and_title_get_their_own_space_only_when_asked() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let plain = render_picture(&space, &treemap([1000, 700])).unwrap();
    let legend = render_picture(&space, &PictureOptions { legend: true, ..treemap([1000, 700]) }).unwrap();
    let title = render_picture(&space, &PictureOptions { title: Some(None), ..treemap([1000, 700]) }).unwrap();
    assert_eq!(legend.image.dimensions(), (1000, 700));
    let image = theme::kind_color(RegionKind::Image).to_array();
    // The plain picture is all map.
    assert_eq!(plain.layout.map, egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1000.0, 700.0)));
    assert!(plain.layout.overlays().is_empty());
    // The legend: a column on the left, at the bottom, with the Image swatch; the map beside it.
    let l = legend.layout.legend.expect("no legend laid out");
    assert!(l.min.x < 60.0 && l.max.y > 600.0, "{l:?}");
    assert!(legend.layout.map.min.x >= l.max.x, "the map starts under the legend: {:?}", legend.layout);
    let (x0, y0, x1, y1) = (l.min.x as u32, l.min.y as u32, l.max.x as u32, l.max.y as u32);
    assert!(contains_colour(&legend.image, x0, y0, x1, y1, image), "no Image swatch in the legend");
    assert!(differing(&plain.image, &legend.image, x0, y0, x1, y1) > 2000, "nothing drawn in the legend");
    // The title: a band across the top; the map below it.
    let t = title.layout.title.expect("no title laid out");
    assert!(t.min.y < 20.0 && t.min.x < 20.0, "{t:?}");
    assert!(title.layout.map.min.y >= t.max.y, "the map starts under the title: {:?}", title.layout);
    let (x0, y0, x1, y1) = (t.min.x as u32, t.min.y as u32, t.max.x as u32, t.max.y as u32);
    assert!(differing(&plain.image, &title.image, x0, y0, x1, y1) > 1000, "nothing drawn in the title block");
    // Turned off, nothing changes: the default options are the plain picture.
    let off =
        render_picture(&space, &PictureOptions { legend: false, title: None, ..treemap([1000, 700]) }).unwrap().image;
    assert!(off == plain.image);
}

/// Every overlay (title, legend, callout column) sits outside the map, no
/// two callouts overlap, and the map still shows its row addresses and tiles:
/// on the demo and on a real dump, in every view.
#[test]
fn overlays_never_cover_the_map_and_callouts_never_overlap() {
    if !gpu_available() {
        return;
    }
    let mut dumps = vec![AddressSpace::open(DEMO).unwrap()];
    if let Some(dir) = common::corpus_dir() {
        // A real Windows dump with a MemoryInfoList (Electron 29, Crashpad).
        dumps.push(AddressSpace::open(dir.join("win-x64-electron29-crashpad-meminfo.dmp")).unwrap());
    }
    for space in &dumps {
        let crash = space.exception.as_ref().map(|e| e.instruction_addr.unwrap_or(e.address));
        let select = crash.filter(|a| space.region_index_at(*a).is_some());
        for view in View::ALL {
            let opts = PictureOptions {
                select,
                title: Some(None),
                legend: true,
                callouts: true,
                ..PictureOptions::new(view, [1600, 900])
            };
            let pic = render_picture(space, &opts).unwrap();
            let what = format!("{} {view:?}", space.path.display());
            let map = pic.layout.map;
            assert!(map.width() > 600.0 && map.height() > 400.0, "{what}: the map is left too little: {map:?}");
            for o in pic.layout.overlays() {
                assert!(!o.intersects(map), "{what}: overlay {o:?} covers the map {map:?}");
            }
            assert!(!pic.callout_boxes.is_empty(), "{what}: no callouts drawn");
            for (i, a) in pic.callout_boxes.iter().enumerate() {
                assert!(!a.intersects(map), "{what}: callout {a:?} over the map");
                for b in &pic.callout_boxes[i + 1..] {
                    assert!(!a.intersects(*b), "{what}: callouts {a:?} and {b:?} overlap");
                }
            }
            // The strip's row addresses sit in the map's left gutter, inside the map.
            if view == View::Flat(ViewKind::Strip) {
                let tick_colour = theme::MAP_TICK.to_array();
                let gutter = (map.min.x as u32, map.min.y as u32, map.min.x as u32 + 96, map.max.y as u32);
                assert!(
                    (gutter.1..gutter.3).any(|y| (gutter.0..gutter.2).any(|x| {
                        let p = pic.image.get_pixel(x, y).0;
                        p.iter().zip(tick_colour).take(3).all(|(a, b)| a.abs_diff(b) < 40)
                    })),
                    "{what}: no row addresses in the map's gutter"
                );
            }
        }
    }
}

#[test]
fn transparent_exports_clear_the_background_and_keep_the_regions() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let shot = render_picture(&space, &PictureOptions { transparent: true, ..treemap([900, 600]) }).unwrap();
    assert_eq!(shot.image.get_pixel(1, 1).0[3], 0, "corner not transparent");
    assert!(shot.flat_scene().is_some());
    let (i, r) = (0..space.regions.len())
        .filter(|i| space.regions[*i].kind == RegionKind::Image)
        .filter_map(|i| shot.screen_rect_of(i as u32).map(|r| (i, r)))
        .max_by(|a, b| a.1.area().total_cmp(&b.1.area()))
        .unwrap();
    let p = r.min + egui::vec2(3.0, 3.0);
    let px = shot.image.get_pixel(p.x as u32, p.y as u32).0;
    assert_eq!(px[3], 255, "region {i} at {p:?}: {px:?}");
    assert_eq!(px, theme::kind_color(RegionKind::Image).to_array());

    // 3D: the sky goes, the boxes stay.
    let plain = render_picture(&space, &PictureOptions::new(View::City, [600, 400])).unwrap().image;
    let clear =
        render_picture(&space, &PictureOptions { transparent: true, ..PictureOptions::new(View::City, [600, 400]) })
            .unwrap()
            .image;
    assert_eq!(clear.get_pixel(1, 1).0[3], 0, "sky not transparent");
    let opaque = clear.pixels().filter(|p| p.0[3] == 255).count();
    assert!(opaque > 10_000, "only {opaque} opaque pixels");
    let same = plain.pixels().zip(clear.pixels()).filter(|(a, b)| b.0[3] == 255 && a == b).count();
    assert_eq!(same, opaque, "opaque pixels changed colour");
}

#[test]
fn the_light_theme_lightens_background_and_sky() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let luma = |p: [u8; 4]| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]);
    for view in ViewKind::ALL {
        let opts = PictureOptions { theme: ExportTheme::Light, ..PictureOptions::new(View::Flat(view), [640, 400]) };
        let img = render_picture(&space, &opts).unwrap().image;
        let p = img.get_pixel(2, 2).0;
        assert!(luma(p) > 200.0, "{view:?}: background {p:?}");
        assert_eq!(p[3], 255);
    }
    let opts = PictureOptions { theme: ExportTheme::Light, ..PictureOptions::new(View::Volume, [640, 400]) };
    let p = render_picture(&space, &opts).unwrap().image.get_pixel(2, 2).0;
    assert!(luma(p) > 200.0, "sky {p:?}");
}

#[test]
fn all_options_give_the_same_bytes_twice_and_are_recorded() {
    if !gpu_available() {
        return;
    }
    let dir = std::env::temp_dir();
    let pid = std::process::id();
    let run = |n: u32, view: &str| {
        let out = dir.join(format!("memscape-export-{pid}-{view}-{n}.png"));
        let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
            .args(["shot", DEMO, "--view", view, "--size", "640x400", "--select", "0x7ff00004d1c"])
            .args(["--theme", "light", "--transparent", "--title", "--legend", "--callouts", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let bytes = std::fs::read(&out).unwrap();
        let _ = std::fs::remove_file(&out);
        bytes
    };
    for view in ["hilbert", "city"] {
        let a = run(1, view);
        assert!(a == run(2, view), "{view}: two runs differ");
        let decoder = png::Decoder::new(std::io::Cursor::new(a));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!((info.width, info.height), (640, 400));
        assert_eq!(info.color_type, png::ColorType::Rgba);
        let text: Vec<(String, String)> =
            info.uncompressed_latin1_text.iter().map(|t| (t.keyword.clone(), t.text.clone())).collect();
        for (k, v) in [
            ("memscape:theme", "light"),
            ("memscape:transparent", "true"),
            ("memscape:legend", "true"),
            ("memscape:callouts", "true"),
        ] {
            assert!(text.contains(&(k.into(), v.into())), "{view}: {k} missing from {text:?}");
        }
        let title = text.iter().find(|(k, _)| k == "memscape:title").expect("memscape:title");
        assert!(title.1.starts_with("azure-worker-crash.dmp"), "{title:?}");
    }
}

#[test]
fn a_title_text_and_callouts_change_the_picture() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let sel = Some(0x7ff00004d1c);
    let named = render_picture(
        &space,
        &PictureOptions { select: sel, title: Some(Some("Heap growth".into())), ..treemap([800, 500]) },
    )
    .unwrap();
    let default =
        render_picture(&space, &PictureOptions { select: sel, title: Some(None), ..treemap([800, 500]) }).unwrap();
    // The two titles are drawn in the title block, differently; the map below is the same.
    let t = named.layout.title.expect("a title block");
    assert!(named.layout.map.min.y >= t.max.y, "the map starts under the title block");
    let (x0, y0, x1, y1) = (t.min.x as u32, t.min.y as u32, t.max.x as u32, t.max.y as u32);
    assert!(differing(&named.image, &default.image, x0, y0, x1, y1) > 200, "the title text is not what is drawn");
    // Callouts: the selection's comes first, in its kind's colour, with a
    // leader line that reaches the selected region's tile.
    let callouts =
        render_picture(&space, &PictureOptions { select: sel, callouts: true, ..treemap([800, 500]) }).unwrap();
    let index = space.region_index_at(0x7ff00004d1c).unwrap();
    let targets = memscape::export::picture::callouts_for(&space, Some(index as u32));
    assert!(!targets.is_empty() && targets.len() <= 1 + memscape::export::picture::MAX_FINDING_CALLOUTS);
    assert_eq!(targets[0].region, index as u32);
    assert!(!callouts.callout_boxes.is_empty(), "no callout drawn");
    let kind = theme::kind_color(space.regions[index].kind).to_array();
    let has_bar = callouts.callout_boxes.iter().any(|b| {
        contains_colour(&callouts.image, b.min.x as u32, b.min.y as u32, b.max.x as u32, b.max.y as u32, kind)
    });
    assert!(has_bar, "no callout box carries the selected region's colour");
    let tile = callouts.screen_rect_of(index as u32).expect("the selection is on the map");
    let leader = theme::Palette::WINDOW.leader.to_array();
    let around = tile.expand(6.0);
    let (x0, y0) = (around.min.x.max(0.0) as u32, around.min.y.max(0.0) as u32);
    let (x1, y1) = ((around.max.x as u32).min(799), (around.max.y as u32).min(499));
    let near = (y0..=y1)
        .flat_map(|y| (x0..=x1).map(move |x| (x, y)))
        .any(|(x, y)| callouts.image.get_pixel(x, y).0.iter().zip(leader).take(3).all(|(a, b)| a.abs_diff(b) < 40));
    assert!(near, "no leader line reaches the selected region at {tile:?}");
}

#[test]
fn a_bad_theme_is_a_usage_error() {
    let run = Command::new(env!("CARGO_BIN_EXE_memscape"))
        .args(["shot", DEMO, "--view", "strip", "--theme", "sepia", "-o", "x.png"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

/// Pixels whose channels differ by more than `tolerance` between a and b,
/// and the worst of them (as positions).
fn far_apart(a: &image::RgbaImage, b: &image::RgbaImage, tolerance: u8) -> Vec<(u32, u32)> {
    a.enumerate_pixels()
        .filter(|(x, y, p)| p.0.iter().zip(b.get_pixel(*x, *y).0).any(|(u, v)| u.abs_diff(v) > tolerance))
        .map(|(x, y, _)| (x, y))
        .collect()
}

#[test]
fn tiled_renders_stitch_without_seams() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let select = space.exception.as_ref().map(|e| e.address);
    let size = [700, 450];
    // 150 px tiles: 5 x 3 of them, the last row and column cut short, and no
    // tile edge on the 8 px hatch period.
    const TILE: u32 = 150;
    let views = [
        View::Flat(ViewKind::Strip),
        View::Flat(ViewKind::Hilbert),
        View::Flat(ViewKind::Treemap),
        View::City,
        View::Volume,
    ];
    for view in views {
        let opts = || PictureOptions {
            select,
            title: Some(None),
            legend: true,
            callouts: true,
            theme: ExportTheme::Light,
            ..PictureOptions::new(view, size)
        };
        let single = render_picture(&space, &opts()).unwrap().image;
        let tiled = render_picture(&space, &PictureOptions { tile_px: Some(TILE), ..opts() }).unwrap().image;
        assert_eq!(tiled.dimensions(), (size[0], size[1]));
        if std::env::var_os("MEMSCAPE_SAVE_TILES").is_some() {
            single.save(format!("/tmp/tiles-{}-single.png", view.name())).unwrap();
            tiled.save(format!("/tmp/tiles-{}-tiled.png", view.name())).unwrap();
        }
        // Shifting egui's meshes to a tile's corner may move an antialiased
        // edge's coverage by a rounding step (one level); 3D scenes go through
        // an off-centre projection per tile, which may move a box edge's
        // antialiasing a little more.
        let (tolerance, allowed) = if matches!(view, View::Flat(_)) { (2, 0) } else { (24, 40) };
        let off = far_apart(&single, &tiled, tolerance);
        let show: Vec<_> =
            off.iter().take(12).map(|&(x, y)| (x, y, single.get_pixel(x, y).0, tiled.get_pixel(x, y).0)).collect();
        assert!(off.len() <= allowed, "{}: {} pixels differ: {show:?}", view.name(), off.len());
        // A seam would be a line of differences along a tile edge.
        for edge in (TILE..size[0]).step_by(TILE as usize) {
            let on_edge = off.iter().filter(|(x, _)| x.abs_diff(edge) <= 1).count();
            assert!(on_edge <= 3, "{}: a seam at x = {edge} ({on_edge} pixels)", view.name());
        }
        for edge in (TILE..size[1]).step_by(TILE as usize) {
            let on_edge = off.iter().filter(|(_, y)| y.abs_diff(edge) <= 1).count();
            assert!(on_edge <= 3, "{}: a seam at y = {edge} ({on_edge} pixels)", view.name());
        }
    }
}

#[test]
fn a_picture_wider_than_the_gpus_largest_texture_is_tiled() {
    if !gpu_available() {
        return;
    }
    let space = AddressSpace::open(DEMO).unwrap();
    let gpu = common::headless_gpu().expect("a GPU (checked above)");
    let max = gpu.max_size_px();
    drop(gpu);
    // Twice the largest texture: the map (fitted to the height) sits across
    // the first tile edge, at x = max.
    const HEIGHT: u32 = 100;
    let strip = PictureOptions::new(View::Flat(ViewKind::Strip), [2 * max, HEIGHT]);
    let wide = render_picture(&space, &strip).unwrap().image;
    assert_eq!(wide.dimensions(), (2 * max, HEIGHT));
    let background = theme::MAP_BACKGROUND.to_array();
    let drawn = |x: u32| (0..HEIGHT).any(|y| wide.get_pixel(x, y).0 != background);
    assert!(drawn(max - 10) && drawn(max + 10), "the map does not reach across the tile edge");
    // Tiles of another size (1000 px does not divide the texture limit) give
    // the same picture: no seam at x = max.
    let other = render_picture(&space, &PictureOptions { tile_px: Some(1000), ..strip }).unwrap().image;
    let off = far_apart(&wide, &other, 2);
    assert!(off.is_empty(), "{} pixels differ, first at {:?}", off.len(), off.first());
    // Too large a picture is a clear error, not a GPU failure.
    let err =
        render_picture(&space, &PictureOptions::new(View::Flat(ViewKind::Strip), [65_536, 65_536])).err().unwrap();
    assert!(err.to_string().contains("too large"), "{err:#}");
}
