//! What every pattern rule shares: [`Finding`] and [`Severity`], the rules'
//! context [`Ctx`] (the dump and, once walked, its stack traces) and small
//! helpers on frames. Kept apart from mod.rs so the rule files, which use
//! these, and mod.rs, which calls the rules, do not import each other.

use crate::dump::{AddressSpace, ExceptionInfo, Platform, StackFrame, StackTrace, Thread, WalkResult};

/// How bad a finding is. Ordered: `Critical` sorts first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// What crashed the process.
    Critical,
    /// A fault or condition that is likely part of the problem.
    Error,
    /// Worth a look; often a contributing condition.
    Warning,
    /// Context about the process or the dump.
    Info,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One pattern found in a dump.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The pattern's name as Vostokov spells it.
    pub name: &'static str,
    pub severity: Severity,
    /// 0..=1: how sure the rule is.
    pub confidence: f32,
    /// One sentence.
    pub summary: String,
    /// Which fields and values triggered the rule.
    pub evidence: Vec<String>,
    /// Base addresses of the regions involved (sorted, unique).
    pub regions: Vec<u64>,
    /// Names of the modules involved (sorted, unique).
    pub modules: Vec<String>,
    /// Ids of the threads involved (sorted, unique).
    pub threads: Vec<u32>,
}

impl Finding {
    pub(crate) fn new(name: &'static str, severity: Severity, confidence: f32, summary: impl Into<String>) -> Finding {
        Finding {
            name,
            severity,
            confidence: confidence.clamp(0.0, 1.0),
            summary: summary.into(),
            evidence: Vec::new(),
            regions: Vec::new(),
            modules: Vec::new(),
            threads: Vec::new(),
        }
    }

    pub(crate) fn evidence(mut self, line: impl Into<String>) -> Finding {
        self.evidence.push(line.into());
        self
    }

    /// Adds the base of the region holding `addr`, if any.
    pub(crate) fn region_at(mut self, space: &AddressSpace, addr: u64) -> Finding {
        if let Some(r) = space.region_at(addr) {
            self.regions.push(r.base_addr);
        }
        self
    }

    pub(crate) fn module(mut self, name: impl Into<String>) -> Finding {
        self.modules.push(name.into());
        self
    }

    pub(crate) fn thread(mut self, id: u32) -> Finding {
        self.threads.push(id);
        self
    }

    pub(crate) fn normalize(&mut self) {
        self.regions.sort_unstable();
        self.regions.dedup();
        self.modules.sort();
        self.modules.dedup();
        self.threads.sort_unstable();
        self.threads.dedup();
    }
}

/// What every rule sees.
pub(crate) struct Ctx<'a> {
    pub space: &'a AddressSpace,
    pub traces: Option<&'a WalkResult>,
}

impl<'a> Ctx<'a> {
    pub fn exception(&self) -> Option<&'a ExceptionInfo> {
        self.space.exception.as_ref()
    }

    pub fn windows(&self) -> bool {
        self.space.system.platform == Platform::Windows
    }

    /// The crashing thread: the exception's, else the one marked crashed.
    pub fn crashed_thread(&self) -> Option<&'a Thread> {
        let by_id = self.exception().and_then(|e| self.space.threads.iter().find(|t| t.id == e.thread_id));
        by_id.or_else(|| self.space.crashed_thread())
    }

    /// The crashing thread's id: the exception's, else the crashed thread's.
    pub fn crashed_thread_id(&self) -> Option<u32> {
        self.exception().map(|e| e.thread_id).or_else(|| self.space.crashed_thread().map(|t| t.id))
    }

    /// The faulting instruction: the exception context's instruction pointer,
    /// else the crashed thread's, else (Windows) the exception record's address.
    pub fn crash_ip(&self) -> Option<u64> {
        let ex = self.exception()?;
        ex.instruction_addr
            .or_else(|| self.crashed_thread().and_then(|t| t.ip))
            .or_else(|| self.windows().then_some(ex.address))
    }

    /// The crashing thread's trace, when walked.
    pub fn crashed_trace(&self) -> Option<&'a StackTrace> {
        self.traces?.trace(self.crashed_thread_id()?)
    }

    /// Every trace, when walked.
    pub fn traces(&self) -> &'a [StackTrace] {
        self.traces.map(|w| w.traces.as_slice()).unwrap_or_default()
    }
}

/// The function a frame is in, without any module prefix or arguments.
pub(crate) fn function_name(frame: &StackFrame) -> Option<&str> {
    let f = frame.function.as_deref()?;
    let f = f.rsplit_once('!').map(|(_, f)| f).unwrap_or(f);
    Some(f.split('(').next().unwrap_or(f).trim())
}

/// Whether the frame's function is one of `names` (exact, or `names` entry
/// followed by a suffix such as `Ex`, `A`, `W`, `@8`), case-sensitive as
/// symbols spell them.
pub(crate) fn frame_is(frame: &StackFrame, names: &[&str]) -> bool {
    let Some(f) = function_name(frame) else { return false };
    let f = f.trim_start_matches('_');
    names.iter().any(|n| f.starts_with(n.trim_start_matches('_')))
}

pub(crate) use crate::format::hex;
