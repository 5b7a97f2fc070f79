#!/usr/bin/env bash
# Conformance of KubeSim against kubectl: a scripted session, each step checked.
# Usage: conformance/kubectl.sh <kubeconfig> [kubectl binary] [n8s binary]
# With the n8s binary, `n8s operator` runs against the server with its TLS webhook registered in a
# ValidatingWebhookConfiguration (the quota steps below).
# Prints "ok <step>" / "FAIL <step>" and ends with "kubectl: N passed, N failed".
set -uo pipefail
export KUBECONFIG="$1"
K="${2:-kubectl}"
N8S="${3:-}"
passed=0
failed=0
work="$(mktemp -d)"
trap 'rm -rf "$work"; kill $(jobs -p) 2>/dev/null' EXIT

check() { # check <step> <command...>: the command must succeed
    local name="$1"
    shift
    if out="$("$@" 2>&1)"; then
        passed=$((passed + 1))
        echo "ok $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name: $out"
    fi
}

expect() { # expect <step> <expected substring> <command...>: the output must contain the text
    local name="$1" want="$2"
    shift 2
    out="$("$@" 2>&1)"
    if [[ "$out" == *"$want"* ]]; then
        passed=$((passed + 1))
        echo "ok $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name: wanted '$want' in: $out"
    fi
}

cat >"$work/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: trainer.v1
  labels: {app: train}
spec:
  containers:
  - name: main
    image: busybox
    resources:
      limits:
        nvidia.com/mig-1g.10gb: 1
        memory: 1.5Gi
YAML
cat >"$work/node.yaml" <<'YAML'
apiVersion: v1
kind: Node
metadata:
  name: gpu-node-1
  labels: {nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}
YAML

expect "version reaches the server" "Server Version" "$K" version
check "create namespace" "$K" create namespace conformance-kubectl
expect "apply a pod from YAML" "created" "$K" apply --validate=false -n conformance-kubectl -f "$work/pod.yaml"
expect "apply again configures it in place" "trainer.v1" "$K" apply --validate=false -n conformance-kubectl -f "$work/pod.yaml"
check "create a node from YAML" "$K" apply --validate=false -f "$work/node.yaml"
expect "get nodes,pods -A" "conformance-kubectl   pod/trainer.v1" "$K" get nodes,pods -A
expect "get -o json shows defaulted requests" '"memory": "1536Mi"' "$K" get pod trainer.v1 -n conformance-kubectl -o json
expect "label selector" "trainer.v1" "$K" get pods -A -l 'app in (train,serve)'
expect "field selector" "trainer.v1" "$K" get pods -A --field-selector spec.nodeName=
expect "unsupported field selector is refused" "field label not supported" "$K" get pods -A --field-selector spec.hostname=x
check "annotate a node" "$K" annotate node gpu-node-1 n8s.nebuly.ai/spec-partitioning-plan=plan-1
check "label a node" "$K" label node gpu-node-1 n8s.nebuly.ai/auto-mig-enabled=true
expect "labels and annotations are stored" "plan-1" "$K" get node gpu-node-1 -o 'jsonpath={.metadata.annotations}'
check "merge patch" "$K" patch node gpu-node-1 --type=merge -p '{"metadata":{"labels":{"merge":"yes"}}}'
check "strategic merge patch" "$K" patch node gpu-node-1 -p '{"spec":{"taints":[{"key":"gpu","effect":"NoSchedule"}]}}'
check "JSON patch with a passing test" "$K" patch node gpu-node-1 --type=json -p '[{"op":"test","path":"/metadata/annotations/n8s.nebuly.ai~1spec-partitioning-plan","value":"plan-1"},{"op":"replace","path":"/metadata/annotations/n8s.nebuly.ai~1spec-partitioning-plan","value":"plan-2"}]'
expect "JSON patch with a failing test is refused" "test operation" "$K" patch node gpu-node-1 --type=json -p '[{"op":"test","path":"/metadata/annotations/n8s.nebuly.ai~1spec-partitioning-plan","value":"plan-1"}]'
expect "all patches landed" "merge=yes" "$K" get node gpu-node-1 --show-labels
expect "taint landed" "NoSchedule" "$K" get node gpu-node-1 -o 'jsonpath={.spec.taints}'

# Watch: start, change, and see the change arrive.
"$K" get pods -n conformance-kubectl -w -o name --request-timeout=20s >"$work/watch.out" 2>&1 &
watcher=$!
for _ in $(seq 50); do grep -q trainer "$work/watch.out" && break; sleep 0.1; done
"$K" label pod trainer.v1 -n conformance-kubectl round=two >/dev/null
"$K" delete pod trainer.v1 -n conformance-kubectl --wait=false >/dev/null
for _ in $(seq 50); do [[ $(grep -c trainer "$work/watch.out") -ge 3 ]] && break; sleep 0.1; done
kill $watcher 2>/dev/null
lines=$(grep -c trainer "$work/watch.out")
if [[ $lines -ge 3 ]]; then passed=$((passed + 1)); echo "ok watch delivered $lines lines"; else failed=$((failed + 1)); echo "FAIL watch delivered $lines lines: $(cat "$work/watch.out")"; fi

