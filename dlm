#!/usr/bin/env bash
# Launcher for the dlm CLI: builds src/Dlm.Cli in Release the first time (restoring packages
# on a fresh machine) and again only when a source file changed, then runs it.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
out="$root/.build/cli"
stamp="$out/.built"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

needs_build() {
  [ -f "$stamp" ] && [ -f "$out/dlm.dll" ] || return 0
  # Any source, project or props file, or the primer the build copies, newer than the last build?
  [ -n "$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" "$root/data/primer.jsonl" \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.jsonl' \) \
      -not -path '*/bin/*' -not -path '*/obj/*' -newer "$stamp" -print -quit 2>/dev/null)" ]
}

if needs_build; then
  command -v dotnet >/dev/null || { echo "dlm: the .NET 10 SDK is required (dotnet not found)" >&2; exit 1; }
  log="$(mktemp)"
  if ! dotnet build "$root/src/Dlm.Cli/Dlm.Cli.csproj" -c Release -o "$out" --nologo -v q >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"
    echo "dlm: build failed" >&2
    exit 1
  fi
  rm -f "$log"
  touch "$stamp"
fi
exec dotnet "$out/dlm.dll" "$@"
