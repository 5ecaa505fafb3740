//! The one palette: a distinct colour per region kind, Free as the quiet
//! background. Every view, the legend and exported pictures ask here.

use egui::Color32;

use crate::analysis::byte_stats::RegionBytes;
use crate::analysis::compare::ChangeClass;
use crate::dump::{Protection, Region, RegionKind, RegionState};

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

/// What the map's colours encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorMode {
    #[default]
    Kind,
    Protection,
    State,
    Captured,
    /// Born, died, changed or unchanged since the dump compared with (only
    /// while comparing; every region is unchanged otherwise).
    Change,
    /// The Shannon entropy of the region's captured bytes.
    Entropy,
    /// The class most of the region's captured bytes are in (binvis').
    ByteClass,
}

/// What the map knows of a region beyond the region itself: its change
/// since a compared dump, and its captured bytes' figures (once computed).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RegionFacts {
    pub change: ChangeClass,
    pub bytes: Option<RegionBytes>,
}

impl ColorMode {
    pub const ALL: [ColorMode; 7] = [
        ColorMode::Kind,
        ColorMode::Protection,
        ColorMode::State,
        ColorMode::Captured,
        ColorMode::Entropy,
        ColorMode::ByteClass,
        ColorMode::Change,
    ];

    /// The colouring named `name` (its title, any case, or `class` / `bytes` for Byte class).
    pub fn from_name(name: &str) -> Option<ColorMode> {
        let n = name.trim().to_ascii_lowercase();
        if matches!(n.as_str(), "class" | "bytes" | "byte-class") {
            return Some(ColorMode::ByteClass);
        }
        ColorMode::ALL.into_iter().find(|m| m.title().eq_ignore_ascii_case(&n))
    }

    pub fn title(self) -> &'static str {
        match self {
            ColorMode::Kind => "Kind",
            ColorMode::Protection => "Protection",
            ColorMode::State => "State",
            ColorMode::Captured => "Captured",
            ColorMode::Change => "Change",
            ColorMode::Entropy => "Entropy",
            ColorMode::ByteClass => "Byte class",
        }
    }

    /// Whether the colouring reads the captured bytes (figured on a worker first).
    pub fn reads_bytes(self) -> bool {
        matches!(self, ColorMode::Entropy | ColorMode::ByteClass)
    }
}

/// Protection classes the Protection colouring distinguishes, in legend order.
pub const PROTECTION_CLASSES: [(&str, Color32); 7] = [
    ("no access / none", Color32::from_rgb(0x3a, 0x3e, 0x46)),
    ("read-only", Color32::from_rgb(0x5b, 0x8d, 0xd6)),
    ("read-write", Color32::from_rgb(0x56, 0xb8, 0x6b)),
    ("write-copy", Color32::from_rgb(0x9f, 0xc8, 0x5a)),
    ("execute (+read)", Color32::from_rgb(0xe8, 0x9a, 0x3c)),
    ("execute + write", Color32::from_rgb(0xe8, 0x4a, 0x4a)),
    ("guard page", Color32::from_rgb(0xd6, 0x5c, 0xd6)),
];

fn protection_class(p: Protection) -> usize {
    let base = p.0 & 0xFF;
    if p.is_guard() {
        6
    } else if base & (Protection::EXECUTE_READWRITE | Protection::EXECUTE_WRITECOPY) != 0 {
        5
    } else if p.is_executable() {
        4
    } else if base & Protection::WRITECOPY != 0 {
        3
    } else if base & Protection::READWRITE != 0 {
        2
    } else if base & Protection::READONLY != 0 {
        1
    } else {
        0
    }
}

/// State colours, in legend order.
pub const STATE_COLORS: [(&str, Color32); 4] = [
    ("Commit", Color32::from_rgb(0x4e, 0x8c, 0xf0)),
    ("Reserve", Color32::from_rgb(0x5a, 0x62, 0x70)),
    ("Free", Color32::from_rgb(0x26, 0x2a, 0x31)),
    ("Unknown", Color32::from_rgb(0x3a, 0x3a, 0x3a)),
];

