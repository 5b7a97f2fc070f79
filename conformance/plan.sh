#!/usr/bin/env bash
# `n8s plan --kubeconfig` against a cluster loaded with `kubectl apply` of a snapshot prints the
# plan that `n8s plan --snapshot` prints for that snapshot (issue 11), table and JSON.
# Usage: conformance/plan.sh <kubeconfig> <kubectl binary> <n8s binary>
# Prints "ok <step>" / "FAIL <step>" and ends with "n8s plan: N passed, N failed".
set -uo pipefail
export KUBECONFIG="$1"
K="$2"
N8S="$3"
snapshot=conformance/plan-snapshot.json
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

if "$K" apply --validate=false -f "$snapshot" >"$work/apply.log" 2>&1; then ok "kubectl apply --validate=false -f $snapshot"; else fail "kubectl apply: $(cat "$work/apply.log")"; fi
# The API server creates pods Pending with no conditions (status is not taken on create, as
# kube-apiserver does); the scheduler's PodScheduled=False condition of the snapshot is written
# through the status subresource, as kube-scheduler writes it. (`--validate=false`: KubeSim serves
# no OpenAPI document for kubectl to validate against.) Nodes keep the status they are
# created with, as kubelets create them.
python3 - "$snapshot" "$work" <<'PY'
import json, sys
for item in json.load(open(sys.argv[1]))["items"]:
    if item["kind"] == "Pod":
        with open(f"{sys.argv[2]}/{item['metadata']['name']}.pod-status.json", "w") as f:
            json.dump(item, f)
PY
for f in "$work"/*.pod-status.json; do
    name="$(basename "$f" .pod-status.json)"
    if ! out="$("$K" replace --validate=false --raw "/api/v1/namespaces/default/pods/$name/status" -f "$f" 2>&1)"; then
        fail "status of pod $name: $out"
    fi
done
for format in table json; do
    "$N8S" plan --snapshot "$snapshot" --plan-id conformance --output "$format" >"$work/offline.$format" 2>"$work/offline.$format.err"
    "$N8S" plan --kubeconfig "$KUBECONFIG" --plan-id conformance --output "$format" >"$work/live.$format" 2>"$work/live.$format.err"
    if [[ -s "$work/offline.$format" ]] && diff -u "$work/offline.$format" "$work/live.$format" >"$work/diff" \
        && diff -u "$work/offline.$format.err" "$work/live.$format.err" >>"$work/diff"; then
        ok "n8s plan --kubeconfig prints what n8s plan --snapshot prints ($format)"
    else
        fail "n8s plan --kubeconfig differs from --snapshot ($format): $(cat "$work/diff" "$work/offline.$format.err" "$work/live.$format.err")"
    fi
done
if grep -q "4 of 5 pending MIG pods fit" "$work/live.table"; then ok "the live plan fits 4 of 5 pods"; else fail "live plan: $(cat "$work/live.table")"; fi
echo "n8s plan: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
