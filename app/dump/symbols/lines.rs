//! Source lines and inlined functions, looked up after the walk for the
//! frames it found: DWARF through addr2line (the file's own sections, mapped,
//! decompressed where compressed), PDB through pdb-addr2line (procedures,
//! line programs and inlinee records).

use std::io::Cursor;

use object::{Object, ObjectSection};

use super::functions::demangle;
use super::mapped::{Bytes, SymbolFile};
use super::unwind::base_svma;

type Reader = gimli::EndianReader<gimli::RunTimeEndian, Bytes>;

/// A source file and line.
pub type SourceLine = (String, u32);

/// What a symbol file says about one address.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Described {
    /// The function that holds the address (the outermost of the inline stack).
    pub function: Option<String>,
    /// Its start, module-relative, when known.
    pub function_start: Option<u64>,
    /// The source line of the address inside that function (for an inlined
    /// call, the line of the call).
    pub source: Option<(String, u32)>,
    /// The inlined functions at the address, innermost first, each with the
    /// source line inside it.
    pub inlines: Vec<(String, Option<(String, u32)>)>,
}

/// A file with line tables.
pub(crate) enum Lines {
    Dwarf { ctx: Box<addr2line::Context<Reader>>, base_svma: u64 },
    Pdb(SymbolFile),
}

impl Lines {
    /// DWARF from an ELF (or PE) file; `None` when it holds none.
    pub fn dwarf(file: &SymbolFile) -> Result<Option<Lines>, String> {
        super::guard::guarded(|| Lines::dwarf_unguarded(file))
    }

    fn dwarf_unguarded(file: &SymbolFile) -> Result<Option<Lines>, String> {
        let obj = object::File::parse(file.bytes()).map_err(|e| e.to_string())?;
        if obj.section_by_name(".debug_info").is_none_or(|s| s.file_range().is_none()) {
            return Ok(None);
        }
        let endian = if obj.is_little_endian() { gimli::RunTimeEndian::Little } else { gimli::RunTimeEndian::Big };
        let load = |id: gimli::SectionId| -> Result<Reader, gimli::Error> {
            Ok(Reader::new(section_bytes(&obj, file, id.name()), endian))
        };
        let dwarf = gimli::Dwarf::load(load).map_err(|e| e.to_string())?;
        let ctx = addr2line::Context::from_dwarf(dwarf).map_err(|e| e.to_string())?;
        Ok(Some(Lines::Dwarf { ctx: Box::new(ctx), base_svma: base_svma(&obj) }))
    }

    /// Describes each module-relative address (one answer per address).
    /// What each address is (lines, inlined frames); all `None` when the
    /// reader fails on the file.
    pub fn describe(&self, rvas: &[u64]) -> Vec<Option<Described>> {
        super::guard::guarded(|| Ok(self.describe_unguarded(rvas))).unwrap_or_else(|_| vec![None; rvas.len()])
    }

    fn describe_unguarded(&self, rvas: &[u64]) -> Vec<Option<Described>> {
        match self {
            Lines::Dwarf { ctx, base_svma } => {
                rvas.iter().map(|rva| describe_dwarf(ctx, rva.checked_add(*base_svma)?)).collect()
            }
            Lines::Pdb(file) => describe_pdb(file, rvas).unwrap_or_else(|_| vec![None; rvas.len()]),
        }
    }
}

/// A section's bytes: a slice of the map, or decompressed (`SHF_COMPRESSED`,
/// `.zdebug_*`); empty when absent or unreadable.
fn section_bytes(obj: &object::File<'_>, file: &SymbolFile, name: &str) -> Bytes {
    let empty = || Bytes::Owned(Vec::new().into());
    let Some(section) = obj.section_by_name(name) else { return empty() };
    let Ok(range) = section.compressed_file_range() else { return empty() };
    if range.format == object::CompressionFormat::None {
        return file.slice(range.offset..range.offset.saturating_add(range.compressed_size)).unwrap_or_else(empty);
    }
    // Refuse absurd claims before decompressing (a hostile header can claim terabytes).
    if range.uncompressed_size > super::mapped::MAX_SYMBOL_FILE_BYTES {
        return empty();
    }
    match section.uncompressed_data() {
        Ok(data) => Bytes::Owned(data.into_owned().into()),
        Err(_) => empty(),
    }
}

fn describe_dwarf(ctx: &addr2line::Context<Reader>, probe: u64) -> Option<Described> {
    let mut frames = ctx.find_frames(probe).skip_all_loads().ok()?;
    let mut stack: Vec<(Option<String>, Option<SourceLine>)> = Vec::new();
    while let Ok(Some(frame)) = frames.next() {
        let name = frame.function.as_ref().and_then(|f| f.demangle().ok()).map(|n| n.into_owned());
        let loc = frame.location.as_ref().and_then(|l| Some((l.file?.to_string(), l.line?)));
        stack.push((name, loc));
        if stack.len() > 256 {
            break;
        }
    }
    let (function, source) = stack.pop()?;
    let function_start = None;
    let inlines = stack.into_iter().map(|(n, loc)| (n.unwrap_or_else(|| "<inlined>".into()), loc)).collect();
    Some(Described { function, function_start, source, inlines })
}

fn describe_pdb(file: &SymbolFile, rvas: &[u64]) -> Result<Vec<Option<Described>>, pdb_addr2line::Error> {
    if super::functions::check_pdb_counts(file.bytes()).is_err() {
        return Ok(vec![None; rvas.len()]);
    }
    let pdb = pdb_addr2line::pdb::PDB::open(Cursor::new(file.bytes()))?;
    let data = pdb_addr2line::ContextPdbData::try_from_pdb(pdb)?;
    let ctx = data.make_context_with_formatter_flags(super::functions::PDB_NAME_FLAGS)?;
    Ok(rvas
        .iter()
        .map(|rva| {
            let found = ctx.find_frames(u32::try_from(*rva).ok()?).ok()??;
            let mut stack: Vec<_> = found
                .frames
                .into_iter()
                .map(|f| {
                    let loc = f.file.map(|p| p.into_owned()).zip(f.line);
                    (f.function.map(|n| demangle(&n)), loc)
                })
                .collect();
            let (function, source) = stack.pop()?;
            let inlines = stack.into_iter().map(|(n, loc)| (n.unwrap_or_else(|| "<inlined>".into()), loc)).collect();
            Some(Described { function, function_start: Some(u64::from(found.start_rva)), source, inlines })
        })
        .collect())
}
