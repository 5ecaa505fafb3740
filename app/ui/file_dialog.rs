//! File > Open and Export image's "where to": the system's file dialog (rfd)
//! where one can be shown, memscape's own in-window browser
//! ([`super::file_browser`]) where none can.
//!
//! On Linux rfd asks the xdg desktop portal over D-Bus and falls back to
//! zenity; with neither it returns None at once, which looks exactly like a
//! cancel. So on Linux the native dialog is used only when zenity is on PATH
//! or the portal looks reachable (a session bus and the portal's D-Bus
//! service file, or a Flatpak sandbox), and an answer of None that came back
//! in under [`NATIVE_FAILED_WITHIN`] is taken as "no dialog could be shown":
//! the in-window browser opens instead, with a note saying why, and is used
//! for the rest of the run. Elsewhere (Windows, macOS) rfd always works.
//! `MEMSCAPE_FILE_DIALOG=builtin|native` forces one (the tests use builtin).
//!
//! The native dialog blocks, so it runs on a worker ([`crate::task::Task`]);
//! [`file_dialog_ui`] polls it (and draws the browser) once per frame.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::task::{Poll, Task, Waker};
use crate::ui::file_browser::{self, BrowserAction, FileBrowser, FileFilter};

/// The variable that forces a kind of dialog: `builtin` or `native`.
pub const FILE_DIALOG_ENV: &str = "MEMSCAPE_FILE_DIALOG";

/// A native dialog answering "nothing chosen" faster than this never showed.
pub const NATIVE_FAILED_WITHIN: Duration = Duration::from_millis(150);

/// Said (in the browser and through [`FileDialogs::message`]) when the
/// system's dialog could not be shown.
pub const NO_NATIVE_DIALOG: &str =
    "No system file dialog could be shown (on Linux, install xdg-desktop-portal or zenity); using memscape's own.";

/// What a dialog was opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogPurpose {
    /// File > Open: a dump to load.
    OpenDump,
    /// File > Compare with…: an earlier dump to compare the open one with.
    CompareDump,
    /// Export image: where to write the PNG.
    SaveImage,
}

/// A path the user chose, and what for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileChosen {
    pub purpose: DialogPurpose,
    pub path: PathBuf,
}

/// Which kind of dialog to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The system's (rfd).
    Native,
    /// memscape's own, in the window.
    Builtin,
}

/// What the system offers for native dialogs (probed once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NativeSupport {
    /// Windows and macOS: rfd's dialog always works.
    pub always: bool,
    /// A `zenity` executable on PATH.
    pub zenity: bool,
    /// The xdg desktop portal looks reachable on the session bus.
    pub portal: bool,
}

impl NativeSupport {
    /// Probes this machine: cheap (environment variables and a few file checks).
    pub fn probe() -> NativeSupport {
        if cfg!(any(target_os = "windows", target_os = "macos")) {
            return NativeSupport { always: true, zenity: false, portal: false };
        }
        NativeSupport { always: false, zenity: zenity_on_path(), portal: portal_reachable() }
    }

    pub fn any(self) -> bool {
        self.always || self.zenity || self.portal
    }
}

/// The backend for `forced` (the value of MEMSCAPE_FILE_DIALOG, if set) on a
/// system offering `support`. `native` is honoured even where the probe found
/// nothing (the quick-None fallback still applies); anything else unknown is
/// ignored with a warning.
pub fn choose_backend(forced: Option<&str>, support: NativeSupport) -> Backend {
    match forced.map(|f| f.trim().to_ascii_lowercase()).as_deref() {
        Some("builtin") => return Backend::Builtin,
        Some("native") => return Backend::Native,
        Some("") | None => {}
        Some(other) => log::warn!("{FILE_DIALOG_ENV}={other:?} is neither \"builtin\" nor \"native\"; ignored"),
    }
    if support.any() { Backend::Native } else { Backend::Builtin }
}

/// The backend from the environment and a probe of this machine.
pub fn backend_from_env() -> Backend {
    let forced = std::env::var(FILE_DIALOG_ENV).ok();
    choose_backend(forced.as_deref(), NativeSupport::probe())
}

fn zenity_on_path() -> bool {
    let Some(path) = std::env::var_os("PATH") else { return false };
    std::env::split_paths(&path).any(|dir| is_executable(&dir.join("zenity")))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// A session bus to talk to, and the portal on it: its D-Bus activation
/// file in one of the XDG data directories (what dbus-daemon reads to start
/// it), or a Flatpak sandbox, where the portal is always there. Not proof
/// (the portal may still fail), which is what the quick-None check is for.
fn portal_reachable() -> bool {
    if Path::new("/.flatpak-info").exists() {
        return true;
    }
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty())
        || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| Path::new(&d).join("bus").exists());
    if !bus {
        return false;
    }
    let mut data_dirs: Vec<PathBuf> = Vec::new();
    match std::env::var_os("XDG_DATA_HOME") {
        Some(d) if !d.is_empty() => data_dirs.push(PathBuf::from(d)),
        _ => data_dirs.extend(std::env::home_dir().map(|h| h.join(".local/share"))),
    }
    match std::env::var_os("XDG_DATA_DIRS") {
        Some(d) if !d.is_empty() => data_dirs.extend(std::env::split_paths(&d)),
        _ => data_dirs.extend([PathBuf::from("/usr/local/share"), PathBuf::from("/usr/share")]),
    }
    data_dirs.iter().any(|d| d.join("dbus-1/services/org.freedesktop.portal.Desktop.service").is_file())
}

