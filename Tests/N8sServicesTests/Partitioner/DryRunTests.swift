import Foundation
import KubeClient
import KubeCore
import KubeSim
import N8sCore
import Testing

@testable import N8sServices

/// `n8s plan`: a snapshot file and a live cluster holding the same objects print the same plan.
@Suite("Dry run (n8s plan)")
struct DryRunTests {
    /// Nodes and pods of a small cluster: a plan that changes a GPU, a pod that fits as it is,
    /// pods left out for several reasons, a node with a MIG-disabled GPU.
    static func objects() -> (nodes: [Node], pods: [Pod]) {
        var disabled = PFixtures.node("n3", gpus: [[PFixtures.free("7g.40gb", 0)]])
        disabled.metadata.annotations?["n8s.nebuly.ai/status-gpu-1-mig-mode"] = "disabled"
        disabled.metadata.annotations?["n8s.nebuly.ai/status-gpu-1-model"] = PFixtures.a100
        let nodes = [
            PFixtures.node("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]),
            PFixtures.node("n2", gpus: [[PFixtures.free("1g.5gb", 0), PFixtures.used("3g.20gb", 4)]]),
            disabled,
        ]
        var nominated = PFixtures.pendingPod("nominated", ["1g.5gb": 1])
        nominated.status?.nominatedNodeName = "n2"
        let pods = [
            PFixtures.pendingPod("train", ["3g.20gb": 1]),
            PFixtures.pendingPod("infer", ["1g.5gb": 1]),
            PFixtures.pendingPod("cpu-bound", ["1g.5gb": 1], message: "0/3 nodes are available: 3 Insufficient cpu."),
            nominated,
        ]
        return (nodes, pods)
    }

    /// `kubectl get nodes,pods -A -o json` of the objects.
    static func snapshotFile(_ nodes: [Node], _ pods: [Pod]) throws -> Data {
        var items: [JSONValue] = []
        for n in nodes {
            var item = try KubeJSON.value(of: n)
            item["kind"] = .string("Node")
            items.append(item)
        }
        for p in pods {
            var item = try KubeJSON.value(of: p)
            item["kind"] = .string("Pod")
            items.append(item)
        }
        return try KubeJSON.encode(JSONValue.object(["apiVersion": .string("v1"), "kind": .string("List"), "items": .array(items)]))
    }

    @Test("--kubeconfig against KubeSim prints the plan --snapshot prints for the same objects")
    func liveEqualsSnapshot() async throws {
        let (nodes, pods) = Self.objects()
        let (fileNodes, filePods) = try SnapshotReader.read(try Self.snapshotFile(nodes, pods))
        let offline = DryRun.report(nodes: fileNodes, pods: filePods, catalog: PFixtures.catalog, planID: "dry")
        let live = try await withSim(clock: ManualClock()) { _, client in
            for n in nodes {
                var created = try await client.resource(Node.self).create(Node(metadata: n.metadata, spec: n.spec))
                created.status = n.status
                _ = try await client.resource(Node.self).updateStatus(created)
            }
            for p in pods {
                var created = try await client.resource(Pod.self, in: p.metadata.namespace).create(Pod(metadata: p.metadata, spec: p.spec))
                created.status = p.status
                _ = try await client.resource(Pod.self, in: p.metadata.namespace).updateStatus(created)
            }
            let (n, p) = try await DryRun.objects(from: client)
            return DryRun.report(nodes: n, pods: p, catalog: PFixtures.catalog, planID: "dry")
        }
        #expect(DryRun.table(live) == DryRun.table(offline))
        #expect(try DryRun.json(live) == DryRun.json(offline))
        let table = DryRun.table(offline)
        #expect(table.contains("default/cpu-bound: reported unschedulable for another cause: 0/3 nodes are available: 3 Insufficient cpu."), "\(table)")
        #expect(table.contains("default/nominated: nominated to n2"), "\(table)")
        #expect(table.contains("GPUs not planned (their nodes are):\n  n3: GPU 1 has MIG disabled"), "\(table)")
        #expect(offline.plan.pods.filter { $0.fits }.count == 2)
        #expect(offline.warnings.isEmpty)
    }

    @Test("an empty or pod-less snapshot says so")
    func emptySnapshot() {
        #expect(DryRun.report(nodes: [], pods: [], catalog: PFixtures.catalog, planID: "x").warnings.first?.contains("empty") == true)
        let (nodes, _) = Self.objects()
        #expect(DryRun.report(nodes: nodes, pods: [], catalog: PFixtures.catalog, planID: "x").warnings.first?.contains("no pods") == true)
    }
}