/// Captured-bytes colours, in legend order.
pub const CAPTURED_COLORS: [(&str, Color32); 3] = [
    ("fully captured", Color32::from_rgb(0x4c, 0xc3, 0x6a)),
    ("partly captured", Color32::from_rgb(0xe5, 0xd3, 0x45)),
    ("not captured", Color32::from_rgb(0x4a, 0x4f, 0x58)),
];

/// Change colours, in legend order ([`ChangeClass::ALL`]'s, then free space
/// that stayed free). Unchanged regions keep their kind's colour, dimmed;
/// the swatch stands for them all.
pub const CHANGE_COLORS: [(&str, Color32); 5] = [
    ("born", Color32::from_rgb(0x3c, 0xd8, 0x6c)),
    ("died (outline)", Color32::from_rgb(0xf2, 0x4e, 0x4e)),
    ("changed", Color32::from_rgb(0xf0, 0xb0, 0x30)),
    ("unchanged (dimmed)", Color32::from_rgb(0x4a, 0x4f, 0x58)),
    ("free in both", Color32::from_rgb(0x26, 0x2a, 0x31)),
];

/// Entropy colours, a bucket per bit a byte (0-1 … 7-8), then regions
/// without captured bytes: from flat (zeros, fills) to random (compressed,
/// encrypted).
pub const ENTROPY_COLORS: [(&str, Color32); 9] = [
    ("0-1 bits/byte", Color32::from_rgb(0x23, 0x2f, 0x7a)),
    ("1-2", Color32::from_rgb(0x2c, 0x55, 0xb0)),
    ("2-3", Color32::from_rgb(0x2a, 0x86, 0xc4)),
    ("3-4", Color32::from_rgb(0x2e, 0xb0, 0xa8)),
    ("4-5", Color32::from_rgb(0x5c, 0xc8, 0x6a)),
    ("5-6", Color32::from_rgb(0xb4, 0xd4, 0x3c)),
    ("6-7", Color32::from_rgb(0xf0, 0xb4, 0x30)),
    ("7-8 (random)", Color32::from_rgb(0xe8, 0x4a, 0x3a)),
    ("not captured", Color32::from_rgb(0x3a, 0x3e, 0x46)),
];

/// Byte-class colours (binvis' classes, on a dark map), then regions
/// without captured bytes.
pub const BYTE_CLASS_COLORS: [(&str, Color32); 6] = [
    ("mostly zero", Color32::from_rgb(0x6a, 0x70, 0x7c)),
    ("mostly control bytes", Color32::from_rgb(0x4c, 0xc3, 0x6a)),
    ("mostly printable ASCII", Color32::from_rgb(0x4e, 0x8c, 0xf0)),
    ("mostly high bytes", Color32::from_rgb(0xef, 0x5b, 0x5b)),
    ("mostly 0xff", Color32::from_rgb(0xf0, 0xf0, 0xf0)),
    ("not captured", Color32::from_rgb(0x3a, 0x3e, 0x46)),
];

/// How far an unchanged region's colour moves towards the map background
/// in the Change colouring.
const UNCHANGED_DIM: f32 = 0.7;

/// The legend entry index a region falls in under `mode` (see [`legend`]);
/// `facts` are read by the Change, Entropy and Byte class colourings.
pub fn legend_index(mode: ColorMode, r: &Region, facts: RegionFacts) -> usize {
    let change = facts.change;
    match mode {
        ColorMode::Entropy => match facts.bytes {
            Some(b) => (b.entropy.clamp(0.0, 7.999) as usize).min(7),
            None => 8,
        },
        ColorMode::ByteClass => facts.bytes.map_or(5, |b| b.class.index()),
        ColorMode::Change if change == ChangeClass::Unchanged && r.kind == RegionKind::Free => 4,
        ColorMode::Change => ChangeClass::ALL.iter().position(|c| *c == change).unwrap_or(3),
        ColorMode::Kind => r.kind.index(),
        ColorMode::Protection => {
            if r.state == RegionState::Free || r.state == RegionState::Unknown {
                0
            } else {
                protection_class(r.protect)
            }
        }
        ColorMode::State => match r.state {
            RegionState::Commit => 0,
            RegionState::Reserve => 1,
            RegionState::Free => 2,
            RegionState::Unknown => 3,
        },
        ColorMode::Captured => {
            if r.captured_bytes == 0 {
                2
            } else if r.captured_bytes >= r.size_bytes {
                0
            } else {
                1
            }
        }
    }
}