# 409 on a stale update: read, change behind its back, replace with the old version.
"$K" create configmap stale -n conformance-kubectl --from-literal=k=1 >/dev/null
"$K" get configmap stale -n conformance-kubectl -o yaml >"$work/stale.yaml"
"$K" patch configmap stale -n conformance-kubectl --type=merge -p '{"data":{"k":"2"}}' >/dev/null
expect "replace with a stale resourceVersion gets 409" "the object has been modified" "$K" replace --validate=false -f "$work/stale.yaml"

# 410 on an expired watch: the conformance server keeps 20 events of history.
for i in $(seq 30); do "$K" create configmap "churn-$i" -n conformance-kubectl >/dev/null; done
expect "watch from an expired version gets 410" "Expired" "$K" get --raw '/api/v1/configmaps?watch=1&resourceVersion=2'

# Custom resources: the repository's quota CRDs, served as kube-apiserver serves them.
crds="$(cd "$(dirname "$0")/.." && pwd)/deploy/crds"
cat >"$work/quotas.yaml" <<'YAML'
apiVersion: n8s.nebuly.ai/v1alpha1
kind: ElasticQuota
metadata: {name: team-quota}
spec:
  min: {n8s.nebuly.ai/gpu-memory: 40, nvidia.com/gpu: 1}
  max: {n8s.nebuly.ai/gpu-memory: "80"}
  unknownField: pruned
---
apiVersion: n8s.nebuly.ai/v1alpha1
kind: CompositeElasticQuota
metadata: {name: shared}
spec:
  namespaces: [team-b, team-c]
  min: {n8s.nebuly.ai/gpu-memory: 20}
YAML
cat >"$work/bad-quota.yaml" <<'YAML'
apiVersion: n8s.nebuly.ai/v1alpha1
kind: ElasticQuota
metadata: {name: bad}
spec:
  max: {nvidia.com/gpu: lots}
YAML
row() { "$K" get "$@" --no-headers 2>&1 | tr -s ' '; }
expect "apply the quota CRDs" "customresourcedefinition.apiextensions.k8s.io/elasticquotas.n8s.nebuly.ai created" "$K" apply --validate=false -f "$crds"
expect "the CRDs are listed" "compositeelasticquotas.n8s.nebuly.ai" "$K" get crds
expect "apply quotas" "compositeelasticquota.n8s.nebuly.ai/shared created" "$K" apply --validate=false -n conformance-kubectl -f "$work/quotas.yaml"
expect "get eq -A shows the printer columns" "GPU MEMORY MIN" "$K" get eq -A
expect "get eq -A shows min, max and used (empty while unknown)" "conformance-kubectl team-quota 40 80 1 " row eq -A
expect "the n8s category lists both kinds" "compositeelasticquota.n8s.nebuly.ai/shared" "$K" get n8s -A
expect "get eq,ceq -A shows both kinds" "compositeelasticquota.n8s.nebuly.ai/shared" "$K" get eq,ceq -A
check "unknown fields are pruned" bash -c "! '$K' get eq team-quota -n conformance-kubectl -o jsonpath='{.spec}' | grep -q unknownField"
expect "an invalid quota is refused with the field named" "spec.max.nvidia.com/gpu in body should match" "$K" apply --validate=false -n conformance-kubectl -f "$work/bad-quota.yaml"

# The operator: status.used from Running pods, and its validating webhook over TLS, called by the
# API server through a ValidatingWebhookConfiguration that carries the webhook's CA.
if [[ -n "$N8S" ]]; then
    free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
    issue() { # issue <name>: a P-256 certificate for 127.0.0.1 signed by the session's CA
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/$1.key" -out "$work/$1.csr" -subj "/CN=n8s-operator" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$work/san.ext"
        openssl x509 -req -in "$work/$1.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial -days 1 -extfile "$work/san.ext" -out "$work/$1.crt" 2>/dev/null
    }
    served_serial() { openssl s_client -connect "127.0.0.1:$webhook_port" -CAfile "$work/ca.crt" -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial; }
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/ca.key" -out "$work/ca.crt" -days 1 -subj "/CN=n8s-webhook-ca" 2>/dev/null
    issue first
    cp "$work/first.crt" "$work/tls.crt"
    cp "$work/first.key" "$work/tls.key"
    webhook_port=$(free_port)
    health_port=$(free_port)
    "$N8S" operator --kubeconfig "$KUBECONFIG" --webhook-port "$webhook_port" --health-port "$health_port" \
        --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" --log-level warning >"$work/operator.log" 2>&1 &
    operator=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$health_port/readyz" >/dev/null && break; sleep 0.1; done
    cat >"$work/webhook.yaml" <<YAML
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: n8s-quota}
webhooks:
- name: quota.n8s.nebuly.ai
  clientConfig:
    url: https://127.0.0.1:$webhook_port/validate-quota
    caBundle: $(base64 -w0 "$work/ca.crt")
  rules:
  - {operations: [CREATE, UPDATE], apiGroups: [n8s.nebuly.ai], apiVersions: [v1alpha1], resources: [elasticquotas, compositeelasticquotas]}
  sideEffects: None
  admissionReviewVersions: [v1]
  failurePolicy: Fail
