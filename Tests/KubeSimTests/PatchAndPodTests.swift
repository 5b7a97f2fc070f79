import Foundation
import KubeCore
import KubeSim
import Testing

@Suite("KubeSim patches and pod subresources")
struct PatchAndPodTests {
    @Test("merge, strategic merge and JSON patch change what they name and nothing else")
    func patchTypes() throws {
        let (sim, _) = Fixture.sim()
        _ = try sim.create(sim.nodes, namespace: nil, Fixture.node("n1", labels: ["keep": "me"]))
        let merged = try sim.patch(sim.nodes, namespace: nil, name: "n1", ["metadata": ["labels": ["a": "1"]]], patchType: .merge)
        #expect(merged.value(at: ["metadata", "labels"]) == ["keep": "me", "a": "1"])
        let strategic = try sim.patch(sim.nodes, namespace: nil, name: "n1", ["spec": ["taints": [["key": "gpu", "effect": "NoSchedule"]]]], patchType: .strategicMerge)
        #expect(strategic.value(at: ["spec", "taints"])?.arrayValue?.count == 1)
        let key = "n8s.nebuly.ai/spec-partitioning-plan"
        let json: JSONValue = [["op": "add", "path": .string(JSONPatch.pointer("metadata", "annotations")), "value": [:]],
                               ["op": "add", "path": .string(JSONPatch.pointer("metadata", "annotations", key)), "value": "plan-1"]]
        let patched = try sim.patch(sim.nodes, namespace: nil, name: "n1", json, patchType: .json)
        #expect(patched.value(at: ["metadata", "annotations", key]) == "plan-1")
        #expect(patched.value(at: ["status", "allocatable", "memory"]) == "32Gi")
    }

    @Test("a JSON patch whose test fails is 422 and changes nothing; a stale version in a patch is 409")
    func patchPreconditions() throws {
        let (sim, _) = Fixture.sim()
        let node = try sim.create(sim.nodes, namespace: nil, Fixture.node("n1"))
        let stale: JSONValue = [["op": "test", "path": "/metadata/labels/plan", "value": "old"], ["op": "add", "path": "/metadata/labels/plan", "value": "new"]]
        #expect(statusCode { _ = try sim.patch(sim.nodes, namespace: nil, name: "n1", stale, patchType: .json) } == 422)
        #expect(try sim.get(sim.nodes, namespace: nil, name: "n1") == node)
        _ = try sim.patch(sim.nodes, namespace: nil, name: "n1", ["metadata": ["labels": ["x": "1"]]], patchType: .merge)
        let withVersion: JSONValue = ["metadata": ["resourceVersion": .string(node.resourceVersion), "labels": ["x": "2"]]]
        #expect(statusCode { _ = try sim.patch(sim.nodes, namespace: nil, name: "n1", withVersion, patchType: .merge) } == 409)
        #expect(statusCode { _ = try sim.patch(sim.nodes, namespace: nil, name: "n1", ["not": "a list"], patchType: .json) } == 400)
        #expect(statusCode { _ = try sim.patch(sim.nodes, namespace: nil, name: "nope", ["a": 1], patchType: .merge) } == 404)
    }

    @Test("node status patches canonicalise quantities and reject non-quantities")
    func nodeStatus() throws {
        let (sim, _) = Fixture.sim()
        _ = try sim.create(sim.nodes, namespace: nil, Fixture.node("n1"))
        let patched = try sim.patch(sim.nodes, namespace: nil, name: "n1", ["status": ["allocatable": ["nvidia.com/mig-1g.10gb": 7, "memory": "32768Mi"]]],
                                    patchType: .merge, subresource: "status")
        #expect(patched.value(at: ["status", "allocatable", "nvidia.com/mig-1g.10gb"]) == "7")
        #expect(patched.value(at: ["status", "allocatable", "memory"]) == "32Gi")
        #expect(statusCode { _ = try sim.patch(sim.nodes, namespace: nil, name: "n1", ["status": ["allocatable": ["cpu": "many"]]], patchType: .merge, subresource: "status") } == 422)
    }

    @Test("binding sets the node once and marks the pod scheduled")
    func binding() throws {
        let (sim, _) = Fixture.sim()
        _ = try sim.create(sim.pods, namespace: "default", Fixture.pod("a"))
        try sim.bind(namespace: "default", name: "a", ["target": ["kind": "Node", "name": "n1"]])
        let pod = try sim.get(sim.pods, namespace: "default", name: "a")
        #expect(pod.value(at: ["spec", "nodeName"]) == "n1")
        #expect(pod.value(at: ["status", "conditions"])?.arrayValue?.first?["status"] == "True")
        #expect(statusCode { try sim.bind(namespace: "default", name: "a", ["target": ["name": "n2"]]) } == 409)
        #expect(statusCode { try sim.bind(namespace: "default", name: "missing", ["target": ["name": "n2"]]) } == 404)
        #expect(statusCode { try sim.bind(namespace: "default", name: "a", ["target": [:]]) } == 422)
    }

    @Test("eviction honours PodDisruptionBudgets with 429 and supports dry run")
    func eviction() throws {
        let (sim, _) = Fixture.sim()
        let pdbs = try #require(sim.resourceType(group: "policy", plural: "poddisruptionbudgets"))
        for name in ["a", "b"] {
            _ = try sim.create(sim.pods, namespace: "default", Fixture.pod(name, labels: ["app": "train"], node: "n1"))
            let pod = try sim.get(sim.pods, namespace: "default", name: name)
            _ = try sim.update(sim.pods, namespace: "default", name: name, pod.replacing(["status", "phase"], "Running"), subresource: "status")
        }
        _ = try sim.create(pdbs, namespace: "default", ["metadata": ["name": "keep-one"], "spec": ["minAvailable": 1, "selector": ["matchLabels": ["app": "train"]]]])
        let dryRun: JSONValue = ["deleteOptions": ["dryRun": ["All"]]]
        _ = try sim.evict(namespace: "default", name: "a", dryRun)
        #expect(try sim.get(sim.pods, namespace: "default", name: "a").value(at: ["metadata", "deletionTimestamp"]) == nil)
        _ = try sim.evict(namespace: "default", name: "a", [:])
        #expect(try sim.get(sim.pods, namespace: "default", name: "a").value(at: ["metadata", "deletionTimestamp"]) != nil)
        #expect(statusCode { _ = try sim.evict(namespace: "default", name: "b", [:]) } == 429)
    }
}
