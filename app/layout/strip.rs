//! The strip layout (contract only; the implementation lands next).

use super::{LayoutInput, MapLayout};

pub fn layout_strip(_input: &LayoutInput<'_>) -> MapLayout {
    MapLayout::default()
}
