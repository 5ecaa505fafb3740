//! The real-dump corpus (`MEMSCAPE_CORPUS`, in CI `../shared/dumps`): every dump
//! listed in its MANIFEST.tsv opens with `AddressSpace::open` and reproduces the
//! manifest's facts (threads, modules, exception code, OS/CPU, MemoryInfoList
//! entry count and FREE/COMMIT/RESERVE split, which region source is used); its
//! region list is sorted, contiguous and covers exactly 0..user limit; Windows
//! objects (images, stacks, TEBs, the PEB) and Linux heaps/stacks are found.
//! Then the `memscape` binary's `info`, `regions`, `modules` and `threads`
//! commands are run on every dump, and their JSON is checked against
//! DESIGN.md's command-line contract (field names, "0x" lower-case hex
//! addresses, integer sizes).
//!
//! Without `MEMSCAPE_CORPUS` the tests print "skipped: MEMSCAPE_CORPUS not set"
//! and pass; with `MEMSCAPE_REQUIRE_CORPUS=1` a missing corpus fails them.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use memscape::dump::{AddressSpace, Platform, RegionKind, RegionSource};
use serde_json::Value;

use common::{ManifestRow, assert_region_invariants, corpus_dir, read_manifest, region_invariants};

/// Every manifest row with its dump opened.
fn open_corpus() -> Option<Vec<(ManifestRow, PathBuf, AddressSpace)>> {
    let dir = corpus_dir()?;
    let rows = read_manifest(&dir);
    Some(
        rows.into_iter()
            .map(|row| {
                let path = dir.join(row.file());
                let space = AddressSpace::open(&path)
                    .unwrap_or_else(|e| panic!("{}: AddressSpace::open failed: {e}", row.file()));
                (row, path, space)
            })
            .collect(),
    )
}

/// Collects every failure, so one run reports all of them.
struct Failures(Vec<String>);

impl Failures {
    fn new() -> Self {
        Failures(Vec::new())
    }
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }
    fn finish(self, title: &str) {
        assert!(self.0.is_empty(), "{title}: {} failure(s):\n  {}", self.0.len(), self.0.join("\n  "));
    }
}

/// ("windows", "amd64") from "windows/amd64".
fn os_cpu(row: &ManifestRow) -> (String, String) {
    let v = row.get("os/cpu");
    let (os, cpu) = v.split_once('/').unwrap_or_else(|| panic!("{}: os/cpu {v:?} has no '/'", row.file()));
    (os.to_string(), cpu.to_string())
}

fn expected_platform(os: &str) -> Platform {
    match os {
        "windows" => Platform::Windows,
        "linux" | "android" => Platform::Linux,
        "macos" | "ios" => Platform::MacOs,
        _ => Platform::Other,
    }
}

fn expected_pointer_bits(cpu: &str) -> u32 {
    match cpu {
        "x86" | "arm" | "ppc" | "mips" | "sparc" => 32,
        _ => 64,
    }
}

/// "FREE=88,COMMIT=666,RESERVE=230" -> (free, commit, reserve).
fn parse_states(file: &str, v: &str) -> (usize, usize, usize) {
    let (mut free, mut commit, mut reserve) = (0, 0, 0);
    for part in v.split(',') {
        let (k, n) = part.split_once('=').unwrap_or_else(|| panic!("{file}: bad memory_info_states {v:?}"));
        let n: usize = n.trim().parse().unwrap_or_else(|_| panic!("{file}: bad memory_info_states {v:?}"));
        match k.trim() {
            "FREE" => free = n,
            "COMMIT" => commit = n,
            "RESERVE" => reserve = n,
            other => panic!("{file}: unknown state {other:?} in memory_info_states"),
        }
    }
    (free, commit, reserve)
}