YAML
    cat >"$work/max-below-min.yaml" <<'YAML'
apiVersion: n8s.nebuly.ai/v1alpha1
kind: ElasticQuota
metadata: {name: upside-down, namespace: team-d}
spec: {min: {n8s.nebuly.ai/gpu-memory: 40}, max: {n8s.nebuly.ai/gpu-memory: 20}}
YAML
    cat >"$work/second.yaml" <<'YAML'
apiVersion: n8s.nebuly.ai/v1alpha1
kind: ElasticQuota
metadata: {name: second, namespace: conformance-kubectl}
spec: {min: {n8s.nebuly.ai/gpu-memory: 10}}
YAML
    cat >"$work/gpu-pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: gpu-job, namespace: conformance-kubectl}
spec:
  containers:
  - name: main
    image: busybox
    resources: {limits: {nvidia.com/mig-1g.10gb: 2}}
YAML
    server="$("$K" config view -o 'jsonpath={.clusters[0].cluster.server}')"
    check "the operator is ready" curl -sf "http://127.0.0.1:$health_port/readyz"
    expect "register the webhook with its CA" "validatingwebhookconfiguration.admissionregistration.k8s.io/n8s-quota created" "$K" apply --validate=false -f "$work/webhook.yaml"
    check "create namespace team-d" "$K" create namespace team-d
    expect "a quota with max below min is refused by the webhook over TLS" 'admission webhook "quota.n8s.nebuly.ai" denied the request: spec.max' "$K" apply --validate=false -f "$work/max-below-min.yaml"
    expect "a second quota for a namespace is refused" 'admission webhook "quota.n8s.nebuly.ai" denied the request: ' "$K" apply --validate=false -f "$work/second.yaml"
    expect "create a pod with two 1g.10gb devices" "created" "$K" apply --validate=false -f "$work/gpu-pod.yaml"
    check "the pod runs" curl -sf -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"status":{"phase":"Running"}}' "$server/api/v1/namespaces/conformance-kubectl/pods/gpu-job/status"
    for _ in $(seq 100); do [[ "$(row eq -A)" == *"team-quota 40 80 20 "* ]] && break; sleep 0.1; done
    expect "get eq,ceq -A shows used from the Running pod (20 GB of gpu-memory, 0 GPUs)" "conformance-kubectl elasticquota.n8s.nebuly.ai/team-quota 40 80 20 1 0" row eq,ceq -A
    expect "the pod is labelled in-quota" "in-quota" "$K" get pod gpu-job -n conformance-kubectl -o 'jsonpath={.metadata.labels}'
    # Certificate rotation: replace the files; the next handshake presents the new certificate.
    before="$(served_serial)"
    issue second
    cp "$work/second.key" "$work/tls.key.new" && cp "$work/second.crt" "$work/tls.crt.new"
    mv "$work/tls.key.new" "$work/tls.key" && mv "$work/tls.crt.new" "$work/tls.crt"
    want="$(openssl x509 -noout -serial -in "$work/second.crt")"
    for _ in $(seq 50); do [[ "$(served_serial)" == "$want" ]] && break; sleep 0.1; done
    check "the webhook serves the rotated certificate (new serial) without a restart" test "$(served_serial)" = "$want" -a "$before" != "$want"
    expect "the webhook still refuses after rotation" 'admission webhook "quota.n8s.nebuly.ai" denied the request: spec.max' "$K" apply --validate=false -f "$work/max-below-min.yaml"
    check "delete the webhook configuration" "$K" delete validatingwebhookconfiguration n8s-quota
    kill "$operator" 2>/dev/null
    wait "$operator" 2>/dev/null
fi
expect "delete the CRDs" "deleted" "$K" delete -f "$crds"
check "their kinds are no longer served" bash -c "! '$K' get eq -A"

expect "unknown resource type is refused" "doesn't have a resource type" "$K" get widgets
expect "missing object is 404" "NotFound" "$K" get pod nope -n conformance-kubectl
check "delete namespace" "$K" delete namespace conformance-kubectl --wait=false
check "delete the node" "$K" delete node gpu-node-1
expect "namespace contents are gone" "No resources found" "$K" get configmaps -n conformance-kubectl

echo "kubectl $("$K" version --client --short 2>/dev/null | head -1 || true): $passed passed, $failed failed" | sed 's/kubectl .*: \([0-9]* passed\)/kubectl: \1/'
[[ $failed -eq 0 ]]
