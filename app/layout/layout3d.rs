//! The 3D views' geometry (City and Volume): boxes in world space, each
//! naming its region, plus floating labels and ground marks. Pure data; the
//! City and Volume layouts fill it, the render layer draws it, picking
//! intersects rays with it.
//!
//! World axes: x to the right, y up, z towards the viewer; the ground is the
//! plane y = 0.

use std::sync::Arc;

/// What a City box's height encodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum HeightMetric {
    /// Region size (log-scaled, so a 2 TiB reservation does not dwarf a DLL).
    #[default]
    Size,
    /// Committed bytes (0 for reserved and free space).
    Committed,
    /// Bytes of the region captured in the dump.
    Captured,
    /// Protection class: no access < read < write < execute < execute+write.
    Protection,
    /// The owning thread's CPU time (stacks and TEBs; others flat).
    CpuTime,
}

impl HeightMetric {
    pub const ALL: [HeightMetric; 5] = [
        HeightMetric::Size,
        HeightMetric::Committed,
        HeightMetric::Captured,
        HeightMetric::Protection,
        HeightMetric::CpuTime,
    ];

    pub fn name(self) -> &'static str {
        match self {
            HeightMetric::Size => "size",
            HeightMetric::Committed => "committed",
            HeightMetric::Captured => "captured",
            HeightMetric::Protection => "protection",
            HeightMetric::CpuTime => "cpu",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            HeightMetric::Size => "Size",
            HeightMetric::Committed => "Committed",
            HeightMetric::Captured => "Captured",
            HeightMetric::Protection => "Protection",
            HeightMetric::CpuTime => "CPU time",
        }
    }
}

/// An axis-aligned box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Box3 {
    pub min: [f32; 3],
    pub max: [f32; 3],
    /// Index into `AddressSpace::regions`.
    pub region: u32,
    /// Stands for a gap or huge reservation drawn smaller than its true size.
    pub compressed: bool,
}

impl Box3 {
    pub fn center(&self) -> [f32; 3] {
        [(self.min[0] + self.max[0]) * 0.5, (self.min[1] + self.max[1]) * 0.5, (self.min[2] + self.max[2]) * 0.5]
    }
}

/// Boxes held one way or another, by index: a layout's `Vec<Box3>`, or a
/// scene that keeps their corners only in its GPU instances (at a million
/// boxes a second copy is 32 MB). Picking and region lookups read them so.
pub trait BoxList {
    fn box_count(&self) -> usize;
    /// Box `i`; `Some` for every `i < box_count()`.
    fn box_at(&self, i: usize) -> Option<Box3>;
}

impl BoxList for [Box3] {
    fn box_count(&self) -> usize {
        self.len()
    }
    fn box_at(&self, i: usize) -> Option<Box3> {
        self.get(i).copied()
    }
}

impl BoxList for Layout3d {
    fn box_count(&self) -> usize {
        self.boxes.len()
    }
    fn box_at(&self, i: usize) -> Option<Box3> {
        self.boxes.get(i).copied()
    }
}

/// A name floating over a box.
#[derive(Clone, Debug, PartialEq)]
pub struct Label3 {
    pub text: String,
    /// Where the label's anchor is in world space (above its box).
    pub anchor: [f32; 3],
    pub region: u32,
}

/// An address mark on the ground.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroundTick {
    pub pos: [f32; 3],
    pub addr: u64,
}

/// A whole 3D scene.
#[derive(Clone, Debug, Default)]
pub struct Layout3d {
    /// Shared, so that a scene can turn them into its instances where they
    /// are (scene3d.rs).
    pub boxes: Arc<[Box3]>,
    pub labels: Vec<Label3>,
    pub ticks: Vec<GroundTick>,
    /// The extent of all boxes.
    pub bounds_min: [f32; 3],
    pub bounds_max: [f32; 3],
    /// The ground plane's extent (x, z), for the grid.
    pub ground_min: [f32; 2],
    pub ground_max: [f32; 2],
}
