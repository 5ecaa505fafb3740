//! A flat view's scene: the layout, its picking index, the GPU's quads and
//! their levels of detail, built once per layout and colouring and used by
//! the window and by pictures alike. Pictures never pick, so their scenes
//! build the index only if asked ([`Picking`]).
//!
//! The tiles are kept once: their rectangles (and whether they are
//! compressed) in the quads, their regions beside them ([`SceneTiles`]).
//! The layout's own `Vec<Tile>` is dropped once the quads are made: at a
//! million tiles it is another 24 MB.

use std::borrow::Cow;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use super::index_job::UntilCancelled;
use super::params::{Filters, Picking, region_items};
use super::theme;
use crate::dump::AddressSpace;
use crate::layout::TileList;
use crate::layout::hit::{self, HitIndex};
use crate::layout::{self, Layout2d, Tile};
use crate::render::lod::QuadLod;
use crate::render::quad_instance::QuadInstance;

/// Everything a flat view draws; rebuilt only when the dump, the view kind,
/// the filters or the colouring change.
pub struct Scene2d {
    /// The layout's labels, ticks and bounds. Its `tiles` are empty: they
    /// are [`Scene2d::tiles`].
    pub layout: Layout2d,
    /// The picking index ([`Scene2d::hit`]), built with the scene, on first
    /// use, or by a worker after the scene is shown ([`Picking::Later`]).
    hit: OnceLock<HitIndex>,
    /// One quad per tile (level 0, [`Scene2d::instances`]) and their coarser
    /// levels, as the GPU draws them.
    pub lod: Arc<QuadLod>,
    /// Each tile's region, beside the level-0 quads.
    regions: Arc<[u32]>,
    /// Changes whenever `instances` change, so the GPU copy is refreshed.
    pub generation: u64,
}

impl Scene2d {
    /// The scene of `layout` with its picking index.
    pub fn new(space: &AddressSpace, layout: Layout2d, filters: &Filters, generation: u64) -> Scene2d {
        Scene2d::with_picking(space, layout, filters, generation, Picking::Now)
    }

    /// The scene of `layout`, its picking index built now, on first use,
    /// or later by a worker (see [`Picking`]).
    pub fn with_picking(
        space: &AddressSpace,
        layout: Layout2d,
        filters: &Filters,
        generation: u64,
        picking: Picking,
    ) -> Scene2d {
        let quads = || Arc::new(QuadLod::build_owned(build_instances(space, &layout, filters)));
        let (hit, lod) = picking.build(|| HitIndex::new(&layout), quads);
        let mut layout = layout;
        let regions = layout.tiles.iter().map(|t| t.region).collect();
        layout.tiles = Vec::new();
        Scene2d { layout, hit, lod, regions, generation }
    }

