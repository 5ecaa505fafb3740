//! The hilbert layout (contract only; the implementation lands next).

use super::{LayoutInput, MapLayout};

pub fn layout_hilbert(_input: &LayoutInput<'_>) -> MapLayout {
    MapLayout::default()
}