#[test]
fn manifest_facts_match_the_model() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    for (row, _path, space) in &corpus {
        let file = row.file();
        if let Some(bytes) = row.number("bytes") {
            f.check(space.file_size_bytes == bytes, || {
                format!("{file}: file is {} bytes, manifest says {bytes}", space.file_size_bytes)
            });
        }
        if let Some(n) = row.number("thread_count") {
            f.check(space.threads.len() as u64 == n, || {
                format!("{file}: {} threads, manifest {n}", space.threads.len())
            });
        }
        if let Some(n) = row.number("module_count") {
            f.check(space.modules.len() as u64 == n, || {
                format!("{file}: {} modules, manifest {n}", space.modules.len())
            });
        }
        match row.number("exception_code") {
            Some(code) => f.check(space.exception.as_ref().map(|e| u64::from(e.code)) == Some(code), || {
                format!("{file}: exception {:x?}, manifest {code:#x}", space.exception.as_ref().map(|e| e.code))
            }),
            None => f.check(space.exception.is_none(), || format!("{file}: exception present, manifest says none")),
        }

        let (os, cpu) = os_cpu(row);
        f.check(space.system.platform == expected_platform(&os), || {
            format!("{file}: platform {:?}, manifest os {os}", space.system.platform)
        });
        f.check(space.system.cpu == cpu, || format!("{file}: cpu {:?}, manifest {cpu:?}", space.system.cpu));
        f.check(space.system.pointer_bits == expected_pointer_bits(&cpu), || {
            format!("{file}: {} pointer bits for cpu {cpu}", space.system.pointer_bits)
        });

        let meminfo = row.number("memory_info_regions");
        let maps = row.number("linux_maps_lines");
        if let Some(n) = meminfo {
            f.check(space.region_source == RegionSource::MemoryInfoList, || {
                format!("{file}: region source {:?}, manifest lists {n} MemoryInfoList entries", space.region_source)
            });
            f.check(space.source_entry_count as u64 == n, || {
                format!("{file}: source_entry_count {}, manifest memory_info_regions {n}", space.source_entry_count)
            });
            let states = row.get("memory_info_states");
            if states != "-" {
                let (free, commit, reserve) = parse_states(file, states);
                match space.memory_info_states {
                    Some(s) => f.check(s.free == free && s.commit == commit && s.reserve == reserve, || {
                        format!("{file}: memory_info_states {s:?}, manifest {states}")
                    }),
                    None => f.0.push(format!("{file}: memory_info_states is None, manifest {states}")),
                }
            }
        } else if let Some(n) = maps {
            f.check(space.region_source == RegionSource::LinuxMaps, || {
                format!("{file}: region source {:?}, manifest lists {n} LinuxMaps lines", space.region_source)
            });
        } else {
            f.check(space.region_source == RegionSource::Synthesized, || {
                format!(
                    "{file}: region source {:?}, expected Synthesized (no MemoryInfoList, no LinuxMaps)",
                    space.region_source
                )
            });
            f.check(space.source_entry_count == 0, || {
                format!("{file}: synthesized map but source_entry_count {}", space.source_entry_count)
            });
        }
    }
    f.finish("manifest facts");
}

#[test]
fn region_lists_cover_exactly_the_user_space() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    for (row, _, space) in &corpus {
        if let Err(e) = region_invariants(space) {
            f.0.push(format!("{}: {e}", row.file()));
        }
        // The lookup agrees with the list.
        for (i, r) in space.regions.iter().enumerate().step_by(7) {
            f.check(space.region_index_at(r.base_addr) == Some(i), || {
                format!("{}: region_index_at({:#x}) != {i}", row.file(), r.base_addr)
            });
        }
        f.check(space.region_at(space.system.user_limit_addr).is_none(), || {
            format!("{}: a region contains the user limit itself", row.file())
        });
    }
    f.finish("region coverage");
}

#[test]
fn windows_objects_are_marked() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    let (mut windows, mut with_info) = (0, 0);
    for (row, _, space) in &corpus {
        let file = row.file();
        if space.system.platform != Platform::Windows {
            continue;
        }
        windows += 1;
        for m in &space.modules {
            let kind = space.region_at(m.base_addr).map(|r| r.kind);
            f.check(kind == Some(RegionKind::Image), || {
                format!("{file}: module {} base {:#x} lies in {kind:?}, not Image", m.name, m.base_addr)
            });
        }
        if space.region_source != RegionSource::MemoryInfoList {
            continue;
        }
        with_info += 1;
        let by_kind = space.bytes_by_kind();
        for k in [RegionKind::Image, RegionKind::Stack, RegionKind::TEB, RegionKind::PEB] {
            f.check(by_kind[&k] > 0, || format!("{file}: no bytes of kind {k} in a MemoryInfoList dump"));
        }
        f.check(space.threads.iter().any(|t| t.teb_addr != 0), || format!("{file}: no thread has a TEB address"));
        for t in space.threads.iter().filter(|t| t.teb_addr != 0) {
            let kind = space.region_at(t.teb_addr).map(|r| r.kind);
            f.check(kind == Some(RegionKind::TEB), || {
                format!("{file}: thread {} TEB {:#x} lies in {kind:?}, not TEB", t.id, t.teb_addr)
            });
        }
    }
    // A changed corpus must not empty these loops silently.
    assert!(windows >= 8 && with_info >= 2, "only {windows} Windows dumps, {with_info} with a MemoryInfoList");
    f.finish("Windows objects");
}

