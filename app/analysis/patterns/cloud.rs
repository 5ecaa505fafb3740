//! **Cloud Environment** (Crash Dump Analysis Patterns, Part 137): a process
//! inside a Windows Azure role, and whether it ran on the Azure guest OS (in the
//! cloud) or in the compute emulator on a developer's machine.
//!
//! The role runtime is recognised by its modules ([`is_azure_module`]). The two
//! places are told apart by the signals the pattern's post uses and what else a
//! dump shows, each a vote ([`Signal`]):
//! - ntdll's file version: the guest OS of the time (family 1, "RD OS V1") is
//!   Windows Server 2008 SP2, ntdll 6.0.6002.x; the emulator runs on the
//!   developer's own Windows (the post's shows 6.1.7600.16385). The post itself
//!   says this holds "for now": later guest OS families run newer builds, so
//!   this signal alone is never decisive.
//! - the Windows folder's drive, read from ntdll's path: the guest OS boots from
//!   `D:\Windows`; a developer's Windows is on `C:`.
//! - the role's image paths: on Azure the role root is its own drive (`E:\` or
//!   `F:\` holding `approot`, `base`, `sitesroot`); the emulator runs roles from
//!   a project's `csx` folder, its `dftmp` resource folder or the SDK's
//!   `devfabric` / emulator folders on the developer's disk.

use std::collections::BTreeSet;

use super::finding::{Ctx, Finding, Severity};
use crate::dump::{AddressSpace, Module};

/// Whether a module name belongs to the Azure (cloud service) role runtime:
/// Wa*Host (WaWorkerHost, WaIISHost, WaHostBootstrapper), WaRuntimeProxy,
/// Microsoft.WindowsAzure.* / Microsoft_WindowsAzure_*.
pub fn is_azure_module(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower.rsplit_once('.').map(|(s, _)| s).unwrap_or(&lower);
    (stem.starts_with("wa") && stem.contains("host") && stem.len() <= 24)
        || stem.starts_with("waruntimeproxy")
        || lower.starts_with("microsoft.windowsazure.")
        || lower.starts_with("microsoft_windowsazure_")
}

/// Where an Azure role's process ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// A role instance on the Azure guest OS, in the cloud.
    GuestOs,
    /// The compute emulator (development fabric) on a developer's machine.
    Emulator,
}

/// One piece of evidence for a [`Host`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    pub vote: Host,
    pub line: String,
    /// The module whose version or path it was read from.
    pub module: String,
}

/// ntdll's file version: 6.0.6002.x (Server 2008 SP2, guest OS family 1) votes
/// for the guest OS, any other version for the emulator.
fn ntdll_version(ntdll: &Module) -> Option<Signal> {
    let v = ntdll.file_version?;
    let [major, minor, build, _] = v.0;
    Some(if (major, minor, build) == (6, 0, 6002) {
        Signal {
            vote: Host::GuestOs,
            line: format!("ntdll {v}: Windows Server 2008 SP2, the Azure guest OS (family 1) build"),
            module: ntdll.name.clone(),
        }
    } else {
        Signal {
            vote: Host::Emulator,
            line: format!("ntdll {v}: not the guest OS's 6.0.6002 build; a developer's Windows"),
            module: ntdll.name.clone(),
        }
    })
}

/// The drive of the Windows folder ntdll was loaded from: `D:` is the guest
/// OS's, `C:` a developer machine's; other drives say nothing.
fn windows_drive(ntdll: &Module) -> Option<Signal> {
    let path = ntdll.path.replace('/', "\\");
    let lower = path.to_ascii_lowercase();
    let (drive, rest) = lower.split_once(':')?;
    if !rest.starts_with("\\windows\\") {
        return None;
    }
    let dir = path.rsplit_once('\\').map(|(d, _)| d).unwrap_or(&path);
    match drive {
        "d" => Some(Signal {
            vote: Host::GuestOs,
            line: format!("ntdll loaded from {dir}: the guest OS's Windows on D:"),
            module: ntdll.name.clone(),
        }),
        "c" => Some(Signal {
            vote: Host::Emulator,
            line: format!("ntdll loaded from {dir}: Windows on C:, as on a developer's machine"),
            module: ntdll.name.clone(),
        }),
        _ => None,
    }
}

/// Folders of the emulator and of projects run in it (lower case).
const EMULATOR_DIRS: [&str; 5] =
    ["\\csx\\", "\\dftmp\\", "\\devfabric", "\\windows azure emulator\\", "\\windows azure sdk\\"];

/// Folders at a role drive's root on Azure (lower case, after `X:`).
const ROLE_ROOT_DIRS: [&str; 3] = ["\\approot\\", "\\base\\", "\\sitesroot\\"];

