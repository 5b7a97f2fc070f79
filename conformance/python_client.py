"""Conformance of KubeSim against the official Kubernetes Python client (PyPI `kubernetes`).

Runs a scripted session against a live `n8s sim apiserver` whose kubeconfig path is argv[1].
Each step prints `ok <step>` or raises; the last line is the plain `N passed, N failed` count.
"""

import pathlib
import sys
import threading

import yaml

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

PASSED = []
FAILED = []


def step(name):
    def wrap(fn):
        try:
            fn()
            PASSED.append(name)
            print(f"ok {name}", flush=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported with its step
            FAILED.append(name)
            print(f"FAIL {name}: {type(error).__name__}: {error}", flush=True)
        return fn

    return wrap


def expect_status(code, fn):
    try:
        fn()
    except ApiException as error:
        assert error.status == code, f"expected HTTP {code}, got {error.status}: {error.body}"
        return error
    raise AssertionError(f"expected HTTP {code}, the call succeeded")


config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
coordination = client.CoordinationV1Api()
NS = "conformance-py"


@step("version and discovery")
def _():
    info = client.VersionApi().get_code()
    assert info.major == "1", info
    groups = client.ApisApi().get_api_versions()
    assert "coordination.k8s.io" in [g.name for g in groups.groups]


@step("create namespace and pod")
def _():
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS)))
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="trainer.v1", labels={"app": "train", "tier": "gpu"}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="main",
                    image="busybox",
                    resources=client.V1ResourceRequirements(limits={"nvidia.com/mig-1g.10gb": "1", "memory": "1.5Gi"}),
                )
            ]
        ),
        status=client.V1PodStatus(phase="Running"),
    )
    created = core.create_namespaced_pod(NS, pod)
    assert created.status.phase == "Pending", created.status
    assert created.spec.containers[0].resources.requests["memory"] == "1536Mi"
    assert created.metadata.uid and created.metadata.resource_version


@step("list with label and field selectors")
def _():
    core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="other", labels={"app": "web"}),
                                                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")])))
    assert [p.metadata.name for p in core.list_namespaced_pod(NS, label_selector="app=train").items] == ["trainer.v1"]
    assert [p.metadata.name for p in core.list_namespaced_pod(NS, label_selector="app in (web, db)").items] == ["other"]
    assert [p.metadata.name for p in core.list_namespaced_pod(NS, label_selector="!tier").items] == ["other"]
    names = [p.metadata.name for p in core.list_pod_for_all_namespaces(field_selector=f"metadata.namespace={NS},spec.nodeName=").items]
    assert sorted(names) == ["other", "trainer.v1"], names


@step("pagination with limit and continue")
def _():
    first = core.list_namespaced_pod(NS, limit=1)
    assert len(first.items) == 1 and first.metadata._continue
    second = core.list_namespaced_pod(NS, limit=1, _continue=first.metadata._continue)
    assert len(second.items) == 1 and second.items[0].metadata.name != first.items[0].metadata.name


@step("node create, label and annotate by merge patch")
def _():
    core.create_node(client.V1Node(metadata=client.V1ObjectMeta(name="gpu-node-1")))
    core.patch_node("gpu-node-1", {"metadata": {"labels": {"n8s.nebuly.ai/auto-mig-enabled": "true"},
                                                "annotations": {"n8s.nebuly.ai/spec-partitioning-plan": "p1"}}})
    node = core.read_node("gpu-node-1")
    assert node.metadata.labels["n8s.nebuly.ai/auto-mig-enabled"] == "true"
    assert node.metadata.annotations["n8s.nebuly.ai/spec-partitioning-plan"] == "p1"