#[test]
fn linux_maps_dumps_have_a_heap_or_stack() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    let mut maps = 0;
    for (row, _, space) in &corpus {
        if space.region_source != RegionSource::LinuxMaps {
            continue;
        }
        maps += 1;
        f.check(space.regions.iter().any(|r| matches!(r.kind, RegionKind::Heap | RegionKind::Stack)), || {
            format!("{}: LinuxMaps dump without a Heap or Stack region", row.file())
        });
    }
    assert!(maps >= 3, "only {maps} LinuxMaps dumps in the corpus");
    f.finish("Linux heaps and stacks");
}

/// The corpus files are whole (their sizes match the manifest, see above), so
/// a warning that calls them truncated is wrong. dbghelp pads the stream
/// directory with UnusedStream (type 0) entries, which the minidump crate
/// does not return from `all_streams()`.
#[test]
fn whole_dumps_are_not_called_truncated() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    for (row, _, space) in &corpus {
        if row.number("bytes") != Some(space.file_size_bytes) {
            continue;
        }
        for w in space.warnings.iter().filter(|w| w.contains("truncated")) {
            f.0.push(format!("{}: {w}", row.file()));
        }
    }
    f.finish("spurious truncation warnings on whole files");
}

// ---------------------------------------------------------------- the CLI

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn memscape(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_memscape")).args(args).output().expect("run memscape");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_of(command: &str, path: &Path) -> Value {
    let p = path.to_str().expect("utf-8 path");
    let run = memscape(&[command, p, "--json"]);
    assert_eq!(run.status, 0, "memscape {command} {p} --json exited {}: {}", run.status, run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!("memscape {command} {p} --json: not JSON ({e}): {}", &run.stdout[..run.stdout.len().min(400)])
    })
}

