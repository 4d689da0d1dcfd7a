#!/usr/bin/env bash
# Run every fuzz target for a bounded time (libFuzzer through cargo-fuzz, stable toolchain:
# coverage instrumentation without a sanitizer, debug assertions on).
#   fuzz/run.sh            # 300 s per target (the long run)
#   fuzz/run.sh 10         # a smoke run, as CI does
# A finding stops the run with the crashing input under fuzz/artifacts/<target>/; turn it into a
# regression test before fixing it.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-300}
# A smoke run (under a minute per target) builds without optimisation: it compiles in a
# fraction of the time, and a few seconds of unoptimised fuzzing still replay the corpus and
# find what a short run finds. Long runs build optimised (with debug assertions, the default).
mode=()
[ "$seconds" -lt 60 ] && mode=(--dev)
command -v cargo-fuzz >/dev/null || cargo install --locked --quiet cargo-fuzz
cargo fuzz build -s none "${mode[@]}"
for target in $(cargo fuzz list); do
  mkdir -p "corpus/$target"
  echo "fuzz: $target for ${seconds}s"
  cargo fuzz run -s none "${mode[@]}" "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 2>&1 \
    | grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|panicked' || true
  # cargo fuzz exits non-zero on a finding; the pipeline above hides it, so check artifacts.
  if compgen -G "artifacts/$target/*" >/dev/null; then
    echo "fuzz: $target found a crash: $(ls artifacts/"$target")" >&2
    exit 1
  fi
done