/// What was asked for.
#[derive(Clone, Debug)]
struct Request {
    purpose: DialogPurpose,
    /// Save dialogs: the name to start with.
    default_name: String,
}

impl Request {
    fn title(&self) -> &'static str {
        match self.purpose {
            DialogPurpose::OpenDump => "Open a dump",
            DialogPurpose::CompareDump => "Compare with an earlier dump",
            DialogPurpose::SaveImage => "Save image as",
        }
    }

    fn filters(&self) -> Vec<FileFilter> {
        match self.purpose {
            DialogPurpose::OpenDump | DialogPurpose::CompareDump => vec![
                FileFilter::new("Dumps", &["dmp", "mdmp", "dump", "minidump", "core", "zst", "xz", "lz4"]),
                FileFilter::all_files(),
            ],
            DialogPurpose::SaveImage => vec![FileFilter::new("PNG image", &["png"])],
        }
    }

    /// The system dialog for this request (blocks until the user answers).
    fn run_native(&self, start_dir: Option<&Path>) -> Option<PathBuf> {
        let mut d = rfd::FileDialog::new().set_title(self.title());
        for f in self.filters() {
            let exts: Vec<&str> =
                if f.extensions.is_empty() { vec!["*"] } else { f.extensions.iter().map(String::as_str).collect() };
            d = d.add_filter(&f.name, &exts);
        }
        if let Some(dir) = start_dir {
            d = d.set_directory(dir);
        }
        match self.purpose {
            DialogPurpose::OpenDump | DialogPurpose::CompareDump => d.pick_file(),
            DialogPurpose::SaveImage => d.set_file_name(&self.default_name).save_file(),
        }
    }

    fn browser(&self, start_dir: &Path) -> FileBrowser {
        match self.purpose {
            DialogPurpose::OpenDump | DialogPurpose::CompareDump => {
                FileBrowser::open(self.title(), start_dir, self.filters())
            }
            DialogPurpose::SaveImage => FileBrowser::save(self.title(), start_dir, &self.default_name, self.filters()),
        }
    }
}

enum State {
    Idle,
    /// Asked for, started on the next [`file_dialog_ui`] (which has the context).
    Pending(Request),
    Native {
        request: Request,
        task: Task<(Option<PathBuf>, Duration)>,
    },
    Builtin {
        request: Request,
        browser: Box<FileBrowser>,
    },
}

/// The file dialogs: at most one shown at a time.
pub struct FileDialogs {
    state: State,
    /// None: from MEMSCAPE_FILE_DIALOG and a probe, on first use.
    backend: Option<Backend>,
    /// The native dialog failed this run: the builtin one from now on.
    native_failed: bool,
    /// Where the next dialog starts (the last chosen file's folder).
    start_dir: Option<PathBuf>,
    message: Option<String>,
    /// To wake the window when a dialog is asked for between frames.
    ctx: Option<egui::Context>,
}

impl Default for FileDialogs {
    fn default() -> Self {
        FileDialogs::new()
    }
}

impl FileDialogs {
    /// Dialogs whose kind is chosen from the environment on first use.
    pub fn new() -> FileDialogs {
        FileDialogs {
            state: State::Idle,
            backend: None,
            native_failed: false,
            start_dir: None,
            message: None,
            ctx: None,
        }
    }

    /// Dialogs of one kind, whatever the environment says (tests).
    pub fn with_backend(backend: Backend) -> FileDialogs {
        FileDialogs { backend: Some(backend), ..FileDialogs::new() }
    }

    /// The kind the next dialog will be.
    pub fn backend(&mut self) -> Backend {
        if self.native_failed {
            return Backend::Builtin;
        }
        *self.backend.get_or_insert_with(backend_from_env)
    }

    /// Asks for a dump to open (ignored while another dialog is shown).
    pub fn open_dump(&mut self) {
        self.request(Request { purpose: DialogPurpose::OpenDump, default_name: String::new() });
    }

    /// Asks for an earlier dump to compare the open one with.
    pub fn open_compare(&mut self) {
        self.request(Request { purpose: DialogPurpose::CompareDump, default_name: String::new() });
    }

    /// Asks where to save a picture, starting with `default_name`.
    pub fn save_image(&mut self, default_name: &str) {
        self.request(Request { purpose: DialogPurpose::SaveImage, default_name: default_name.to_string() });
    }

    fn request(&mut self, request: Request) {
        if self.is_open() {
            return;
        }
        self.state = State::Pending(request);
        if let Some(ctx) = &self.ctx {
            ctx.request_repaint();
        }
    }