/// The legend of a colour mode: (name, colour) per entry.
pub fn legend(mode: ColorMode) -> Vec<(&'static str, Color32)> {
    match mode {
        ColorMode::Kind => RegionKind::ALL.iter().map(|k| (k.name(), kind_color(*k))).collect(),
        ColorMode::Protection => PROTECTION_CLASSES.to_vec(),
        ColorMode::State => STATE_COLORS.to_vec(),
        ColorMode::Captured => CAPTURED_COLORS.to_vec(),
        ColorMode::Change => CHANGE_COLORS.to_vec(),
        ColorMode::Entropy => ENTROPY_COLORS.to_vec(),
        ColorMode::ByteClass => BYTE_CLASS_COLORS.to_vec(),
    }
}

/// The fill colour of a region under `mode` (`facts`: what the Change,
/// Entropy and Byte class colourings read). Free space stays the quiet
/// background colour in every mode, except where memory died (a ghost of
/// what was).
pub fn region_color(mode: ColorMode, r: &Region, facts: RegionFacts) -> Color32 {
    if mode == ColorMode::Change && facts.change != ChangeClass::Unchanged {
        return CHANGE_COLORS[legend_index(mode, r, facts)].1;
    }
    if r.kind == RegionKind::Free {
        return kind_color(RegionKind::Free);
    }
    match mode {
        ColorMode::Kind => kind_color(r.kind),
        ColorMode::Protection => PROTECTION_CLASSES[legend_index(mode, r, facts)].1,
        ColorMode::State => STATE_COLORS[legend_index(mode, r, facts)].1,
        ColorMode::Captured => CAPTURED_COLORS[legend_index(mode, r, facts)].1,
        ColorMode::Entropy => ENTROPY_COLORS[legend_index(mode, r, facts)].1,
        ColorMode::ByteClass => BYTE_CLASS_COLORS[legend_index(mode, r, facts)].1,
        ColorMode::Change => dim(kind_color(r.kind), MAP_BACKGROUND, UNCHANGED_DIM),
    }
}

/// `c` moved `amount` (0..=1) of the way towards `to`.
fn dim(c: Color32, to: Color32, amount: f32) -> Color32 {
    let mix = |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * amount).round() as u8;
    Color32::from_rgb(mix(c.r(), to.r()), mix(c.g(), to.g()), mix(c.b(), to.b()))
}

/// The map's background behind all tiles.
pub const MAP_BACKGROUND: Color32 = Color32::from_rgb(0x12, 0x14, 0x18);
/// Outline of the selected region.
pub const SELECTION: Color32 = Color32::from_rgb(0xff, 0xff, 0xff);
/// Outline of the hovered region.
pub const HOVER: Color32 = Color32::from_rgb(0xff, 0xe0, 0x80);
/// Map labels and ticks.
pub const MAP_TEXT: Color32 = Color32::from_rgb(0xf0, 0xf0, 0xf0);
pub const MAP_TICK: Color32 = Color32::from_rgb(0xc8, 0xcf, 0xd8);
/// Behind tick text, so it reads over any region colour.
pub const MAP_TICK_BACKING: Color32 = Color32::from_rgba_premultiplied(0x08, 0x0a, 0x0c, 0xc0);

/// The 3D views' sky gradient.
pub const SKY_TOP: Color32 = Color32::from_rgb(0x0b, 0x10, 0x1c);
pub const SKY_BOTTOM: Color32 = Color32::from_rgb(0x2a, 0x34, 0x4a);
/// Free space in the City: the streets between the buildings.
pub const CITY_STREET: Color32 = Color32::from_rgb(0x1c, 0x20, 0x27);

