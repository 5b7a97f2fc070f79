#!/usr/bin/env bash
# Starts `n8s sim apiserver` and runs the real clients' scripted sessions against it:
# the official Python client, Debian's kubectl 1.20, and the system kubectl when there is one;
# then `n8s plan --kubeconfig` on a snapshot loaded with kubectl 1.20 (conformance/plan.sh).
# Usage: conformance/run.sh <path to the n8s binary>
set -uo pipefail
cd "$(dirname "$0")/.."
n8s="${1:-.build/debug/n8s}"
work="$(mktemp -d)"
failures=0

run_session() { # run_session <name> <command...>: each session gets a fresh server
    local name="$1"
    shift
    "$n8s" sim apiserver --port 0 --history 20 --kubeconfig "$work/kubeconfig" >"$work/server.log" 2>&1 &
    local server=$!
    for _ in $(seq 100); do grep -q "^kubeconfig:" "$work/server.log" 2>/dev/null && break; sleep 0.1; done
    if ! grep -q "^kubeconfig:" "$work/server.log"; then
        echo "conformance: the API server did not start: $(cat "$work/server.log")"
        kill "$server" 2>/dev/null
        failures=$((failures + 1))
        return
    fi
    echo "== $name"
    if ! "$@" "$work/kubeconfig"; then failures=$((failures + 1)); fi
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
}

kubectl_session() { conformance/kubectl.sh "$2" "$1" "$n8s"; }
plan_session() { conformance/plan.sh "$2" "$1" "$n8s"; }

run_session "official Python client" .venv/bin/python conformance/python_client.py
run_session "kubectl 1.20 (Debian kubernetes-client)" kubectl_session .tools/kubectl-1.20
run_session "n8s plan --kubeconfig after kubectl 1.20 apply = n8s plan --snapshot" plan_session .tools/kubectl-1.20
if command -v kubectl >/dev/null; then
    run_session "kubectl $(kubectl version --client -o json 2>/dev/null | grep -o '"gitVersion": *"[^"]*"' | cut -d'"' -f4) (system)" kubectl_session kubectl
fi
rm -rf "$work"
echo "conformance sessions failed: $failures"
[[ $failures -eq 0 ]]