    /// Whether a dialog is asked for or shown.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Idle)
    }

    /// What a dialog is shown for, if one is.
    pub fn purpose(&self) -> Option<DialogPurpose> {
        match &self.state {
            State::Idle => None,
            State::Pending(r) | State::Native { request: r, .. } | State::Builtin { request: r, .. } => Some(r.purpose),
        }
    }

    /// The in-window browser, while it is shown (tests drive it through this).
    pub fn browser_mut(&mut self) -> Option<&mut FileBrowser> {
        match &mut self.state {
            State::Builtin { browser, .. } => Some(browser),
            _ => None,
        }
    }

    /// Where the next dialog starts.
    pub fn set_start_dir(&mut self, dir: Option<PathBuf>) {
        self.start_dir = dir;
    }

    /// Why the system's dialog was not used, for the window's status line.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    fn start_dir_or_default(&self) -> PathBuf {
        self.start_dir
            .clone()
            .filter(|d| d.is_dir())
            .or_else(|| std::env::current_dir().ok())
            .or_else(std::env::home_dir)
            .unwrap_or_else(|| PathBuf::from("/"))
    }

    fn start(&mut self, ctx: &egui::Context, request: Request) {
        if self.backend() == Backend::Native {
            let start_dir = self.start_dir.clone().filter(|d| d.is_dir());
            let r = request.clone();
            let name = match request.purpose {
                DialogPurpose::OpenDump => "open-dialog",
                DialogPurpose::CompareDump => "compare-dialog",
                DialogPurpose::SaveImage => "save-dialog",
            };
            match Task::spawn(name, Waker::repaint(ctx), move || {
                let started = Instant::now();
                let picked = r.run_native(start_dir.as_deref());
                (picked, started.elapsed())
            }) {
                Ok(task) => {
                    self.state = State::Native { request, task };
                    return;
                }
                Err(e) => log::warn!("could not start the file dialog's thread: {e}; using memscape's own"),
            }
        }
        self.show_builtin(request);
    }

    fn show_builtin(&mut self, request: Request) {
        let mut browser = request.browser(&self.start_dir_or_default());
        browser.set_note(self.message.clone());
        self.state = State::Builtin { request, browser: Box::new(browser) };
    }

    fn native_did_not_show(&mut self, request: Request) {
        log::warn!("{NO_NATIVE_DIALOG}");
        self.native_failed = true;
        self.message = Some(NO_NATIVE_DIALOG.to_string());
        self.show_builtin(request);
    }

    fn chosen(&mut self, purpose: DialogPurpose, path: PathBuf) -> Option<FileChosen> {
        self.start_dir = path.parent().map(Path::to_path_buf);
        self.state = State::Idle;
        Some(FileChosen { purpose, path })
    }
}

/// Starts, polls and draws the file dialogs; call once per frame, after the
/// menus and shortcuts that ask for dialogs. Gives the chosen path once.
pub fn file_dialog_ui(ctx: &egui::Context, dialogs: &mut FileDialogs) -> Option<FileChosen> {
    if dialogs.ctx.is_none() {
        dialogs.ctx = Some(ctx.clone());
    }
    match std::mem::replace(&mut dialogs.state, State::Idle) {
        State::Idle => None,
        State::Pending(request) => {
            dialogs.start(ctx, request);
            // The builtin browser draws at once; a native dialog's worker wakes us.
            if matches!(dialogs.state, State::Builtin { .. }) { file_dialog_ui(ctx, dialogs) } else { None }
        }
        State::Native { request, task } => match task.poll() {
            Poll::Pending => {
                dialogs.state = State::Native { request, task };
                None
            }
            Poll::Done((Some(path), _)) => dialogs.chosen(request.purpose, path),
            Poll::Done((None, took))
                if took < NATIVE_FAILED_WITHIN && !cfg!(any(target_os = "windows", target_os = "macos")) =>
            {
                dialogs.native_did_not_show(request);
                ctx.request_repaint();
                None
            }
            // The user cancelled.
            Poll::Done((None, _)) => None,
            Poll::Died => {
                log::error!("the system file dialog stopped unexpectedly");
                dialogs.native_did_not_show(request);
                ctx.request_repaint();
                None
            }
        },
        State::Builtin { request, mut browser } => match file_browser::file_browser_window_ui(ctx, &mut browser) {
            Some(BrowserAction::Chose(path)) => dialogs.chosen(request.purpose, path),
            Some(BrowserAction::Cancelled) => None,
            None => {
                dialogs.state = State::Builtin { request, browser };
                None
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTHING: NativeSupport = NativeSupport { always: false, zenity: false, portal: false };

    #[test]
    fn the_variable_forces_a_backend() {
        let zenity = NativeSupport { zenity: true, ..NOTHING };
        assert_eq!(choose_backend(Some("builtin"), zenity), Backend::Builtin);
        assert_eq!(choose_backend(Some(" Native "), NOTHING), Backend::Native);
        assert_eq!(choose_backend(Some("gtk"), zenity), Backend::Native);
        assert_eq!(choose_backend(None, NOTHING), Backend::Builtin);
        assert_eq!(choose_backend(None, NativeSupport { portal: true, ..NOTHING }), Backend::Native);
        assert_eq!(choose_backend(Some(""), NativeSupport { always: true, ..NOTHING }), Backend::Native);
    }
}
