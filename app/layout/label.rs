//! Short names for regions on the strip and Hilbert maps, and the keys that
//! decide which neighbouring regions share one name: the sections of one
//! module, the pieces of one heap allocation, a stack with its guard pages.
//!
//! Keys borrow from the regions and compare without allocating, so grouping
//! a million regions costs no strings; text is only built for the few groups
//! that end up with a label.

use super::layout2d::{LayoutSource, MapLabel, Tile};
use crate::dump::{Module, Owner, Region, RegionKind};

/// What a run of neighbouring regions is called, before it is spelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LabelKey<'a> {
    /// An image section of `modules[i]`.
    Module(usize),
    /// A piece of heap `i` (PEB.ProcessHeaps position).
    Heap(usize),
    /// A thread's stack or TEB; the region's label spells the thread id the
    /// way its platform does (0x1a2c on Windows, 1234 on Linux).
    Thread(RegionKind, u32),
    /// A mapped file, by path.
    File(&'a str),
    /// An owner-less region that the dump layer named ("PEB", "[vdso]",
    /// "KUSER_SHARED_DATA", ...).
    Text(RegionKind, &'a str),
    /// Nothing better than the kind: only worth a label when large.
    Kind(RegionKind),
}

impl LabelKey<'_> {
    /// Whether the key names something specific (a module, a heap, ...)
    /// rather than only the kind; unnamed runs need more room to be labelled.
    pub(crate) fn is_named(&self) -> bool {
        !matches!(self, LabelKey::Kind(_))
    }
}

/// The key of a region, or `None` for space that is never labelled: gaps
/// (Free, Unknown) and the slivers VMMap calls Unusable.
pub(crate) fn label_key(r: &Region) -> Option<LabelKey<'_>> {
    if matches!(r.kind, RegionKind::Free | RegionKind::Unknown | RegionKind::Unusable) {
        return None;
    }
    Some(match &r.owner {
        Owner::Module(i) => LabelKey::Module(*i as usize),
        Owner::Heap(i) => LabelKey::Heap(*i as usize),
        Owner::Thread(id) => LabelKey::Thread(r.kind, *id),
        Owner::File => LabelKey::File(&r.label),
        Owner::None if !r.label.is_empty() => LabelKey::Text(r.kind, &r.label),
        Owner::None => LabelKey::Kind(r.kind),
    })
}

/// The text for a key; `r` is one region of the run (for its label).
pub(crate) fn label_text(key: LabelKey<'_>, r: &Region, modules: &[Module]) -> String {
    match key {
        LabelKey::Module(i) => match modules.get(i) {
            Some(m) => m.name.clone(),
            None if !r.label.is_empty() => r.label.to_string(),
            None => r.kind.name().to_string(),
        },
        LabelKey::Heap(i) => format!("heap {i}"),
        LabelKey::Thread(kind, id) => {
            let what = if kind == RegionKind::Stack { "stack" } else { kind.name() };
            format!("{what} {}", thread_word(r, id))
        }
        LabelKey::File(path) => file_name(path).to_string(),
        LabelKey::Text(_, text) => text.to_string(),
        LabelKey::Kind(kind) => kind.name().to_string(),
    }
}

/// The thread id as the region's label spells it ("stack of thread 0xab4"
/// ends in "0xab4"), decimal when the label says nothing.
pub(crate) fn thread_word(r: &Region, id: u32) -> String {
    match r.label.rsplit(' ').next() {
        Some(word) if !word.is_empty() && word != r.label => word.to_string(),
        _ => id.to_string(),
    }
}

/// The last component of a Windows or POSIX path.
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().filter(|s| !s.is_empty()).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dump::RegionState;

    fn region(kind: RegionKind, owner: Owner, label: &str) -> Region {
        let mut r = Region::blank(0x1000, 0x1000, kind, RegionState::Commit);
        r.owner = owner;
        r.label = label.into();
        r
    }

    #[test]
    fn keys_and_texts() {
        let stack = region(RegionKind::Stack, Owner::Thread(0xab4), "stack guard of thread 0xab4");
        let key = label_key(&stack).unwrap();
        assert_eq!(key, LabelKey::Thread(RegionKind::Stack, 0xab4));
        assert_eq!(label_text(key, &stack, &[]), "stack 0xab4");
        let teb = region(RegionKind::TEB, Owner::Thread(7), "");
        assert_eq!(label_text(label_key(&teb).unwrap(), &teb, &[]), "TEB 7");
        let file = region(RegionKind::MappedFile, Owner::File, "/usr/share/locale/x.bin");
        assert_eq!(label_text(label_key(&file).unwrap(), &file, &[]), "x.bin");
        let heap = region(RegionKind::Heap, Owner::Heap(3), "heap 3");
        assert_eq!(label_text(label_key(&heap).unwrap(), &heap, &[]), "heap 3");
        let anon = region(RegionKind::PrivateData, Owner::None, "");
        assert!(!label_key(&anon).unwrap().is_named());
        assert_eq!(label_key(&region(RegionKind::Free, Owner::None, "")), None);
        assert_eq!(label_key(&region(RegionKind::Unusable, Owner::None, "rest")), None);
        assert_eq!(file_name("C:\\Windows\\System32\\ntdll.dll"), "ntdll.dll");
        assert_eq!(file_name("plain"), "plain");
    }
}

/// A run of neighbouring regions with one label key, and its biggest tile so
/// far (the widest on the strip, the largest square on the Hilbert map): the
/// run gets one label, on that tile, when it is big enough.
#[derive(Default)]
pub(crate) struct LabelRun<'a> {
    pub(crate) key: Option<LabelKey<'a>>,
    /// (tile index, size)
    pub(crate) best: Option<(usize, f32)>,
}

impl LabelRun<'_> {
    pub(crate) fn offer(&mut self, tile: usize, size: f32) {
        if self.key.is_some() && self.best.is_none_or(|(_, s)| size > s) {
            self.best = Some((tile, size));
        }
    }

    /// Labels the run when its best tile is at least `min_named` (or
    /// `min_kind` for regions named only by their kind).
    pub(crate) fn finish(
        &self,
        src: &LayoutSource<'_>,
        tiles: &[Tile],
        labels: &mut Vec<MapLabel>,
        min_named: f32,
        min_kind: f32,
    ) {
        let (Some(key), Some((best, size))) = (self.key, self.best) else { return };
        let min = if key.is_named() { min_named } else { min_kind };
        let tile = &tiles[best];
        if size < min {
            return;
        }
        let Some(r) = src.regions.get(tile.region as usize) else { return };
        labels.push(MapLabel {
            text: label_text(key, r, src.modules),
            anchor: tile.rect.center(),
            room: tile.rect,
            region: tile.region,
        });
    }
}