    /// The tiles, by index in drawing order.
    pub fn tiles(&self) -> SceneTiles<'_> {
        SceneTiles { quads: self.instances(), regions: &self.regions, bounds: self.layout.bounds }
    }

    /// Whether the picking index is built.
    pub fn has_hit_index(&self) -> bool {
        self.hit.get().is_some()
    }

    /// The picking index (built now if the scene was built without it).
    pub fn hit(&self) -> &HitIndex {
        self.hit.get_or_init(|| HitIndex::new(&self.tiles()))
    }

    /// The region drawn at world point `p`: through the picking index when
    /// it is built, else by a scan of the tiles (a few milliseconds at a
    /// million; never building the index on the caller's thread).
    pub fn pick(&self, p: [f32; 2]) -> Option<u32> {
        match self.hit.get() {
            Some(hit) => hit.hit(&self.tiles(), p),
            None => hit::hit_scan(&self.tiles(), p),
        }
    }

    /// The tiles, shared (no copy), for a worker to build their picking
    /// index from while the window shows this scene ([`Picking::Later`]).
    pub fn shared_tiles(&self) -> SharedTiles {
        SharedTiles { lod: Arc::clone(&self.lod), regions: Arc::clone(&self.regions), bounds: self.layout.bounds }
    }

    /// Puts a [`SharedTiles::hit_index`] of this scene in place, unless one is there.
    pub fn set_hit_index(&mut self, index: HitIndex) {
        let _ = self.hit.set(index);
    }

    /// Indices into [`Scene2d::tiles`] of the tiles that draw `region`, in
    /// drawing order (see [`region_items`]).
    fn tile_indices(&self, region: u32) -> Cow<'_, [u32]> {
        let indexed = self.hit.get().map(|hit| hit.tiles_of(region));
        region_items(indexed, self.regions.iter().copied(), region)
    }

    /// One quad per tile, in tile order (level 0 of the levels of detail,
    /// kept once).
    pub fn instances(&self) -> &[QuadInstance] {
        level0(&self.lod)
    }

    /// A region's largest tile (world units), if it has one.
    pub fn largest_tile(&self, region: u32) -> Option<layout::Rect> {
        let tiles = self.tiles();
        self.tile_indices(region)
            .iter()
            .filter_map(|&t| tiles.tile_at(t as usize))
            .map(|t| t.rect)
            .max_by(|a, b| a.area().total_cmp(&b.area()))
    }

    /// A region's tiles (world units), at most `max` of them.
    pub fn tiles_of(&self, region: u32, max: usize) -> Vec<layout::Rect> {
        let tiles = self.tiles();
        self.tile_indices(region).iter().take(max).filter_map(|&t| tiles.tile_at(t as usize)).map(|t| t.rect).collect()
    }
}

/// A scene's tiles, shared ([`Scene2d::shared_tiles`]).
pub struct SharedTiles {
    lod: Arc<QuadLod>,
    regions: Arc<[u32]>,
    bounds: layout::Rect,
}

impl SharedTiles {
    /// The scene's picking index; an empty one once `cancel` is set
    /// (see [`UntilCancelled`]).
    pub fn hit_index(&self, cancel: &AtomicBool) -> HitIndex {
        let quads = level0(&self.lod);
        let tiles = SceneTiles { quads, regions: &self.regions, bounds: self.bounds };
        HitIndex::new(&UntilCancelled { list: &tiles, cancel })
    }
}

/// The level-0 quads of `lod`: one per tile.
fn level0(lod: &QuadLod) -> &[QuadInstance] {
    let level0 = lod.levels.first().map_or(0..0, |l| l.range.clone());
    &lod.instances[level0.start as usize..level0.end as usize]
}

/// A scene's tiles: rectangles and the compressed flag from the level-0
/// quads, regions from beside them.
#[derive(Clone, Copy)]
pub struct SceneTiles<'a> {
    quads: &'a [QuadInstance],
    regions: &'a [u32],
    bounds: layout::Rect,
}

impl TileList for SceneTiles<'_> {
    fn tile_count(&self) -> usize {
        self.quads.len().min(self.regions.len())
    }

    fn tile_at(&self, i: usize) -> Option<Tile> {
        let (q, &region) = (self.quads.get(i)?, self.regions.get(i)?);
        let rect = layout::Rect { min: q.min, max: q.max };
        Some(Tile { rect, region, compressed: q.flags & QuadInstance::COMPRESSED != 0 })
    }

    fn tile_bounds(&self) -> layout::Rect {
        self.bounds
    }
}

/// One quad per tile, coloured by the filters' colouring; compressed gaps
/// are flagged so the shader hatches them, and memory that died since a
/// compared dump so that it draws only an outline (a ghost).
pub fn build_instances(space: &AddressSpace, layout: &Layout2d, filters: &Filters) -> Vec<QuadInstance> {
    layout
        .tiles
        .par_iter()
        .map(|t| {
            let i = t.region as usize;
            let color = space.regions.get(i).map(|r| filters.color_of(i, r)).unwrap_or(theme::MAP_BACKGROUND);
            let mut flags = if t.compressed { QuadInstance::COMPRESSED } else { 0 };
            if filters.is_ghost(i) {
                flags |= QuadInstance::GHOST;
            }
            QuadInstance { min: t.rect.min, max: t.rect.max, color: u32::from_le_bytes(color.to_array()), flags }
        })
        .collect()
}
