//! What the panels ask the app to do. Panels never change the document
//! themselves: they return [`Command`]s, and the app applies them once, in
//! one place (the shape of egui's demo app).

use std::path::PathBuf;

use crate::dump::RegionKind;

/// One thing a panel, a menu or a view asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Select region `index` where it is (a click on the map).
    Select(usize),
    /// Select region `index` and bring it into view (links, search).
    SelectRegion(usize),
    /// Select the region holding this address.
    SelectAddress(u64),
    SelectThread(u32),
    SelectModule(usize),
    /// Show only this kind on the map (a bar of the kinds chart).
    ShowOnlyKind(RegionKind),
    /// Select the largest region whose size lies in [lo, hi).
    SelectSizeRange(u64, u64),
    /// The threads tab is open: stack traces are wanted.
    NeedTraces,
    /// Walk the stacks again (the symbol settings changed).
    RewalkStacks,
    /// File > Open…: show a file dialog.
    ChooseDump,
    /// Open this file (recent files, drag and drop, the file dialog).
    OpenFile(PathBuf),
    OpenDemo,
    /// File > Compare with…: ask for an earlier dump to compare with.
    ChooseCompare,
    /// Compare the open dump with this earlier one (the dialog, a file
    /// dropped with Shift held).
    CompareWith(PathBuf),
    /// File > Stop comparing.
    CloseComparison,
    /// Select the region holding this address and show its bytes there (the Memory tab).
    ShowBytes(u64),
    /// What points into region `index` (the References tab).
    FindReferences(usize),
    /// Stop loading the dump being read.
    CancelLoading,
    /// Stop downloading symbols (the walk goes on with what it has).
    CancelDownloads,
    /// File > Export image…: show the export dialog.
    ShowExport,
    /// The export dialog's Save: ask where, then render.
    Export,
    ShowSymbolSettings,
    /// Run the search box's query.
    Search,
    DismissError,
}
