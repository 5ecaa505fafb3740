//! The window's scene building (app/scene/): a scene built on a worker
//! thread is the one built on the UI thread, for every view.

use std::sync::Arc;

use memscape::dump::AddressSpace;
use memscape::layout::layout3d::HeightMetric;
use memscape::layout::{View, ViewKind};
use memscape::scene::Filters;
use memscape::scene::VolumeStyle;
use memscape::scene::build::build_scene_timed;
use memscape::scene::{BuiltScene, Picking, SceneCache, SceneUpdate, ViewParams as SceneKey, build_scene as build};
use memscape::task::{Poll, Task, Waker};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo/azure-worker-crash.dmp");

/// A City or Volume key with the default filters, heights and opacities.
fn key_3d(view: View, selected: Option<usize>) -> SceneKey {
    let (filters, metric, volume) = (Filters::default(), HeightMetric::Size, VolumeStyle::default());
    SceneKey::ThreeD { view, filters, metric, volume, selected }
}

/// A dump of 60,000 regions (past the scene cache's worker threshold),
/// written for one test (`name` keeps tests apart) and opened.
fn big_space(name: &str) -> (std::path::PathBuf, Arc<AddressSpace>) {
    use memscape::synth::big::{BigDumpSpec, write_big_dump};
    let path = std::env::temp_dir().join(format!("memscape-scene-{name}-{}.dmp", std::process::id()));
    write_big_dump(&BigDumpSpec::new(60_000, 40, 50, 8 << 20), &path).unwrap();
    let space = Arc::new(AddressSpace::open(&path).unwrap());
    (path, space)
}