/// The role's image paths: any module under an emulator folder votes for the
/// emulator; otherwise a module under a role-root folder of drive E: or F:
/// votes for the guest OS.
fn role_paths(space: &AddressSpace) -> Option<Signal> {
    // The role runtime's own modules first, its host executable before them:
    // they name the role's folders best.
    let (mut azure, other): (Vec<&Module>, Vec<&Module>) = space.modules.iter().partition(|m| is_azure_module(&m.name));
    azure.sort_by_key(|m| !m.name.to_ascii_lowercase().ends_with(".exe"));
    let paths = || azure.iter().chain(&other).map(|m| (m, m.path.replace('/', "\\")));
    if let Some((m, p)) = paths().find(|(_, p)| {
        let lower = p.to_ascii_lowercase();
        EMULATOR_DIRS.iter().any(|d| lower.contains(d))
    }) {
        let line = format!("role image under an emulator folder: {p}");
        return Some(Signal { vote: Host::Emulator, line, module: m.name.clone() });
    }
    let on_role_drive = |p: &str| {
        let lower = p.to_ascii_lowercase();
        let Some((drive, rest)) = lower.split_once(':') else { return false };
        matches!(drive, "e" | "f") && ROLE_ROOT_DIRS.iter().any(|d| rest.starts_with(d))
    };
    paths().find(|(_, p)| on_role_drive(p)).map(|(m, p)| Signal {
        vote: Host::GuestOs,
        line: format!("role image on the role drive: {p}"),
        module: m.name.clone(),
    })
}

/// Every signal the dump gives, in the order the post weighs them.
pub fn host_signals(space: &AddressSpace) -> Vec<Signal> {
    let ntdll = space.modules.iter().find(|m| m.name.eq_ignore_ascii_case("ntdll.dll"));
    let mut out: Vec<Signal> = ntdll.into_iter().flat_map(|n| [ntdll_version(n), windows_drive(n)]).flatten().collect();
    out.extend(role_paths(space));
    out
}

/// The majority of the signals and its confidence: 0.6 plus 0.1 per agreeing
/// signal, less 0.15 per disagreeing one (at least 0.5); `None` on no signal or
/// a tie.
pub fn decide(signals: &[Signal]) -> Option<(Host, f32)> {
    let guest = signals.iter().filter(|s| s.vote == Host::GuestOs).count();
    let emulator = signals.len() - guest;
    let (host, agree, disagree) = match guest.cmp(&emulator) {
        std::cmp::Ordering::Greater => (Host::GuestOs, guest, emulator),
        std::cmp::Ordering::Less => (Host::Emulator, emulator, guest),
        std::cmp::Ordering::Equal => return None,
    };
    Some((host, (0.6 + 0.1 * agree as f32 - 0.15 * disagree as f32).max(0.5)))
}

/// **Cloud Environment**: Azure role-runtime modules loaded
/// ([`is_azure_module`]), and where the role ran ([`host_signals`], [`decide`]).
/// Severity info; confidence by the signals that agree, 0.5 when none tells
/// the guest OS from the emulator.
pub fn cloud_environment(cx: &Ctx) -> Vec<Finding> {
    let names: BTreeSet<&str> =
        cx.space.modules.iter().map(|m| m.name.as_str()).filter(|n| is_azure_module(n)).collect();
    if names.is_empty() {
        return vec![];
    }
    let list: Vec<&str> = names.iter().copied().collect();
    let signals = host_signals(cx.space);
    let (summary, confidence) = match decide(&signals) {
        Some((Host::GuestOs, c)) => {
            ("the process runs inside a Windows Azure role on the Azure guest OS (in the cloud)", c)
        }
        Some((Host::Emulator, c)) => {
            ("the process runs inside a Windows Azure role in the compute emulator on a developer's machine", c)
        }
        None => {
            ("the process runs inside a Windows Azure role; the dump does not tell the guest OS from the emulator", 0.5)
        }
    };
    let mut f = Finding::new("Cloud Environment", Severity::Info, confidence, summary)
        .evidence(format!("Azure runtime modules: {}", list.join(", ")));
    if signals.is_empty() {
        f = f.evidence("no ntdll version, Windows folder or role path tells the Azure guest OS from the emulator");
    }
    for s in &signals {
        let side = match s.vote {
            Host::GuestOs => "guest OS",
            Host::Emulator => "emulator",
        };
        f = f.evidence(format!("{} ({side})", s.line)).module(s.module.clone());
    }
    for n in list {
        f = f.module(n);
    }
    vec![f]
}
