//! The one palette: a distinct colour per region kind, Free as the quiet
//! background. Every view, the legend and exported pictures ask here.

use egui::Color32;

use crate::dump::RegionKind;

/// The fill colour of a region kind (dark theme).
pub fn kind_color(kind: RegionKind) -> Color32 {
    match kind {
        RegionKind::Image => Color32::from_rgb(0x4e, 0x8c, 0xf0),
        RegionKind::MappedFile => Color32::from_rgb(0x9b, 0x6c, 0xe0),
        RegionKind::Heap => Color32::from_rgb(0xf0, 0x9a, 0x3e),
        RegionKind::Stack => Color32::from_rgb(0x4c, 0xc3, 0x6a),
        RegionKind::TEB => Color32::from_rgb(0xe5, 0xd3, 0x45),
        RegionKind::PEB => Color32::from_rgb(0xef, 0x5b, 0x5b),
        RegionKind::PrivateData => Color32::from_rgb(0xe0, 0x6c, 0xb0),
        RegionKind::Shareable => Color32::from_rgb(0x3e, 0xc8, 0xc8),
        RegionKind::Unusable => Color32::from_rgb(0x80, 0x58, 0x48),
        RegionKind::Free => Color32::from_rgb(0x26, 0x2a, 0x31),
        RegionKind::Reserved => Color32::from_rgb(0x5a, 0x62, 0x70),
        RegionKind::Unknown => Color32::from_rgb(0x3a, 0x3a, 0x3a),
    }
}

/// Colour for an exception / crash highlight.
pub const CRASH: Color32 = Color32::from_rgb(0xff, 0x55, 0x55);
/// Colour for warnings.
pub const WARNING: Color32 = Color32::from_rgb(0xf0, 0xb4, 0x3c);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_colour() {
        let mut seen = std::collections::BTreeSet::new();
        for k in RegionKind::ALL {
            assert!(seen.insert(kind_color(k).to_array()), "{k} shares a colour");
        }
    }
}
