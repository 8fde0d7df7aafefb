#!/usr/bin/env bash
# Declares every public symbol the build reports as undeclared (RS0016) in PublicAPI.Unshipped.txt of its project, and drops
# declared symbols that no longer exist (RS0017). Run it after a deliberate change to the public API, then review the diff:
# the analyzers fail the build on any public change not written down there.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
for project in src/LongCat.Sdk src/LongCat.Sdk.SemanticKernel src/LongCat.Sdk.Server; do
  dotnet build "$project" -c Release --no-incremental -p:TreatWarningsAsErrors=false 2>&1 > "$log" || true
  for dir in $project; do
    unshipped="$dir/PublicAPI.Unshipped.txt"
    grep -E "warning RS0016" "$log" | grep -F "[$PWD/$dir/" | sed -E "s/.*Symbol '(.*)' is not part of the declared public API.*/\1/" >> "$unshipped" || true
    removed=$(grep -E "warning RS0017" "$log" | grep -F "[$PWD/$dir/" | sed -E "s/.*Symbol '(.*)' is part of the declared API, but is either not public or could not be found.*/\1/" | sort -u || true)
    python3 - "$unshipped" "$dir/PublicAPI.Shipped.txt" "$removed" <<'PY'
import sys
unshipped, shipped, removed = sys.argv[1], sys.argv[2], set(filter(None, sys.argv[3].split("\n")))
for path in (unshipped, shipped):
    lines = open(path).read().splitlines()
    header = [l for l in lines if l.startswith("#")]
    body = sorted(set(l for l in lines if l and not l.startswith("#") and l not in removed))
    open(path, "w").write("\n".join((header or ["#nullable enable"]) + body) + "\n")
PY
  done
done
rm -f "$log"
git --no-pager diff --stat -- 'src/*/PublicAPI.*.txt' || true