/// "0x" followed by lower-case hex digits.
fn is_hex(v: &Value) -> bool {
    v.as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

fn hex_value(v: &Value) -> Option<u64> {
    v.as_str().and_then(|s| s.strip_prefix("0x")).and_then(|d| u64::from_str_radix(d, 16).ok())
}

fn check_keys(f: &mut Failures, what: &str, obj: &Value, keys: &[&str]) {
    match obj.as_object() {
        Some(map) => {
            for k in keys {
                f.check(map.contains_key(*k), || format!("{what}: missing field {k:?}"));
            }
        }
        None => f.0.push(format!("{what}: not an object: {obj}")),
    }
}

fn check_hex(f: &mut Failures, what: &str, obj: &Value, key: &str) {
    let v = &obj[key];
    f.check(is_hex(v), || format!("{what}: {key} = {v} is not a \"0x\" lower-case hex string"));
}

fn check_hex_or_null(f: &mut Failures, what: &str, obj: &Value, key: &str) {
    let v = &obj[key];
    f.check(v.is_null() || is_hex(v), || format!("{what}: {key} = {v} is neither null nor a \"0x\" hex string"));
}

fn check_int(f: &mut Failures, what: &str, obj: &Value, key: &str) {
    let v = &obj[key];
    f.check(v.is_u64(), || format!("{what}: {key} = {v} is not a non-negative integer"));
}

fn check_int_or_null(f: &mut Failures, what: &str, obj: &Value, key: &str) {
    let v = &obj[key];
    f.check(v.is_null() || v.is_u64(), || format!("{what}: {key} = {v} is neither null nor an integer"));
}

fn check_string(f: &mut Failures, what: &str, obj: &Value, key: &str) {
    let v = &obj[key];
    f.check(v.is_string(), || format!("{what}: {key} = {v} is not a string"));
}

fn check_string_or_null(f: &mut Failures, what: &str, obj: &Value, key: &str) {
    let v = &obj[key];
    f.check(v.is_null() || v.is_string(), || format!("{what}: {key} = {v} is neither null nor a string"));
}

#[test]
fn cli_info_json_follows_the_contract() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    for (row, path, space) in &corpus {
        let file = row.file();
        let what = format!("{file}: info --json");
        let j = json_of("info", path);
        check_keys(
            &mut f,
            &what,
            &j,
            &[
                "os",
                "os_version",
                "cpu",
                "pointer_bits",
                "process_id",
                "module_count",
                "thread_count",
                "region_count",
                "region_source",
                "bytes_by_kind",
                "largest_free",
                "exception",
                "warnings",
            ],
        );
        for k in ["os", "os_version", "cpu"] {
            check_string(&mut f, &what, &j, k);
        }
        let (_, cpu) = os_cpu(row);
        f.check(j["cpu"] == cpu.as_str(), || format!("{what}: cpu {} != manifest {cpu}", j["cpu"]));
        f.check(j["pointer_bits"] == expected_pointer_bits(&cpu), || {
            format!("{what}: pointer_bits {} for cpu {cpu}", j["pointer_bits"])
        });
        check_int_or_null(&mut f, &what, &j, "process_id");
        for (k, n) in [("module_count", "module_count"), ("thread_count", "thread_count")] {
            check_int(&mut f, &what, &j, k);
            if let Some(n) = row.number(n) {
                f.check(j[k] == n, || format!("{what}: {k} {} != manifest {n}", j[k]));
            }
        }
        check_int(&mut f, &what, &j, "region_count");
        f.check(j["region_count"] == space.regions.len() as u64, || {
            format!("{what}: region_count {} != model's {}", j["region_count"], space.regions.len())
        });
        let source = j["region_source"].as_str().unwrap_or("");
        f.check(["memory_info_list", "linux_maps", "synthesized"].contains(&source), || {
            format!(
                "{what}: region_source {} is not one of memory_info_list|linux_maps|synthesized",
                j["region_source"]
            )
        });
        f.check(source == space.region_source.name(), || {
            format!("{what}: region_source {source} != model's {}", space.region_source.name())
        });
        match j["bytes_by_kind"].as_object() {
            Some(map) => {
                let mut sum: u128 = 0;
                for k in RegionKind::ALL {
                    match map.get(k.name()).and_then(Value::as_u64) {
                        Some(v) => sum += u128::from(v),
                        None => f.0.push(format!("{what}: bytes_by_kind.{} missing or not an integer", k.name())),
                    }
                }
                f.check(sum == u128::from(space.system.user_limit_addr), || {
                    format!("{what}: bytes_by_kind sums to {sum:#x}, user limit {:#x}", space.system.user_limit_addr)
                });
            }
            None => f.0.push(format!("{what}: bytes_by_kind is not an object")),
        }
        let lf = &j["largest_free"];
        if !lf.is_null() {
            check_keys(&mut f, &format!("{what}: largest_free"), lf, &["base", "size"]);
            check_hex(&mut f, &what, lf, "base");
            check_int(&mut f, &what, lf, "size");
        }
        f.check(lf.is_null() == space.largest_free().is_none(), || {
            format!("{what}: largest_free {lf} vs model {:?}", space.largest_free())
        });
        let ex = &j["exception"];
        match row.number("exception_code") {
            Some(code) => {
                check_keys(&mut f, &format!("{what}: exception"), ex, &["code", "name", "address", "thread_id"]);
                check_hex(&mut f, &what, ex, "code");
                check_string(&mut f, &what, ex, "name");
                check_hex(&mut f, &what, ex, "address");
                check_int(&mut f, &what, ex, "thread_id");
                f.check(hex_value(&ex["code"]) == Some(code), || {
                    format!("{what}: exception.code {} != manifest {code:#x}", ex["code"])
                });
            }
            None => f.check(ex.is_null(), || format!("{what}: exception {ex}, manifest has none")),
        }
        // Addresses beyond the fixed fields follow the same rule.
        check_hex(&mut f, &what, &j, "user_limit");
        check_hex_or_null(&mut f, &what, &j, "peb");
        if let Some(heaps) = j["heaps"].as_array() {
            for h in heaps {
                check_hex(&mut f, &format!("{what}: heaps[]"), h, "base");
            }
        }
        if !ex.is_null() {
            check_hex_or_null(&mut f, &what, ex, "instruction_address");
            check_hex_or_null(&mut f, &what, ex, "target_address");
        }
        match j["warnings"].as_array() {
            Some(ws) => f.check(ws.iter().all(Value::is_string), || format!("{what}: warnings holds a non-string")),
            None => f.0.push(format!("{what}: warnings is not an array")),
        }
    }
    f.finish("info --json");
}