/// Updates `cache` for `key` until no worker is building it (at most two
/// minutes); the last update.
fn settled(cache: &mut SceneCache, space: &Arc<AddressSpace>, key: &SceneKey, waker: &Waker) -> SceneUpdate {
    let started = std::time::Instant::now();
    loop {
        let update = cache.update(space, key, waker);
        if update != SceneUpdate::Building {
            return update;
        }
        assert!(started.elapsed().as_secs() < 120, "the worker never finished");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Updates `cache` for `key`, which stays current, until no picking index
/// is being built for its scenes (at most two minutes).
fn indexed(cache: &mut SceneCache, space: &Arc<AddressSpace>, key: &SceneKey, waker: &Waker) {
    let started = std::time::Instant::now();
    while cache.is_indexing() {
        assert!(started.elapsed().as_secs() < 120, "the index worker never finished");
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(cache.update(space, key, waker), SceneUpdate::Current);
    }
}

fn instances(built: &BuiltScene) -> Vec<u8> {
    match built {
        BuiltScene::Flat(s) => bytemuck::cast_slice(s.instances()).to_vec(),
        BuiltScene::ThreeD(d) => bytemuck::cast_slice(&d.instances).to_vec(),
    }
}

#[test]
fn a_scene_built_on_a_worker_is_the_one_built_here() {
    let space = Arc::new(AddressSpace::open(DEMO).unwrap());
    let mut filters = Filters::default();
    filters.show_kind[0] = false;
    let mut keys: Vec<SceneKey> =
        ViewKind::ALL.into_iter().map(|kind| SceneKey::Flat { kind, filters: filters.clone() }).collect();
    for view in [View::City, View::Volume] {
        let volume = VolumeStyle::default();
        keys.push(SceneKey::ThreeD {
            view,
            filters: filters.clone(),
            metric: HeightMetric::Size,
            volume,
            selected: Some(3),
        });
    }
    for key in keys {
        let here = build(&space, &key, 7);
        let (worker_space, worker_key) = (Arc::clone(&space), key.clone());
        let job = Task::spawn("layout", Waker::none(), move || build(&worker_space, &worker_key, 7))
            .expect("a worker thread");
        let started = std::time::Instant::now();
        let there = loop {
            match job.poll() {
                Poll::Done(built) => break built,
                Poll::Died => panic!("the worker died"),
                Poll::Pending => {}
            }
            assert!(started.elapsed().as_secs() < 120, "the worker never finished");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(!instances(&here).is_empty());
        assert!(instances(&here) == instances(&there), "{:?}: the worker built another scene", key.view());
    }
}

#[test]
fn keys_say_when_only_the_style_changed() {
    let base = |selected, metric| SceneKey::ThreeD {
        view: View::City,
        filters: Filters::default(),
        metric,
        volume: VolumeStyle::default(),
        selected,
    };
    assert!(base(None, HeightMetric::Size).same_geometry(&base(Some(4), HeightMetric::Size)));
    assert!(!base(None, HeightMetric::Size).same_geometry(&base(None, HeightMetric::Captured)));
    let flat = |kind| SceneKey::Flat { kind, filters: Filters::default() };
    assert!(!flat(ViewKind::Strip).same_geometry(&flat(ViewKind::Hilbert)));
    assert!(!flat(ViewKind::Strip).same_geometry(&base(None, HeightMetric::Size)));
}

#[test]
fn translucent_boxes_are_premultiplied_so_free_space_adds_nothing() {
    // The renderer blends premultiplied colours: a faint box whose colour
    // was not scaled by its alpha would glow (free space at opacity 0 showed
    // as white haze over the Volume view).
    let space = Arc::new(AddressSpace::open(DEMO).unwrap());
    let key = key_3d(View::Volume, None);
    let BuiltScene::ThreeD(data) = build(&space, &key, 1) else { panic!("not a 3D scene") };
    let mut faint = 0;
    for b in data.instances.iter() {
        let [r, g, bl, a] = b.color.to_le_bytes();
        assert!(r <= a && g <= a && bl <= a, "{:?} is not premultiplied", b.color.to_le_bytes());
        faint += usize::from(a < 255);
    }
    assert!(faint > 0, "the demo's Volume has no translucent boxes to check");
}

#[test]
fn scenes_without_a_picking_index_find_the_same_tiles_and_boxes() {
    // Pictures build scenes without the picking index; what they ask of it
    // (a region's tiles or boxes, for callouts and the selection) is then
    // found by a scan, which must agree with the index.
    let space = Arc::new(AddressSpace::open(DEMO).unwrap());
    let mut keys: Vec<SceneKey> =
        ViewKind::ALL.into_iter().map(|kind| SceneKey::Flat { kind, filters: Filters::default() }).collect();
    keys.extend([View::City, View::Volume].map(|view| key_3d(view, None)));
    let regions = space.regions.len() as u32;
    for key in keys {
        let lazy = build_scene_timed(&space, &key, 1, Picking::OnDemand, &mut |_, _| {});
        let eager = build(&space, &key, 1);
        let mut found = 0;
        match (&lazy, &eager) {
            (BuiltScene::Flat(lazy), BuiltScene::Flat(eager)) => {
                assert!(!lazy.has_hit_index() && eager.has_hit_index());
                for r in 0..regions {
                    assert_eq!(lazy.tiles_of(r, 1000), eager.tiles_of(r, 1000), "{:?}: region {r}", key.view());
                    assert_eq!(lazy.largest_tile(r), eager.largest_tile(r));
                    found += usize::from(lazy.largest_tile(r).is_some());
                }
                assert!(!lazy.has_hit_index(), "asking for tiles built the index");
                assert_eq!(lazy.hit().tiles_of(1), eager.hit().tiles_of(1));
                assert!(lazy.has_hit_index());
            }
            (BuiltScene::ThreeD(lazy), BuiltScene::ThreeD(eager)) => {
                assert!(!lazy.has_hit_index() && eager.has_hit_index());
                // A picture's boxes are in draw order, its parts ranges of
                // them; a region's boxes keep their order.
                if key.view() == View::Volume {
                    let reordered = memscape::render::box_parts::draw_order(&eager.instances).is_some();
                    assert!(reordered, "the demo's Volume is in draw order already: nothing checked");
                }
                let parts = &lazy.parts;
                assert!(parts.opaque.boxes.is_part_of(&lazy.instances), "{:?}: copied", key.view());
                assert!(parts.translucent.boxes.is_part_of(&lazy.instances), "{:?}: copied", key.view());
                let boxes_of = |s: &memscape::scene::Scene3d, r: u32| -> Vec<_> {
                    use memscape::layout::layout3d::BoxList;
                    s.box_indices(r).iter().map(|&i| s.boxes().box_at(i as usize)).collect()
                };
                for r in 0..regions {
                    assert_eq!(boxes_of(lazy, r), boxes_of(eager, r), "{:?}: region {r}", key.view());
                    assert_eq!(lazy.largest_box(r), eager.largest_box(r));
                    found += usize::from(lazy.largest_box(r).is_some());
                }
                assert!(!lazy.has_hit_index(), "asking for boxes built the index");
            }
            _ => panic!("{:?}: the scenes are of different kinds", key.view()),
        }
        assert!(found > 10, "{:?}: only {found} regions drawn", key.view());
    }
}

#[test]
fn a_3d_scene_keeps_its_layouts_boxes_once_and_picks_as_the_layout_does() {
    // A 3D scene drops the layout's `Vec<Box3>` and reads boxes back from
    // its instances and regions: every box must come back as laid out
    // (compressed ones included), and picking must answer as on the layout.
    use memscape::layout::hit3d::Hit3dIndex;
    use memscape::layout::layout3d::BoxList;
    use memscape::layout::{LayoutInput, city, volume};
    let space = Arc::new(AddressSpace::open(DEMO).unwrap());
    let filters = Filters::default();
    let visible = filters.visible(&space);
    let input = LayoutInput { space: &space, visible: &visible };
    for view in [View::City, View::Volume] {
        let layout = match view {
            View::City => city::layout_city(&input, HeightMetric::Size),
            _ => volume::layout_volume(&input),
        };
        let key = key_3d(view, Some(2));
        let BuiltScene::ThreeD(scene) = build(&space, &key, 1) else { panic!("not a 3D scene") };
        assert!(scene.layout.boxes.is_empty(), "{view:?}: the layout's boxes were kept beside the instances");
        let boxes = scene.boxes();
        assert_eq!(boxes.box_count(), layout.boxes.len(), "{view:?}");
        for (i, b) in layout.boxes.iter().enumerate() {
            assert_eq!(boxes.box_at(i).as_ref(), Some(b), "{view:?}: box {i}");
        }
        assert!(layout.boxes.iter().any(|b| b.compressed), "{view:?}: no compressed box to check");
        assert_eq!(boxes.box_at(layout.boxes.len()), None);
        assert_eq!((scene.layout.labels.len(), scene.layout.ticks.len()), (layout.labels.len(), layout.ticks.len()));

        // Rays from above and from the side through box centres.
        let index = Hit3dIndex::new(&layout);
        let step = (layout.boxes.len() / 200).max(1);
        let mut hits = 0;
        for b in layout.boxes.iter().step_by(step) {
            let c = b.center();
            for (origin, dir) in [([c[0], 1e4, c[2]], [0.0, -1.0, 0.0]), ([c[0] - 1e4, c[1], c[2]], [1.0, 0.0, 0.0])] {
                let want = index.pick(&layout, origin, dir, |_| false);
                let got = scene.hit().pick(&boxes, origin, dir, |_| false);
                assert_eq!(got, want, "{view:?}: ray {origin:?} {dir:?}");
                hits += usize::from(got.is_some());
            }
        }
        assert!(hits > 100, "{view:?}: only {hits} rays hit");
    }
}

#[test]
fn a_flat_scene_keeps_its_layouts_tiles_once_and_hits_as_the_layout_does() {
    // A flat scene drops the layout's `Vec<Tile>` and reads tiles back from
    // its level-0 quads and regions: every tile must come back as laid out
    // (compressed ones included), and hit testing must answer as on the layout.
    use memscape::layout::hit::HitIndex;
    use memscape::layout::{LayoutInput, TileList};
    let space = Arc::new(AddressSpace::open(DEMO).unwrap());
    let filters = Filters::default();
    let visible = filters.visible(&space);
    let input = LayoutInput { space: &space, visible: &visible };
    for kind in ViewKind::ALL {
        let layout = memscape::layout::layout(kind, &input);
        let BuiltScene::Flat(scene) = build(&space, &SceneKey::Flat { kind, filters: filters.clone() }, 1) else {
            panic!("not a flat scene")
        };
        assert!(scene.layout.tiles.is_empty(), "{kind:?}: the layout's tiles were kept beside the quads");
        let tiles = scene.tiles();
        assert_eq!(tiles.tile_count(), layout.tiles.len(), "{kind:?}");
        for (i, t) in layout.tiles.iter().enumerate() {
            assert_eq!(tiles.tile_at(i).as_ref(), Some(t), "{kind:?}: tile {i}");
        }
        assert_eq!(tiles.tile_at(layout.tiles.len()), None);
        assert_eq!(tiles.tile_bounds(), layout.bounds);
        assert_eq!((scene.layout.labels.len(), scene.layout.ticks.len()), (layout.labels.len(), layout.ticks.len()));

        let index = HitIndex::new(&layout);
        let b = layout.bounds;
        let mut hits = 0;
        for k in 0..4000 {
            let (fx, fy) = ((k % 80) as f32 / 79.0, (k / 80) as f32 / 49.0);
            let p = [b.min[0] + (b.max[0] - b.min[0]) * fx, b.min[1] + (b.max[1] - b.min[1]) * fy];
            let want = index.hit(&layout, p);
            assert_eq!(scene.hit().hit(&tiles, p), want, "{kind:?}: point {p:?}");
            hits += usize::from(want.is_some());
        }
        assert!(hits > 1000, "{kind:?}: only {hits} points hit");
    }
    let compressed =
        ViewKind::ALL.into_iter().any(|kind| memscape::layout::layout(kind, &input).tiles.iter().any(|t| t.compressed));
    assert!(compressed, "no view has a compressed tile to check");
}

#[test]
fn a_3d_scene_brings_its_levels_of_detail_and_a_click_keeps_them() {
    // The levels are built with the scene (on the worker for a big dump),
    // not by the renderer on the UI thread; a new selection restyles the
    // boxes and keeps them, a new colouring builds them again.
    let space = Arc::new(AddressSpace::open(DEMO).unwrap());
    let key = key_3d(View::Volume, None);
    let BuiltScene::ThreeD(mut scene) = build(&space, &key, 1) else { panic!("not a 3D scene") };
    let parts = Arc::clone(&scene.parts);
    assert!(Arc::ptr_eq(&parts.instances, &scene.instances), "the parts copied the instances");
    let shown = scene.instances.iter().filter(|b| b.color.to_le_bytes()[3] > 0).count();
    assert_eq!(parts.count(), shown, "every box that shows is in a part");
    assert!(!parts.opaque.boxes.is_empty() && !parts.translucent.boxes.is_empty());

    // A region drawn opaque: selecting it adds no box to a part.
    use memscape::layout::layout3d::BoxList;
    let opaque = (0..scene.instances.len()).find(|&i| scene.instances[i].color.to_le_bytes()[3] == 255).unwrap();
    let region = scene.boxes().box_at(opaque).unwrap().region;
    let volume = VolumeStyle::default();
    scene.restyle(&space, &Filters::default(), Some(&volume), Some(region), 2);
    assert!(Arc::ptr_eq(&scene.parts.opaque.lod, &parts.opaque.lod), "a click rebuilt the levels");
    assert!(scene.parts.opaque.boxes.iter().chain(scene.parts.translucent.boxes.iter()).any(|b| b.flags & 1 != 0));
    let filters = Filters { color_mode: memscape::scene::theme::ColorMode::Protection, ..Filters::default() };
    scene.restyle(&space, &filters, Some(&volume), Some(region), 3);
    assert!(!Arc::ptr_eq(&scene.parts.opaque.lod, &parts.opaque.lod), "a new colouring kept the old levels");
}

#[test]
fn a_big_3d_scene_is_recoloured_on_a_worker_and_a_click_at_once() {
    // A new colouring of a big 3D scene builds its levels of detail again
    // (most of a second at a million boxes): the window's scene cache does
    // it on a worker and keeps the old scene meanwhile; a click keeps the
    // levels and is applied at once. The result is what a fresh build gives.
    use memscape::scene::theme::ColorMode;
    let (path, space) = big_space("restyle");
    let key = |color_mode, selected| SceneKey::ThreeD {
        view: View::Volume,
        filters: Filters { color_mode, ..Filters::default() },
        metric: HeightMetric::Size,
        volume: VolumeStyle::default(),
        selected,
    };
    let mut cache = SceneCache::default();
    let waker = Waker::none();
    let settle = |cache: &mut SceneCache, key: &SceneKey| {
        settled(cache, &space, key, &waker);
    };
    let kind = key(ColorMode::Kind, None);
    assert_eq!(cache.update(&space, &kind, &waker), SceneUpdate::Building, "a big scene is built on a worker");
    settle(&mut cache, &kind);
    let before = cache.three_d().unwrap().instances.clone();

    // A new colouring: on a worker, the old scene shown meanwhile.
    let protection = key(ColorMode::Protection, None);
    assert_eq!(cache.update(&space, &protection, &waker), SceneUpdate::Building);
    assert!(std::sync::Arc::ptr_eq(&cache.three_d().unwrap().instances, &before), "the old scene was replaced at once");
    // Changes made while it works follow it.
    let state = key(ColorMode::State, None);
    assert_eq!(cache.update(&space, &state, &waker), SceneUpdate::Building);
    settle(&mut cache, &state);
    let fresh = |key: &SceneKey| match build(&space, key, 1) {
        BuiltScene::ThreeD(s) => s.instances,
        BuiltScene::Flat(_) => panic!("not a 3D scene"),
    };
    assert!(cache.three_d().unwrap().instances[..] == fresh(&state)[..], "the restyled scene is not a fresh one");

    // A click: at once, and the levels stay.
    let lod = std::sync::Arc::clone(&cache.three_d().unwrap().parts.opaque.lod);
    let clicked = key(ColorMode::State, Some(5));
    assert_eq!(cache.update(&space, &clicked, &waker), SceneUpdate::Current);
    let scene = cache.three_d().unwrap();
    assert!(std::sync::Arc::ptr_eq(&scene.parts.opaque.lod, &lod), "a click rebuilt the levels");
    assert!(scene.instances[..] == fresh(&clicked)[..]);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_big_3d_scene_is_shown_before_its_picking_index_which_a_worker_adds() {
    // The window's big 3D scenes are put in place without their picking
    // index (Picking::Later: building it beside the instances held the
    // scene back); the cache then builds it on a worker and puts it in.
    // Meanwhile the window picks by a scan. Both pick as the index of a
    // scene built with it does.
    use memscape::layout::hit3d::pick_scan;
    use memscape::layout::layout3d::BoxList;
    let (path, space) = big_space("index");
    let key = key_3d(View::City, None);
    let mut cache = SceneCache::default();
    let waker = Waker::none();
    assert_eq!(settled(&mut cache, &space, &key, &waker), SceneUpdate::Installed { new_view: true });
    assert!(!cache.three_d().unwrap().has_hit_index(), "the scene waited for its index");
    assert!(cache.is_indexing(), "no worker builds the index");

    let BuiltScene::ThreeD(eager) = build(&space, &key, 1) else { panic!("not a 3D scene") };
    assert!(cache.three_d().unwrap().instances[..] == eager.instances[..], "the boxes are not in layout order");
    let rays: Vec<([f32; 3], [f32; 3])> = {
        let boxes = eager.boxes();
        (0..boxes.box_count())
            .step_by((boxes.box_count() / 150).max(1))
            .filter_map(|i| boxes.box_at(i))
            .map(|b| {
                let c = b.center();
                ([c[0], 1e6, c[2]], [0.0, -1.0, 0.0])
            })
            .collect()
    };
    let want: Vec<_> = rays.iter().map(|&(o, d)| eager.hit().pick(&eager.boxes(), o, d, |_| false)).collect();
    assert!(want.iter().filter(|p| p.is_some()).count() > rays.len() / 2);
    let scene = cache.three_d().unwrap();
    let scanned: Vec<_> = rays.iter().map(|&(o, d)| pick_scan(&scene.boxes(), o, d, |_| false)).collect();
    assert_eq!(scanned, want, "a scan picks otherwise than the index");
    let want_regions: Vec<Option<u32>> =
        want.iter().map(|p| p.and_then(|(i, _)| eager.boxes().box_at(i)).map(|b| b.region)).collect();
    let picked: Vec<_> = rays.iter().map(|&(o, d)| scene.pick(o, d, |_| false)).collect();
    assert_eq!(picked, want_regions, "the scene picks otherwise than the index before it is in");

    indexed(&mut cache, &space, &key, &waker);
    let scene = cache.three_d().unwrap();
    let index = scene.hit_if_built().expect("the worker's index was not put in place");
    let got: Vec<_> = rays.iter().map(|&(o, d)| index.pick(&scene.boxes(), o, d, |_| false)).collect();
    assert_eq!(got, want);
    let picked: Vec<_> = rays.iter().map(|&(o, d)| scene.pick(o, d, |_| false)).collect();
    assert_eq!(picked, want_regions, "the scene picks otherwise than the index once it is in");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_big_flat_scene_is_shown_before_its_picking_index_which_a_worker_adds() {
    // As a big 3D scene (above): the window's big flat scenes are put in
    // place without their picking index, which a worker adds; meanwhile
    // the window picks by a scan of the tiles. A flat scene's index does
    // not take the place of the 3D scene's (each view keeps its own).
    use memscape::layout::TileList;
    let (path, space) = big_space("flat-index");
    let (mut cache, waker) = (SceneCache::default(), Waker::none());
    let installed = SceneUpdate::Installed { new_view: true };
    assert_eq!(settled(&mut cache, &space, &key_3d(View::City, None), &waker), installed);
    let key = SceneKey::Flat { kind: ViewKind::Hilbert, filters: Filters::default() };
    assert_eq!(settled(&mut cache, &space, &key, &waker), installed);
    assert!(!cache.flat().unwrap().has_hit_index(), "the scene waited for its index");
    assert!(cache.is_indexing(), "no worker builds the index");

    let BuiltScene::Flat(eager) = build(&space, &key, 1) else { panic!("not a flat scene") };
    assert!(eager.has_hit_index());
    let points: Vec<[f32; 2]> = {
        let tiles = eager.tiles();
        let step = (tiles.tile_count() / 300).max(1);
        (0..tiles.tile_count()).step_by(step).filter_map(|i| tiles.tile_at(i)).map(|t| t.rect.center()).collect()
    };
    let want: Vec<Option<u32>> = points.iter().map(|&p| eager.hit().hit(&eager.tiles(), p)).collect();
    assert!(want.iter().all(Option::is_some), "a tile's centre picks nothing");
    let scanned: Vec<_> = points.iter().map(|&p| cache.flat().unwrap().pick(p)).collect();
    assert_eq!(scanned, want, "a scan picks otherwise than the index");

    indexed(&mut cache, &space, &key, &waker);
    let scene = cache.flat().unwrap();
    assert!(scene.has_hit_index(), "the worker's index was not put in place");
    let got: Vec<_> = points.iter().map(|&p| scene.pick(p)).collect();
    assert_eq!(got, want);
    assert!(cache.three_d().unwrap().has_hit_index(), "the 3D scene's index was dropped");
    let _ = std::fs::remove_file(&path);
}