/// Colour for an exception / crash highlight.
pub const CRASH: Color32 = Color32::from_rgb(0xff, 0x55, 0x55);
/// Pattern severities below Critical (which uses CRASH).
pub const SEVERITY_ERROR: Color32 = Color32::from_rgb(0xf0, 0x80, 0x50);
pub const SEVERITY_INFO: Color32 = Color32::from_rgb(0x8c, 0xb4, 0xe6);
/// The badge over regions a selected finding involves.
pub const FINDING_MARK: Color32 = Color32::from_rgb(0xff, 0x4d, 0xa6);

/// Colour for warnings.
pub const WARNING: Color32 = Color32::from_rgb(0xf0, 0xb4, 0x3c);

/// The look of an exported picture: the window's dark look or a light one for
/// print and slides. Region colours stay the palette's in both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ExportTheme {
    #[default]
    Dark,
    Light,
}

impl ExportTheme {
    pub const ALL: [ExportTheme; 2] = [ExportTheme::Dark, ExportTheme::Light];

    pub fn name(self) -> &'static str {
        match self {
            ExportTheme::Dark => "dark",
            ExportTheme::Light => "light",
        }
    }

    pub fn from_name(name: &str) -> Option<ExportTheme> {
        ExportTheme::ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// The colours of a picture in this theme (Dark is the window's).
    pub fn palette(self) -> Palette {
        match self {
            ExportTheme::Dark => Palette::WINDOW,
            ExportTheme::Light => Palette {
                background: LIGHT_MAP_BACKGROUND,
                sky_top: LIGHT_SKY_TOP,
                sky_bottom: LIGHT_SKY_BOTTOM,
                tick: Color32::from_rgb(0x30, 0x36, 0x40),
                tick_backing: Color32::from_rgba_premultiplied(0xe6, 0xe8, 0xec, 0xd8),
                tick_on_backing: Color32::from_rgb(0x30, 0x36, 0x40),
                panel: Color32::from_rgba_premultiplied(0xf4, 0xf5, 0xf7, 0xe6),
                panel_stroke: Color32::from_rgb(0xb8, 0xbe, 0xc8),
                text: Color32::from_rgb(0x14, 0x16, 0x1a),
                text_weak: Color32::from_rgb(0x50, 0x58, 0x64),
                leader: Color32::from_rgb(0x20, 0x24, 0x2a),
                ..Palette::WINDOW
            },
        }
    }
}

/// The colours a view is painted with around the regions themselves (the
/// region colours are the palette's in every theme): the window's, or an
/// export theme's. The painters take one, so a picture in the light theme is
/// painted light rather than recoloured afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Behind the flat maps' tiles.
    pub background: Color32,
    /// The 3D views' sky gradient (premultiplied; alpha 0 for a transparent sky).
    pub sky_top: Color32,
    pub sky_bottom: Color32,
    /// Axis ticks and their text drawn straight on the background.
    pub tick: Color32,
    /// The plate behind tick text inside the map, and that text.
    pub tick_backing: Color32,
    pub tick_on_backing: Color32,
    /// Region labels on the map, their drop shadow, and the plate behind
    /// the 3D views' floating labels.
    pub label: Color32,
    pub label_shadow: Color32,
    pub label_plate: Color32,
    pub selection: Color32,
    pub hover: Color32,
    /// Regions a selected pattern finding involves, and its badges.
    pub mark: Color32,
    /// The translucent panels behind the title, the legend and callouts.
    pub panel: Color32,
    pub panel_stroke: Color32,
    pub text: Color32,
    pub text_weak: Color32,
    /// Callout leader lines.
    pub leader: Color32,
}