#[test]
fn cli_regions_json_follows_the_contract() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    let kinds: Vec<&str> = RegionKind::ALL.iter().map(|k| k.name()).collect();
    for (row, path, space) in &corpus {
        let what = format!("{}: regions --json", row.file());
        let j = json_of("regions", path);
        let Some(entries) = j.as_array() else {
            f.0.push(format!("{what}: not an array"));
            continue;
        };
        f.check(entries.len() == space.regions.len(), || {
            format!("{what}: {} entries, model has {} regions", entries.len(), space.regions.len())
        });
        let mut reported = 0usize;
        for (i, (e, r)) in entries.iter().zip(&space.regions).enumerate() {
            let before = f.0.len();
            let what = format!("{what}[{i}]");
            check_keys(
                &mut f,
                &what,
                e,
                &["base", "end", "size", "state", "type", "protect", "kind", "label", "captured_bytes"],
            );
            check_hex(&mut f, &what, e, "base");
            check_hex(&mut f, &what, e, "end");
            check_int(&mut f, &what, e, "size");
            check_int(&mut f, &what, e, "captured_bytes");
            check_string(&mut f, &what, e, "state");
            check_string_or_null(&mut f, &what, e, "type");
            check_string(&mut f, &what, e, "protect");
            check_string(&mut f, &what, e, "label");
            check_hex_or_null(&mut f, &what, e, "alloc_base");
            f.check(e["kind"].as_str().is_some_and(|k| kinds.contains(&k)), || {
                format!("{what}: kind {} is not a region kind", e["kind"])
            });
            f.check(hex_value(&e["base"]) == Some(r.base_addr) && e["size"] == r.size_bytes, || {
                format!("{what}: base/size {}/{} != model {:#x}/{}", e["base"], e["size"], r.base_addr, r.size_bytes)
            });
            f.check(hex_value(&e["end"]) == Some(r.end_addr()), || format!("{what}: end {} != base + size", e["end"]));
            f.check(e["kind"] == r.kind.name(), || format!("{what}: kind {} != model {}", e["kind"], r.kind));
            if f.0.len() > before {
                reported += 1;
                if reported > 5 {
                    f.0.push(format!("{what}: (further entries not checked)"));
                    break;
                }
            }
        }
    }
    f.finish("regions --json");
}

#[test]
fn cli_modules_json_follows_the_contract() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    for (row, path, space) in &corpus {
        let what = format!("{}: modules --json", row.file());
        let j = json_of("modules", path);
        let Some(entries) = j.as_array() else {
            f.0.push(format!("{what}: not an array"));
            continue;
        };
        let loaded = entries.iter().filter(|e| e["unloaded"] == false).count();
        f.check(loaded == space.modules.len(), || {
            format!("{what}: {loaded} loaded entries, model has {} modules", space.modules.len())
        });
        f.check(entries.len() == space.modules.len() + space.unloaded_modules.len(), || {
            format!(
                "{what}: {} entries, model has {} loaded + {} unloaded",
                entries.len(),
                space.modules.len(),
                space.unloaded_modules.len()
            )
        });
        for (i, e) in entries.iter().enumerate() {
            let what = format!("{what}[{i}]");
            check_keys(
                &mut f,
                &what,
                e,
                &[
                    "name",
                    "path",
                    "base",
                    "end",
                    "size",
                    "timestamp",
                    "checksum",
                    "file_version",
                    "product_version",
                    "debug_id",
                    "unloaded",
                ],
            );
            check_string(&mut f, &what, e, "name");
            check_string(&mut f, &what, e, "path");
            check_hex(&mut f, &what, e, "base");
            check_hex(&mut f, &what, e, "end");
            check_int(&mut f, &what, e, "size");
            check_int(&mut f, &what, e, "timestamp");
            let c = &e["checksum"];
            f.check(c.is_u64() || is_hex(c), || format!("{what}: checksum {c} is neither an integer nor hex"));
            check_string_or_null(&mut f, &what, e, "file_version");
            check_string_or_null(&mut f, &what, e, "product_version");
            check_string_or_null(&mut f, &what, e, "debug_id");
            f.check(e["unloaded"].is_boolean(), || format!("{what}: unloaded {} is not a boolean", e["unloaded"]));
            if let (Some(b), Some(end), Some(size)) = (hex_value(&e["base"]), hex_value(&e["end"]), e["size"].as_u64())
            {
                f.check(b.saturating_add(size) == end, || format!("{what}: end != base + size"));
            }
        }
    }
    f.finish("modules --json");
}

