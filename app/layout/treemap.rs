//! The treemap layout (contract only; the implementation lands next).

use super::{LayoutInput, MapLayout};

pub fn layout_treemap(_input: &LayoutInput<'_>) -> MapLayout {
    MapLayout::default()
}
