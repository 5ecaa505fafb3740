//! Child processes in tests: the memscape binary run under a deadline (a
//! hang fails the test instead of stalling the run), and a child that is
//! killed and reaped however the test ends.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Far more than any run of the binary in the tests needs; only a hang reaches it.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// What a run of the binary gave.
pub struct Run {
    /// The exit status; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs memscape with `args` (without the environment variables in
/// `env_remove`), killing it at [`DEADLINE`] (then panics).
pub fn memscape(args: &[&str], env_remove: &[&str]) -> Run {
    memscape_env(args, env_remove, &[])
}

/// [`memscape`] with the variables in `env_set` set as well.
pub fn memscape_env(args: &[&str], env_remove: &[&str], env_set: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_memscape"));
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for var in env_remove {
        cmd.env_remove(var);
    }
    for (var, value) in env_set {
        cmd.env(var, value);
    }
    let mut child = cmd.spawn().expect("run memscape");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("memscape {args:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("collect output");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Kills and reaps the child however the test ends.
pub struct Reaper(pub Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` (stdout piped, stdin and stderr null) and waits, at most
/// 30 s, for a line of its output that contains `ready`: a child saying it
/// has reached the state the test captures. Panics when it exits or stays
/// silent instead.
pub fn start_ready(cmd: &mut Command, ready: &str) -> Reaper {
    use std::io::{BufRead, BufReader};
    let mut child =
        Reaper(cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start the child"));
    let stdout = child.0.stdout.take().expect("the child's stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let ready = ready.to_string();
    std::thread::spawn(move || {
        let said = BufReader::new(stdout).lines().map_while(Result::ok).any(|l| l.contains(&ready));
        let _ = tx.send(said);
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)), Ok(true), "the child never said it was ready");
    child
}