#[test]
fn cli_threads_json_follows_the_contract() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    for (row, path, space) in &corpus {
        let what = format!("{}: threads --json", row.file());
        let j = json_of("threads", path);
        let Some(entries) = j.as_array() else {
            f.0.push(format!("{what}: not an array"));
            continue;
        };
        f.check(entries.len() == space.threads.len(), || {
            format!("{what}: {} entries, model has {} threads", entries.len(), space.threads.len())
        });
        if let Some(n) = row.number("thread_count") {
            f.check(entries.len() as u64 == n, || format!("{what}: {} entries, manifest {n}", entries.len()));
        }
        for (i, e) in entries.iter().enumerate() {
            let what = format!("{what}[{i}]");
            check_keys(
                &mut f,
                &what,
                e,
                &[
                    "id",
                    "name",
                    "crashed",
                    "teb",
                    "stack_base",
                    "stack_end",
                    "sp",
                    "ip",
                    "user_time_ms",
                    "kernel_time_ms",
                    "frames",
                ],
            );
            check_int(&mut f, &what, e, "id");
            check_string_or_null(&mut f, &what, e, "name");
            f.check(e["crashed"].is_boolean(), || format!("{what}: crashed {} is not a boolean", e["crashed"]));
            check_hex(&mut f, &what, e, "teb");
            check_hex(&mut f, &what, e, "stack_base");
            check_hex(&mut f, &what, e, "stack_end");
            check_hex_or_null(&mut f, &what, e, "sp");
            check_hex_or_null(&mut f, &what, e, "ip");
            check_int_or_null(&mut f, &what, e, "user_time_ms");
            check_int_or_null(&mut f, &what, e, "kernel_time_ms");
            check_hex_or_null(&mut f, &what, e, "start_address");
            f.check(e["frames"].is_null() || e["frames"].is_array(), || {
                format!("{what}: frames {} is neither null nor an array", e["frames"])
            });
        }
        let crashed: Vec<&Value> = entries.iter().filter(|e| e["crashed"] == true).collect();
        let ex_thread = space.exception.as_ref().map(|e| e.thread_id);
        let in_list = ex_thread.is_some_and(|id| space.threads.iter().any(|t| t.id == id));
        if in_list {
            f.check(crashed.len() == 1, || format!("{what}: {} crashed threads, expected exactly 1", crashed.len()));
            if let (Some(c), Some(id)) = (crashed.first(), ex_thread) {
                f.check(c["id"] == id, || format!("{what}: crashed thread {} != exception thread {id}", c["id"]));
            }
        } else {
            f.check(crashed.is_empty(), || {
                format!(
                    "{what}: {} crashed threads but the exception's thread {ex_thread:?} is not listed",
                    crashed.len()
                )
            });
        }
    }
    f.finish("threads --json");
}

