//! Which view: the flat maps ([`ViewKind`]) and every view with the 3D
//! ones ([`View`]), with the names the command line and the window use.

/// Which map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ViewKind {
    Strip,
    Hilbert,
    Treemap,
}

impl ViewKind {
    pub const ALL: [ViewKind; 3] = [ViewKind::Strip, ViewKind::Hilbert, ViewKind::Treemap];

    pub fn name(self) -> &'static str {
        match self {
            ViewKind::Strip => "strip",
            ViewKind::Hilbert => "hilbert",
            ViewKind::Treemap => "treemap",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Strip => "Strip",
            ViewKind::Hilbert => "Hilbert",
            ViewKind::Treemap => "Treemap",
        }
    }
}

/// Any view the window and `memscape shot` offer: a flat map or a 3D one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    Flat(ViewKind),
    City,
    Volume,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Flat(ViewKind::Strip),
        View::Flat(ViewKind::Hilbert),
        View::Flat(ViewKind::Treemap),
        View::City,
        View::Volume,
    ];

    pub fn name(self) -> &'static str {
        match self {
            View::Flat(k) => k.name(),
            View::City => "city",
            View::Volume => "volume",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            View::Flat(k) => k.title(),
            View::City => "City",
            View::Volume => "Volume",
        }
    }

    /// The view named `name` (as `memscape shot --view` spells it).
    pub fn from_name(name: &str) -> Option<View> {
        View::ALL.into_iter().find(|v| v.name().eq_ignore_ascii_case(name))
    }
}