impl Palette {
    /// The window's look (and the dark export theme).
    pub const WINDOW: Palette = Palette {
        background: MAP_BACKGROUND,
        sky_top: SKY_TOP,
        sky_bottom: SKY_BOTTOM,
        tick: MAP_TICK,
        tick_backing: MAP_TICK_BACKING,
        tick_on_backing: MAP_TICK,
        label: MAP_TEXT,
        label_shadow: Color32::BLACK,
        label_plate: MAP_TICK_BACKING,
        selection: SELECTION,
        hover: HOVER,
        mark: FINDING_MARK,
        panel: Color32::from_rgba_premultiplied(0x0c, 0x0e, 0x12, 0xd8),
        panel_stroke: Color32::from_rgb(0x3a, 0x40, 0x4a),
        text: Color32::from_rgb(0xf0, 0xf0, 0xf0),
        text_weak: Color32::from_rgb(0xa8, 0xb0, 0xbc),
        leader: Color32::from_rgb(0xf0, 0xf0, 0xf0),
    };

    /// This palette with a transparent background and sky (a picture to lay over slides).
    pub fn transparent(self) -> Palette {
        Palette {
            background: Color32::TRANSPARENT,
            sky_top: Color32::TRANSPARENT,
            sky_bottom: Color32::TRANSPARENT,
            ..self
        }
    }
}

/// The light export theme's map background and sky.
pub const LIGHT_MAP_BACKGROUND: Color32 = Color32::from_rgb(0xf2, 0xf3, 0xf5);
pub const LIGHT_SKY_TOP: Color32 = Color32::from_rgb(0xf6, 0xf8, 0xfb);
pub const LIGHT_SKY_BOTTOM: Color32 = Color32::from_rgb(0xd4, 0xdc, 0xe8);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::byte_stats::ByteClass;

    #[test]
    fn legends_cover_every_index() {
        for mode in ColorMode::ALL {
            let n = legend(mode).len();
            let mut r = Region::blank(0, 0x1000, RegionKind::Image, RegionState::Commit);
            for p in [0u32, 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x104] {
                r.protect = Protection(p);
                r.captured_bytes = u64::from(p);
                for change in ChangeClass::ALL {
                    for bytes in [None, Some(RegionBytes { entropy: 8.0, class: ByteClass::Ff })] {
                        assert!(legend_index(mode, &r, RegionFacts { change, bytes }) < n);
                    }
                }
            }
        }
        let mut r = Region::blank(0, 0x1000, RegionKind::Image, RegionState::Commit);
        r.protect = Protection(0x40);
        assert_eq!(
            PROTECTION_CLASSES[legend_index(ColorMode::Protection, &r, RegionFacts::default())].0,
            "execute + write"
        );
        r.protect = Protection(0x104);
        assert_eq!(PROTECTION_CLASSES[legend_index(ColorMode::Protection, &r, RegionFacts::default())].0, "guard page");
    }

    #[test]
    fn change_colours_mark_changes_and_dim_the_rest() {
        let heap = Region::blank(0, 0x1000, RegionKind::Heap, RegionState::Commit);
        let free = Region::blank(0, 0x1000, RegionKind::Free, RegionState::Free);
        let c = |r: &Region, change| region_color(ColorMode::Change, r, RegionFacts { change, bytes: None });
        assert_eq!(c(&heap, ChangeClass::Born), CHANGE_COLORS[0].1);
        assert_eq!(c(&free, ChangeClass::Died), CHANGE_COLORS[1].1);
        assert_eq!(c(&heap, ChangeClass::Changed), CHANGE_COLORS[2].1);
        // Unchanged: the kind's colour, most of the way to the background; free stays free.
        let dimmed = c(&heap, ChangeClass::Unchanged);
        assert_ne!(dimmed, kind_color(RegionKind::Heap));
        assert!(dimmed.r() < kind_color(RegionKind::Heap).r() && dimmed.r() > MAP_BACKGROUND.r());
        assert_eq!(c(&free, ChangeClass::Unchanged), kind_color(RegionKind::Free));
        // Other modes ignore the change.
        let died = RegionFacts { change: ChangeClass::Died, bytes: None };
        assert_eq!(region_color(ColorMode::Kind, &free, died), kind_color(RegionKind::Free));
    }

    #[test]
    fn every_kind_has_its_own_colour() {
        let mut seen = std::collections::BTreeSet::new();
        for k in RegionKind::ALL {
            assert!(seen.insert(kind_color(k).to_array()), "{k} shares a colour");
        }
    }
}
