//! One HTTP(S) download into a file, under [`DownloadLimits`]: ureq does the
//! protocol, TLS, proxies (`HTTPS_PROXY`, `NO_PROXY`) and redirects; this
//! file adds what a server's answer must never get past: a declared or
//! received size over the limit, a connection, read or whole-file time over
//! the limit, too many redirects, a cancel from the window. Bytes go straight
//! to disk, never into memory.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use super::sources::DownloadLimits;

/// Why a download gave nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownloadError {
    /// The server has no such file (404, 410): normal, not a problem.
    Missing,
    /// The server cannot be used (unreachable, too slow, TLS refused): the
    /// walk stops asking it, so one dead server costs one timeout, not one
    /// per module.
    ServerDown(String),
    /// This file could not be had (too big, server error, cut short).
    Failed(String),
    /// The user cancelled.
    Cancelled,
}

impl std::fmt::Display for DownloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DownloadError::Missing => f.write_str("not on the server"),
            DownloadError::ServerDown(why) | DownloadError::Failed(why) => f.write_str(why),
            DownloadError::Cancelled => f.write_str("cancelled"),
        }
    }
}

/// An HTTP client with memscape's limits.
#[derive(Clone, Debug)]
pub struct Client {
    agent: ureq::Agent,
    limits: DownloadLimits,
}

impl Client {
    pub fn new(limits: &DownloadLimits) -> Client {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(limits.max_redirects)
            .max_redirects_will_error(true)
            .timeout_connect(Some(limits.connect))
            .timeout_resolve(Some(limits.connect))
            .timeout_per_read(Some(limits.idle))
            .timeout_global(Some(limits.total))
            .max_response_header_size(64 << 10)
            .user_agent(concat!("memscape/", env!("CARGO_PKG_VERSION")))
            .build();
        Client { agent: config.into(), limits: limits.clone() }
    }

    /// GETs `url` into `dest` (created or truncated). `progress(received,
    /// declared)` is called as bytes arrive. Returns the bytes written.
    pub fn get_to_file(
        &self,
        url: &str,
        dest: &Path,
        cancel: &AtomicBool,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<u64, DownloadError> {
        if cancel.load(Ordering::Relaxed) {
            return Err(DownloadError::Cancelled);
        }
        let mut response = self.agent.get(url).call().map_err(classify)?;
        let status = response.status().as_u16();
        match status {
            200 => {}
            404 | 410 => return Err(DownloadError::Missing),
            300..=399 => return Err(DownloadError::Failed(format!("HTTP {status}: a redirect that was not followed"))),
            _ => return Err(DownloadError::Failed(format!("HTTP {status}"))),
        }
        let max = self.limits.max_bytes;
        let declared = response.body().content_length();
        if let Some(n) = declared
            && n > max
        {
            return Err(DownloadError::Failed(format!("the server announces {n} bytes; the limit is {max}")));
        }
        // ureq's own limit counts too (its default is 10 MB): ours replaces it.
        let mut reader = response.body_mut().with_config().limit(max.saturating_add(1)).reader();
        let mut file = std::fs::File::create(dest)
            .map_err(|e| DownloadError::Failed(format!("cannot write {}: {e}", dest.display())))?;
        let mut buf = vec![0u8; 64 << 10];
        let mut received = 0u64;
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(DownloadError::Cancelled);
            }
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(match classify_io(e, received) {
                        DownloadError::Failed(why) => DownloadError::Failed(format!("cut short: {why}")),
                        other => other,
                    });
                }
            };
            received += n as u64;
            if received > max {
                return Err(DownloadError::Failed(format!("more than {max} bytes; the limit")));
            }
            file.write_all(&buf[..n])
                .map_err(|e| DownloadError::Failed(format!("cannot write {}: {e}", dest.display())))?;
            progress(received, declared);
        }
        if let Some(n) = declared
            && received != n
        {
            return Err(DownloadError::Failed(format!("cut short: {received} of {n} bytes")));
        }
        file.flush().map_err(|e| DownloadError::Failed(format!("cannot write {}: {e}", dest.display())))?;
        Ok(received)
    }
}

/// Sorts a failed request: is the server usable at all?
fn classify(e: ureq::Error) -> DownloadError {
    use ureq::Error as E;
    match e {
        E::Timeout(t) => DownloadError::ServerDown(format!("timed out ({t})")),
        E::HostNotFound => DownloadError::ServerDown("host not found".into()),
        E::ConnectionFailed => DownloadError::ServerDown("connection failed".into()),
        E::Io(io) => classify_io(io, 0),
        E::TooManyRedirects => DownloadError::Failed("too many redirects".into()),
        E::BadUri(u) => DownloadError::ServerDown(format!("not a usable URL ({u})")),
        E::Tls(_) | E::Rustls(_) | E::TlsRequired => DownloadError::ServerDown(format!("TLS: {e}")),
        other => DownloadError::Failed(other.to_string()),
    }
}

fn classify_io(e: std::io::Error, received: u64) -> DownloadError {
    use std::io::ErrorKind as K;
    let at = if received > 0 { format!(" after {received} bytes") } else { String::new() };
    match e.kind() {
        K::TimedOut | K::WouldBlock => DownloadError::ServerDown(format!("timed out{at}")),
        K::ConnectionRefused | K::ConnectionReset | K::ConnectionAborted | K::NotConnected => {
            DownloadError::ServerDown(format!("{e}{at}"))
        }
        _ => {
            // ureq wraps its own errors (timeouts among them) in io errors while reading.
            match e.into_inner().map(|inner| inner.downcast::<ureq::Error>()) {
                Some(Ok(u)) => match classify(*u) {
                    DownloadError::Failed(w) => DownloadError::Failed(format!("{w}{at}")),
                    other => other,
                },
                Some(Err(inner)) => DownloadError::Failed(format!("{inner}{at}")),
                None => DownloadError::Failed(format!("read failed{at}")),
            }
        }
    }
}

/// `name` as one URL path segment: every byte outside RFC 3986's unreserved
/// set percent-encoded (names come from the dump; six lines do not justify a
/// dependency).
pub fn url_segment(name: &str) -> String {
    if name == "." || name == ".." {
        // Unreserved, yet a client would resolve them: encode them too.
        return name.replace('.', "%2E");
    }
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_climb_or_split() {
        assert_eq!(url_segment("ntdll.pdb"), "ntdll.pdb");
        assert_eq!(url_segment("a b/../c?d#e"), "a%20b%2F..%2Fc%3Fd%23e");
        assert_eq!(url_segment(".."), "%2E%2E");
    }
}
