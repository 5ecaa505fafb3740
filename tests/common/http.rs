//! A small HTTP/1.1 server on 127.0.0.1 for symbol-server tests: it serves
//! what each path is given, including the answers a hostile or broken server
//! gives (a lying Content-Length, a body dripped a byte at a time, a
//! redirect loop), and records every path asked for. Written here because
//! the tests need exactly these misbehaviours, which real servers refuse to
//! produce on purpose.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers for one path.
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 with this body.
    File(Vec<u8>),
    /// This status, empty body.
    Status(u16),
    /// 200 announcing `declared` bytes, sending `body`, then closing.
    Truncated { declared: u64, body: Vec<u8> },
    /// 200, the body sent a byte every `every`.
    Drip { body: Vec<u8>, every: Duration },
    /// 302 to this location.
    Redirect(String),
    /// Accepts and never answers.
    Silent,
    /// 200 with this body once `open` is set (a server the test holds back).
    Gate { body: Vec<u8>, open: Arc<AtomicBool> },
}

/// A running server; stops when dropped.
pub struct Server {
    pub url: String,
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    /// Starts a server; unknown paths get 404.
    pub fn start(routes: HashMap<String, Answer>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let routes = Arc::new(Mutex::new(routes));
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, l, s) = (Arc::clone(&routes), Arc::clone(&log), Arc::clone(&stop));
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (r, l, s) = (Arc::clone(&r), Arc::clone(&l), Arc::clone(&s));
                        std::thread::spawn(move || {
                            let _ = serve(stream, &r, &l, &s);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server { url, routes, log, stop }
    }

    /// Sets the answer for `path` ("/a/b").
    pub fn route(&self, path: &str, answer: Answer) {
        self.routes.lock().unwrap().insert(path.to_string(), answer);
    }

    /// Every path asked for so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Answer>>,
    log: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request)? == 0 {
            return Ok(());
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
                break;
            }
        }
        let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
        log.lock().unwrap().push(path.clone());
        let answer = routes.lock().unwrap().get(&path).cloned().unwrap_or(Answer::Status(404));
        match answer {
            Answer::File(body) => {
                write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())?;
                out.write_all(&body)?;
            }
            Answer::Status(code) => write!(out, "HTTP/1.1 {code} X\r\nContent-Length: 0\r\n\r\n")?,
            Answer::Truncated { declared, body } => {
                write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n")?;
                out.write_all(&body)?;
                return Ok(());
            }
            Answer::Drip { body, every } => {
                write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
                for b in body {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(());
                    }
                    out.write_all(&[b])?;
                    out.flush()?;
                    std::thread::sleep(every);
                }
                return Ok(());
            }
            Answer::Redirect(to) => write!(out, "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n")?,
            Answer::Gate { body, open } => {
                while !open.load(Ordering::Relaxed) && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len())?;
                out.write_all(&body)?;
            }
            Answer::Silent => {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                return Ok(());
            }
        }
        out.flush()?;
    }
}