#[test]
fn cli_text_output_is_produced() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    for (row, path, _) in &corpus {
        let p = path.to_str().expect("utf-8 path");
        for command in ["info", "regions", "modules", "threads"] {
            let run = memscape(&[command, p]);
            f.check(run.status == 0, || {
                format!("{}: memscape {command} exited {}: {}", row.file(), run.status, run.stderr)
            });
            f.check(!run.stdout.trim().is_empty(), || format!("{}: memscape {command} printed nothing", row.file()));
            // The MANIFEST's facts, in the words the text prints them in.
            let mut facts: Vec<String> = Vec::new();
            match command {
                "info" => {
                    if let Some(n) = row.number("thread_count") {
                        facts.push(format!("{n} threads"));
                    }
                    if let Some(n) = row.number("module_count") {
                        facts.push(format!("{n} modules"));
                    }
                    if let Some(code) = row.number("exception_code") {
                        facts.push(format!("(0x{code:08x})"));
                    }
                    if let Some(n) = row.number("memory_info_regions") {
                        facts.push(format!("({n} entries)"));
                    }
                }
                "modules" => {
                    let notable = row.get("notable_modules");
                    facts.extend(notable.split(';').filter(|m| !m.is_empty() && *m != "-").map(str::to_string));
                }
                "threads" => {
                    if let Some(n) = row.number("thread_count") {
                        let lines = run.stdout.lines().filter(|l| !l.trim().is_empty()).count() as u64;
                        f.check(lines > n, || {
                            format!("{}: memscape threads printed {lines} lines for {n} threads", row.file())
                        });
                    }
                }
                _ => {
                    if let Some(n) = row.number("memory_info_regions") {
                        let lines = run.stdout.lines().count() as u64;
                        f.check(lines >= n, || {
                            format!("{}: memscape regions printed {lines} lines for {n} entries", row.file())
                        });
                    }
                }
            }
            for fact in facts {
                let lower = run.stdout.to_ascii_lowercase();
                f.check(lower.contains(&fact.to_ascii_lowercase()), || {
                    format!("{}: memscape {command} does not say {fact:?}", row.file())
                });
            }
        }
    }
    f.finish("text output");
}

/// The helper itself must be able to fail.
#[test]
fn region_invariants_catch_a_gap() {
    let Some(corpus) = open_corpus() else { return };
    let (_, _, mut space) = corpus.into_iter().next().expect("at least one dump");
    assert_region_invariants(&space, "untouched");
    let removed = space.regions.remove(space.regions.len() / 2);
    let err = region_invariants(&space).expect_err("a missing region must be caught");
    assert!(err.contains("gap"), "{err} (removed {:#x})", removed.base_addr);
}

/// The MANIFEST's remaining columns, each an independent truth: the file's
/// SHA-256 (by GNU coreutils' sha256sum), the OS version string, the
/// MemoryList / Memory64List range counts and the LinuxMaps line count.
#[test]
fn manifest_hashes_versions_and_counts_match() {
    let Some(corpus) = open_corpus() else { return };
    let mut f = Failures::new();
    let sha256sum = Command::new("sha256sum").arg("--version").output().is_ok_and(|o| o.status.success());
    if !sha256sum {
        eprintln!("sha256sum is missing: the SHA-256 column was skipped");
    }
    let mut maps_rows = 0;
    for (row, path, space) in &corpus {
        let file = row.file();
        if sha256sum {
            let out = Command::new("sha256sum").arg(path).output().expect("run sha256sum");
            let got = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or("").to_string();
            f.check(got == row.get("sha256"), || format!("{file}: sha256 {got}, MANIFEST {}", row.get("sha256")));
        }
        let version = row.get("os_version");
        f.check(space.system.os_version.contains(version), || {
            format!("{file}: OS version {:?} does not hold the MANIFEST's {version:?}", space.system.os_version)
        });
        let ranges = row.number("memory_list_ranges").unwrap_or(0) + row.number("memory64_ranges").unwrap_or(0);
        let got = space.captured.ranges().len() as u64;
        f.check(got == ranges, || format!("{file}: {got} captured ranges, MANIFEST {ranges}"));
        if let Some(lines) = row.number("linux_maps_lines") {
            maps_rows += 1;
            f.check(space.source_entry_count as u64 == lines, || {
                format!("{file}: {} LinuxMaps entries, MANIFEST {lines} lines", space.source_entry_count)
            });
        }
    }
    assert!(maps_rows >= 3, "only {maps_rows} dumps with LinuxMaps lines");
    f.finish("MANIFEST hashes, versions and counts");
}
