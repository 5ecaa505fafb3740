#!/usr/bin/env bash
# figures.sh: the figures in tests/benches/README.md, measured in one run.
#
# Builds memscape in release, generates the 10k, 100k and 1M-region dumps
# (`memscape synth`, kept in target/figures/), then prints markdown tables:
#   1. open + model, every layout and `memscape shot` at 1920x1080 per view,
#      each with the peak resident memory of that command (`--timings`);
#   2. stack walks of every thread: `minidump-stackwalk --json` against
#      `memscape threads --stacks --json` on each shared dump and on the
#      generated ones (minidump-stackwalk from `cargo install minidump-stackwalk`;
#      skipped when it is not on PATH);
#   3. the same with the same Breakpad symbols: the demo dump's bundled ones,
#      and those `cargo bench --bench analysis` writes for the generated dumps.
# usage: tests/benches/figures.sh [CORPUS_DIR]   (default ../shared/dumps)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${1:-../shared/dumps}
cargo build --release --quiet
bin=target/release/memscape
dir=target/figures
mkdir -p "$dir"

# One dump per size: regions threads modules captured.
sizes=("10000 50 100 64MiB" "100000 400 400 512MiB" "1000000 2000 1000 4GiB")

dump_of() { echo "$dir/synth-$1.dmp"; }
for s in "${sizes[@]}"; do
  read -r n t m c <<<"$s"
  f=$(dump_of "$n")
  [[ -e $f ]] || "$bin" synth --regions "$n" --threads "$t" --modules "$m" --captured-bytes "$c" -o "$f" >/dev/null
done

# The figure of one phase (ms) from a --timings report on stdin; "-" when absent.
phase() { awk -v p="$1" '$1=="timings:" && $2==p {print $3; found=1} END {if (!found) print "-"}'; }
rss() { awk '$1=="timings:" && $2=="peak" {print $4}'; }
secs() { awk '{printf "%.2f", $1}'; }

echo "### Open, layout and shot (release, $(nproc) cores, $("$bin" --version))"
echo
echo "| regions | file | open ms | model ms | peak RSS MiB | view | layout ms | scene ms | render ms | encode ms | shot total ms | shot peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|"
for s in "${sizes[@]}"; do
  read -r n _ <<<"$s"
  f=$(dump_of "$n")
  size=$(du -h --apparent-size "$f" | cut -f1)
  info=$("$bin" info "$f" --timings 2>&1 >/dev/null)
  first=1
  for view in strip hilbert treemap city volume; do
    shot=$("$bin" shot "$f" --view "$view" --size 1920x1080 -o "$dir/shot-$view-$n.png" --timings 2>&1 >/dev/null | grep '^timings:')
    if ((first)); then
      o=$(phase open <<<"$info"); mo=$(phase model <<<"$info"); r=$(rss <<<"$info")
      lead="| $n | $size | $o | $mo | $r"
      first=0
    else
      lead="| | | | |"
    fi
    echo "$lead | $view | $(phase layout <<<"$shot") | $(phase scene <<<"$shot") | $(phase render <<<"$shot") | $(phase encode <<<"$shot") | $(phase total <<<"$shot") | $(rss <<<"$shot") |"
  done
done
echo

echo "### Stack walks of every thread (milliseconds per run, peak RSS MiB)"
echo
if ! command -v minidump-stackwalk >/dev/null; then
  echo "minidump-stackwalk is not installed (cargo install minidump-stackwalk): skipped."
  exit 0
fi
echo "memscape's total includes opening the dump and building its region model;"
echo "the stackwalk column is that phase alone (\`--timings\`)."
echo
echo "| dump | threads | minidump-stackwalk --json ms | RSS | memscape threads --stacks --json ms | stackwalk phase ms | RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|"
# Mean wall time in ms of `runs` runs of the command.
mean_ms() {
  local runs=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1; done
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" -v n="$runs" 'BEGIN { printf "%.1f", (b - a) / n / 1e6 }'
}
peak_mib() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%d", $1 / 1024}'; }
for f in "$corpus"/*.dmp "$corpus"/*.mdmp $(for s in "${sizes[@]}"; do read -r n _ <<<"$s"; dump_of "$n"; done); do
  [[ -e $f ]] || continue
  threads=$("$bin" info "$f" --json 2>/dev/null | awk -F': ' '/"thread_count"/ {gsub(/,/, "", $2); print $2}')
  runs=20
  [[ $(stat -c %s "$f") -gt 100000000 ]] && runs=3
  ms=$(mean_ms "$runs" minidump-stackwalk --json "$f")
  mr=$(peak_mib minidump-stackwalk --json "$f")
  ss=$(mean_ms "$runs" "$bin" threads "$f" --stacks --json)
  walk=$("$bin" threads "$f" --stacks --json --timings 2>&1 >/dev/null | phase stackwalk)
  sr=$(peak_mib "$bin" threads "$f" --stacks --json)
  echo "| $(basename "$f") | ${threads:-?} | $ms | $mr | $ss | $walk | $sr |"
done
echo

echo "### Symbolized stack walks: the same Breakpad symbols (milliseconds per run, peak RSS MiB)"
echo
echo "The demo dump with its bundled .sym files, and the generated dumps with the"
echo "symbols \`cargo bench --bench analysis\` writes beside them (a FUNC and a line"
echo "every 4 KiB of every module; run it first, or those rows are skipped)."
echo
echo "| dump | threads | minidump-stackwalk --json ms | RSS | memscape threads --stacks --json ms | stackwalk phase ms | RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for f in assets/demo/azure-worker-crash.dmp target/tmp/memscape-bench-*.dmp; do
  [[ -e $f ]] || continue
  syms=${f%.dmp}.symbols
  [[ $f == assets/demo/* ]] && syms=assets/demo/symbols
  [[ -d $syms ]] || continue
  threads=$("$bin" info "$f" --json 2>/dev/null | awk -F': ' '/"thread_count"/ {gsub(/,/, "", $2); print $2}')
  runs=20
  [[ $(stat -c %s "$f") -gt 100000000 ]] && runs=3
  ms=$(mean_ms "$runs" minidump-stackwalk --json --symbols-path "$syms" "$f")
  mr=$(peak_mib minidump-stackwalk --json --symbols-path "$syms" "$f")
  ss=$(mean_ms "$runs" "$bin" threads "$f" --stacks --json --symbols "$syms")
  walk=$("$bin" threads "$f" --stacks --json --symbols "$syms" --timings 2>&1 >/dev/null | phase stackwalk)
  sr=$(peak_mib "$bin" threads "$f" --stacks --json --symbols "$syms")
  echo "| $(basename "$f") | ${threads:-?} | $ms | $mr | $ss | $walk | $sr |"
done