@step("JSON patch with test operations")
def _():
    ops = [{"op": "test", "path": "/metadata/annotations/n8s.nebuly.ai~1spec-partitioning-plan", "value": "p1"},
           {"op": "replace", "path": "/metadata/annotations/n8s.nebuly.ai~1spec-partitioning-plan", "value": "p2"}]
    core.patch_node("gpu-node-1", ops)
    assert core.read_node("gpu-node-1").metadata.annotations["n8s.nebuly.ai/spec-partitioning-plan"] == "p2"
    expect_status(422, lambda: core.patch_node("gpu-node-1", ops))


@step("strategic merge patch of containers by name")
def _():
    core.patch_namespaced_pod("trainer.v1", NS, {"spec": {"containers": [{"name": "main", "image": "busybox:2"}]}},
                              _content_type="application/strategic-merge-patch+json")
    pod = core.read_namespaced_pod("trainer.v1", NS)
    assert pod.spec.containers[0].image == "busybox:2" and pod.spec.containers[0].resources.limits


@step("pod status through the status subresource")
def _():
    core.patch_namespaced_pod_status("trainer.v1", NS, {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}})
    pod = core.read_namespaced_pod_status("trainer.v1", NS)
    assert pod.status.phase == "Running" and pod.status.conditions[0].type == "Ready"
    core.patch_namespaced_pod("trainer.v1", NS, {"status": {"phase": "Failed"}})
    assert core.read_namespaced_pod("trainer.v1", NS).status.phase == "Running"


@step("node allocatable through nodes/status")
def _():
    core.patch_node_status("gpu-node-1", {"status": {"allocatable": {"nvidia.com/mig-1g.10gb": "7"}, "capacity": {"nvidia.com/mig-1g.10gb": "7"}}})
    assert core.read_node_status("gpu-node-1").status.allocatable["nvidia.com/mig-1g.10gb"] == "7"


@step("binding and eviction")
def _():
    core.create_namespaced_pod(NS, client.V1Pod(metadata=client.V1ObjectMeta(name="bind-me"),
                                                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")])))
    body = client.V1Binding(metadata=client.V1ObjectMeta(name="bind-me"), target=client.V1ObjectReference(kind="Node", name="gpu-node-1"))
    try:
        core.create_namespaced_binding(NS, body)
    except ValueError:
        pass  # the client cannot deserialize the Status it gets back; the binding happened
    assert core.read_namespaced_pod("bind-me", NS).spec.node_name == "gpu-node-1"
    expect_status(409, lambda: core.create_namespaced_pod_binding("bind-me", NS, body))
    core.create_namespaced_pod_eviction("bind-me", NS, client.V1Eviction(metadata=client.V1ObjectMeta(name="bind-me", namespace=NS)))
    assert core.read_namespaced_pod("bind-me", NS).metadata.deletion_timestamp is not None


@step("conflict on a stale update")
def _():
    pod = core.read_namespaced_pod("other", NS)
    pod.metadata.labels["round"] = "1"
    core.replace_namespaced_pod("other", NS, pod)
    pod.metadata.labels["round"] = "2"
    error = expect_status(409, lambda: core.replace_namespaced_pod("other", NS, pod))
    assert "Conflict" in error.body


@step("watch receives the expected events")
def _():
    start = core.list_namespaced_config_map(NS).metadata.resource_version
    core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="cm"), data={"k": "1"}))
    core.patch_namespaced_config_map("cm", NS, {"data": {"k": "2"}})
    core.delete_namespaced_config_map("cm", NS)
    seen = []
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, NS, resource_version=start, timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name, (event["object"].data or {}).get("k")))
        if len(seen) == 3:
            w.stop()
    assert seen == [("ADDED", "cm", "1"), ("MODIFIED", "cm", "2"), ("DELETED", "cm", "2")], seen


@step("watch of live changes from another thread")
def _():
    start = core.list_namespaced_pod(NS).metadata.resource_version

    def change():
        core.patch_namespaced_pod("other", NS, {"metadata": {"labels": {"live": "yes"}}})

    threading.Timer(0.3, change).start()
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_pod, NS, resource_version=start, timeout_seconds=10):
        if event["type"] == "MODIFIED" and event["object"].metadata.labels.get("live") == "yes":
            w.stop()
            return
    raise AssertionError("no MODIFIED event arrived")


