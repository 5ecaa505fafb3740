#!/usr/bin/env bash
# million.sh: issue 16's figures on its dump, in one run (tests/benches/README.md,
# "A million regions"):
#   1. `memscape info --json` against a bare rust-minidump program parsing the
#      same MemoryInfoList (tests/benches/rust_minidump_regions.rs): wall time and
#      peak RSS, best of 5 each, alternating;
#   2. `memscape shot --size 1920x1080` of every view: total and peak RSS;
#   3. `memscape bench-gpu` frame times of every view at 200k and 1M regions
#      (FRAMES frames each, default 30: set FRAMES=300 on a real GPU).
# The window's timings come from `cargo bench --bench window`.
# usage: tests/benches/million.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
cargo build --release --quiet --example rust_minidump_regions
bin=target/release/memscape
peer=target/release/examples/rust_minidump_regions
dir=target/figures
mkdir -p "$dir"
frames=${FRAMES:-30}
m1=$dir/issue16-1m.dmp
m200=$dir/issue16-200k.dmp
[[ -e $m1 ]] || "$bin" synth --regions 1000000 --threads 200 --modules 500 --captured-bytes 64MiB -o "$m1" >/dev/null
[[ -e $m200 ]] || "$bin" synth --regions 200000 --threads 200 --modules 500 --captured-bytes 64MiB -o "$m200" >/dev/null

# "seconds KiB" of one command (GNU time), output discarded.
measure() { /usr/bin/time -f "%e %M" "$@" 2>&1 >/dev/null | tail -1; }
best() { sort -n | head -1; }

echo "### info --json against rust-minidump ($(nproc) cores, $("$bin" --version))"
echo
ours=(); theirs=()
for _ in 1 2 3 4 5; do
  ours+=("$(measure "$bin" info --json "$m1")")
  theirs+=("$(measure "$peer" "$m1")")
done
o_t=$(printf '%s\n' "${ours[@]}" | awk '{print $1}' | best); o_m=$(printf '%s\n' "${ours[@]}" | awk '{print $2}' | best)
p_t=$(printf '%s\n' "${theirs[@]}" | awk '{print $1}' | best); p_m=$(printf '%s\n' "${theirs[@]}" | awk '{print $2}' | best)
echo "| program | wall s (best of 5) | peak RSS MiB |"
echo "|---|---:|---:|"
echo "| memscape info --json | $o_t | $((o_m / 1024)) |"
echo "| rust-minidump MemoryInfoList parse | $p_t | $((p_m / 1024)) |"
echo

echo "### shot --size 1920x1080"
echo
echo "| view | total s | peak RSS MiB |"
echo "|---|---:|---:|"
for view in strip hilbert treemap city volume; do
  r=$(measure "$bin" shot "$m1" --view "$view" --size 1920x1080 -o "$dir/issue16-$view.png")
  read -r t m <<<"$r"
  echo "| $view | $t | $((m / 1024)) |"
done
echo

echo "### bench-gpu, $frames frames at 1920x1080"
echo
echo "| regions | view | instances | drawn (first frame) | MSAA | p50 ms | p99 ms | device |"
echo "|---:|---|---:|---:|---:|---:|---:|---|"
for f in "$m200" "$m1"; do
  n=$([[ $f == "$m1" ]] && echo 1000000 || echo 200000)
  for view in strip hilbert treemap city volume; do
    out=$("$bin" bench-gpu "$f" --view "$view" --frames "$frames" 2>/dev/null)
    head=$(head -1 <<<"$out"); tail=$(tail -1 <<<"$out")
    device=$(sed -E 's/.* on (.*) \((Vulkan|Gl|Metal|Dx12)\):.*/\1/' <<<"$head")
    inst=$(sed -E 's/.*: ([0-9]+) instances.*/\1/' <<<"$head")
    drawn=$(sed -E 's/.* ([0-9]+) drawn in the first frame.*/\1/' <<<"$head")
    msaa=$(sed -E 's/.*, ([0-9]+)x MSAA/\1/' <<<"$head")
    p50=$(sed -E 's/.*p50 ([0-9.]+) ms.*/\1/' <<<"$tail")
    p99=$(sed -E 's/.*p99 ([0-9.]+) ms.*/\1/' <<<"$tail")
    echo "| $n | $view | $inst | $drawn | $msaa | $p50 | $p99 | $device |"
  done
done
