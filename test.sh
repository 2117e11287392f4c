#!/usr/bin/env bash
# Runs dlm's whole test suite from a fresh clone: installs what the tests need
# (reference data, OpenBLAS when root), builds, runs every test project, and ends with
#   tests: N passed, N failed, N skipped
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Gemm").
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "test.sh: the .NET 10 SDK is required (dotnet not found)" >&2; echo "tests: 0 passed, 1 failed, 0 skipped"; exit 1; }
if ! tools/reference/setup.sh; then
  echo "test.sh: reference setup failed" >&2
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test Dlm.slnx -c Release --nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Sum the per-project summaries VSTest prints:
#   Passed!  - Failed:     0, Passed:    75, Skipped:     0, Total:    75, ...
sum() { grep -E "^(Passed|Failed)! +- Failed:" "$log" | sed -E "s/.*$1: +([0-9]+).*/\1/" | awk '{s+=$1} END {print s+0}'; }
passed=$(sum Passed); failed=$(sum Failed); skipped=$(sum Skipped)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any test could report: count it as a failure.
  failed=1
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$status"