@step("410 Gone on an expired watch version")
def _():
    old = "2"
    for i in range(40):  # the conformance server keeps 20 events (--history 20)
        core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"churn-{i}")))
    try:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, NS, resource_version=old, timeout_seconds=5):
            pass
        raise AssertionError("expected 410")
    except ApiException as error:
        assert error.status == 410, error


@step("leases in coordination.k8s.io")
def _():
    lease = client.V1Lease(metadata=client.V1ObjectMeta(name="n8s-gpu-partitioner"),
                           spec=client.V1LeaseSpec(holder_identity="replica-a", lease_duration_seconds=15))
    coordination.create_namespaced_lease("kube-system", lease)
    got = coordination.read_namespaced_lease("n8s-gpu-partitioner", "kube-system")
    assert got.spec.holder_identity == "replica-a"


@step("errors: 404, 409 AlreadyExists, 422 Invalid, 400 wrong namespace")
def _():
    expect_status(404, lambda: core.read_namespaced_pod("missing", NS))
    error = expect_status(409, lambda: core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=NS))))
    assert "AlreadyExists" in error.body
    expect_status(422, lambda: core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name"))))
    expect_status(400, lambda: core.create_namespaced_config_map(NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="x", namespace="default"))))


@step("custom resources: the quota CRDs from deploy/crds, pruning, status subresource, 422, CRD deletion")
def _():
    extensions = client.ApiextensionsV1Api()
    custom = client.CustomObjectsApi()
    crds = pathlib.Path(__file__).resolve().parent.parent / "deploy" / "crds"
    for name in ["elasticquotas.yaml", "compositeelasticquotas.yaml"]:
        crd = extensions.create_custom_resource_definition(yaml.safe_load((crds / name).read_text()))
        assert any(c.type == "Established" and c.status == "True" for c in crd.status.conditions), crd.status
    coordinates = ("n8s.nebuly.ai", "v1alpha1", NS, "elasticquotas")
    quota = {"apiVersion": "n8s.nebuly.ai/v1alpha1", "kind": "ElasticQuota", "metadata": {"name": "q"},
             "spec": {"min": {"n8s.nebuly.ai/gpu-memory": 40}, "bogus": 1}}
    created = custom.create_namespaced_custom_object(*coordinates, quota)
    assert "bogus" not in created["spec"] and created["spec"]["min"]["n8s.nebuly.ai/gpu-memory"] == 40, created
    patched = custom.patch_namespaced_custom_object_status(*coordinates, "q", {"status": {"used": {"n8s.nebuly.ai/gpu-memory": "10"}}})
    assert patched["status"]["used"]["n8s.nebuly.ai/gpu-memory"] == "10", patched
    items = custom.list_cluster_custom_object("n8s.nebuly.ai", "v1alpha1", "elasticquotas")["items"]
    assert [i["metadata"]["name"] for i in items] == ["q"], items
    bad = dict(quota, metadata={"name": "bad"}, spec={"min": "lots"})
    error = expect_status(422, lambda: custom.create_namespaced_custom_object(*coordinates, bad))
    assert "spec.min in body must be of type object" in error.body, error.body
    extensions.delete_custom_resource_definition("elasticquotas.n8s.nebuly.ai")
    expect_status(404, lambda: custom.list_cluster_custom_object("n8s.nebuly.ai", "v1alpha1", "elasticquotas"))


@step("delete namespace removes its contents")
def _():
    core.delete_namespace(NS)
    expect_status(404, lambda: core.read_namespaced_pod("other", NS))


print(f"python-client: {len(PASSED)} passed, {len(FAILED)} failed", flush=True)
sys.exit(1 if FAILED else 0)
