#!/usr/bin/env bash
# Runs every libFuzzer target in BIN_DIR for a bounded time, one after the
# other, and says whether any found a crash, a leak, a timeout or an
# out-of-memory. `make fuzz` calls it after building build-fuzz.
#
#   tests/fuzz/run_all.sh BIN_DIR
#
# Environment:
#   FUZZ_SECONDS           time per target (default 60)
#   FUZZ_TARGETS           space-separated targets to run (default: every
#                          corpus/<target>/ that has a BIN_DIR/<target>)
#   FUZZ_MINIMIZE_SECONDS  time to minimise each crash found (default 60; 0: don't)
#   FUZZ_ARTIFACTS         where artifacts go (default BIN_DIR/../artifacts)
#
# Each target runs on a copy of tests/fuzz/corpus/<target>/ in a temp dir
# (what it adds is dropped afterwards), with tests/fuzz/regressions/<target>/
# as extra read-only inputs, so a fixed crash that comes back is found at
# once. Crash, leak, timeout and oom files go to ARTIFACTS/<target>/, with
# the run's log (fuzz.log) and, for each crash, a minimised copy
# (minimized-<file>). A finding is turned into a regression by copying the
# minimised file into tests/fuzz/regressions/<target>/ under a name that says
# what it is (see README.md), then fixing the bug.
#
# Exit status: 0 when every target ran clean for its time; 1 when any target
# found something or failed to run (each named in the summary); 2 on bad use.
set -u -o pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 BIN_DIR   (the build-fuzz/bin with the *_fuzz binaries)" >&2
  exit 2
fi
BIN_DIR=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SECONDS_EACH=${FUZZ_SECONDS:-60}
MINIMIZE_SECONDS=${FUZZ_MINIMIZE_SECONDS:-60}
ARTIFACTS=${FUZZ_ARTIFACTS:-$(cd "$BIN_DIR/.." && pwd)/artifacts}

# UBSan findings are fatal (by default it reports and carries on, which
# libFuzzer would not count); ASan's leak check stays on.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:silence_unsigned_overflow=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for dir in "$HERE"/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/signet-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT
# Targets make their scratch workspaces under $TMPDIR; a crashing process
# cannot remove its own, so they go in here and leave with it.
export TMPDIR="$work"

declare -a summary
failed=0

for target in "${targets[@]}"; do
  bin="$BIN_DIR/$target"
  art="$ARTIFACTS/$target"
  mkdir -p "$art"
  log="$art/fuzz.log"
  if [[ ! -x "$bin" ]]; then
    summary+=("$(printf '%-22s %s' "$target" "NOT BUILT: $bin is missing")")
    failed=1
    continue
  fi
  corpus="$work/$target"
  mkdir -p "$corpus"
  cp -r "$HERE/corpus/$target/." "$corpus/" 2>/dev/null || true
  inputs=("$corpus")
  [[ -d "$HERE/regressions/$target" ]] && inputs+=("$HERE/regressions/$target")
  stamp="$work/$target.stamp"
  touch "$stamp"
  sleep 1  # artifacts of this run are strictly newer than the stamp

  echo "== $target: ${SECONDS_EACH}s (log: $log)"
  (cd "$work" && "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$art/" -print_final_stats=1 "${inputs[@]}") >"$log" 2>&1
  rc=$?

  mapfile -t found < <(find "$art" -maxdepth 1 -type f -newer "$stamp" \
      \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
  done_line=$(grep -a -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  last_line=${done_line:-$(grep -a -E '^#[0-9]+[[:space:]]+(pulse|NEW|REDUCE|INITED)' "$log" | tail -1)}
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last_line")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last_line")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
  figures=$(printf 'runs %-9s exec/s %-6s cov %-6s ft %-6s corpus %-10s rss %sMB' \
      "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "${rss:-?}")

  if [[ ${#found[@]} -eq 0 && $rc -eq 0 ]]; then
    summary+=("$(printf '%-22s clean    %s' "$target" "$figures")")
    continue
  fi
  failed=1
  if [[ ${#found[@]} -eq 0 ]]; then
    summary+=("$(printf '%-22s FAILED   exit %s and no artifact: see %s' "$target" "$rc" "$log")")
    continue
  fi
  for f in "${found[@]}"; do
    kind=$(basename "$f" | cut -d- -f1)
    line="$(printf '%-22s FOUND    %-7s %s' "$target" "$kind" "$f")"
    if [[ "$kind" == crash && "$MINIMIZE_SECONDS" -gt 0 ]]; then
      min="$art/minimized-$(basename "$f")"
      (cd "$work" && "$bin" -minimize_crash=1 -max_total_time="$MINIMIZE_SECONDS" -timeout=10 \
          -exact_artifact_path="$min" "$f") >"$art/minimize-$(basename "$f").log" 2>&1
      [[ -f "$min" ]] && line+=" (minimised: $min, $(stat -c %s "$min") bytes)"
    fi
    summary+=("$line")
  done
  summary+=("$(printf '%-22s          %s' "" "$figures")")
done

echo
echo "fuzz summary (${SECONDS_EACH}s per target; artifacts under $ARTIFACTS):"
printf '  %s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
  echo "fuzzing found problems: reproduce with BIN_DIR/<target> <file>; see tests/fuzz/README.md"
  exit 1
fi
echo "all targets ran clean"
