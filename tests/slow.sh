#!/usr/bin/env bash
# The slow tests `cargo test` leaves out (#[ignore]d for time: a million-region,
# 4 GiB generated dump, ...), in release. Not part of CI's 30-minute budget; run
# it before a release or after touching synth/big, dump/ or the layouts.
# The live-capture child is #[ignore]d too but is no test: it is skipped here.
set -euo pipefail
cd "$(dirname "$0")/.."
MEMSCAPE_CORPUS=${MEMSCAPE_CORPUS:-../shared/dumps} cargo test --release --test tests -- --ignored \
  --skip live_capture::child_sleeps_when_asked "$@"
