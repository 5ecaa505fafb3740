#!/usr/bin/env bash
# Runs every memscape fuzz target for SECONDS each (default 1800, the issue's
# 30 minutes), JOBS targets at a time (default 1), with libFuzzer's limits:
# 5 s per input (-timeout, a hang) and 1024 MiB (-rss_limit_mb). Seeds come
# from the demo dump, the shared corpus when ../shared/dumps is beside the
# project (copied into tests/fuzz/corpus, which git ignores; never committed),
# this machine's ELF binaries and /proc/self/maps. Findings land in
# tests/fuzz/artifacts/TARGET; the figures of each run in tests/fuzz/logs.
# Needs the nightly toolchain and cargo-fuzz (cargo +nightly install cargo-fuzz).
#
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-1800}
jobs=${JOBS:-1}
targets=(open_dump linux_maps sections layouts symbol_file symbol_paths)
fuzz=tests/fuzz
mkdir -p "$fuzz/logs"
for t in "${targets[@]}"; do mkdir -p "$fuzz/corpus/$t"; done

# Seeds.
cp assets/demo/*.dmp "$fuzz/corpus/open_dump/"
if [ -d ../shared/dumps ]; then cp ../shared/dumps/*.dmp "$fuzz/corpus/open_dump/"; fi
cat /proc/self/maps > "$fuzz/corpus/linux_maps/self.maps"
printf '00400000-0040b000 r-xp 00000000 08:01 1234 /usr/bin/app\n7ffd0000-7ffd1000 rw-p 00000000 00:00 0 [stack]\n' \
  > "$fuzz/corpus/linux_maps/small.maps"
for bin in /bin/ls /bin/sh /usr/lib/x86_64-linux-gnu/libc.so.6; do
  [ -f "$bin" ] || continue
  # 16 bytes of base and size, then the header page.
  { printf '\x00\x00\x40\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00'; head -c 4096 "$bin"; } \
    > "$fuzz/corpus/sections/$(basename "$bin").page"
done
head -c 6000 /dev/urandom > "$fuzz/corpus/layouts/random"
# Symbol files: small ELF objects of this machine (with .eh_frame, symbols
# and, for a -g object, DWARF), the demo's Breakpad .sym files, and a PDB and
# PE when clang and lld-link can make them.
for bin in /bin/true /usr/lib/x86_64-linux-gnu/libpthread.so.0; do
  [ -f "$bin" ] && cp "$bin" "$fuzz/corpus/symbol_file/$(basename "$bin")"
done
printf 'int f(int x){return x*3;}\nint main(void){return f(1);}\n' > "$fuzz/corpus/seed.c"
gcc -g -O1 -o "$fuzz/corpus/symbol_file/dwarf.elf" "$fuzz/corpus/seed.c" 2>/dev/null || true
if command -v clang >/dev/null && command -v lld-link >/dev/null; then
  (cd "$fuzz/corpus" && clang --target=x86_64-pc-windows-msvc -g -gcodeview -c seed.c -o seed.obj \
    && lld-link /debug /pdb:symbol_file/seed.pdb /out:symbol_file/seed.exe /entry:main /nodefaultlib \
       /subsystem:console seed.obj) >/dev/null 2>&1 || true
fi
find assets/demo/symbols -name '*.sym' | head -5 | while read -r f; do cp "$f" "$fuzz/corpus/symbol_file/"; done
printf 'srv*C:\\sym*https://msdl.example/download/symbols;D:\\build;cache*E:\\c' > "$fuzz/corpus/symbol_paths/windbg"
printf 'https://debuginfod.example/ http://127.0.0.1:8002' > "$fuzz/corpus/symbol_paths/debuginfod"

cargo +nightly fuzz build --fuzz-dir "$fuzz" -O
run() {
  local t=$1 status=0 extra=()
  # Whole dumps as inputs: libFuzzer keeps its corpus in memory, and with
  # 1 MB seeds that alone would reach the RSS limit; 256 KiB inputs keep it
  # a limit on what memscape allocates.
  [ "$t" = open_dump ] && extra=(-max_len=262144)
  cargo +nightly fuzz run --fuzz-dir "$fuzz" -O "$t" "$fuzz/corpus/$t" -- \
    -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 "${extra[@]}" \
    > "$fuzz/logs/$t.log" 2>&1 || status=$?
  echo "$t: exit $status, $(grep -E '^stat::number_of_executed_units' "$fuzz/logs/$t.log" | tail -1)"
}
active=0
for t in "${targets[@]}"; do
  run "$t" &
  active=$((active + 1))
  if [ "$active" -ge "$jobs" ]; then wait -n; active=$((active - 1)); fi
done
wait
