import Foundation
import KubeCore
import N8sCore
import Testing

@testable import N8sServices

@Suite("Plan patch")
struct PlanPatchTests {
    let specPlan = "n8s.nebuly.ai/spec-partitioning-plan"
    let statusPlan = "n8s.nebuly.ai/status-partitioning-plan"

    func ptr(_ key: String) -> String { "/metadata/annotations/" + key.replacingOccurrences(of: "/", with: "~1") }

    @Test("a first plan tests both plan annotations as absent (null), then adds the spec")
    func firstPlan() throws {
        let node = PFixtures.node("n1", gpus: [[PFixtures.free("7g.40gb", 0)]])
        let gpus = [GPUSpec(index: 0, layout: [PlacedInstance("3g.20gb", at: 4), PlacedInstance("4g.20gb", at: 0)])]
        let patch = PlanPatch.build(for: node, gpus: gpus, planID: "p-1")
        #expect(patch.operations == [
            .test(ptr(specPlan), .null),
            .test(ptr(statusPlan), .null),
            .add(ptr("n8s.nebuly.ai/spec-gpu-0-3g.20gb"), "1"),
            .add(ptr("n8s.nebuly.ai/spec-gpu-0-4g.20gb"), "1"),
            .add(ptr("n8s.nebuly.ai/spec-gpu-0-placements"), "4g.20gb@0,3g.20gb@4"),
            .add(ptr(specPlan), "p-1"),
        ], "one atomic patch: tests first, then keys in order")
        // Applied as kube-apiserver does: lands on the version it was built from ...
        let applied = try patch.apply(to: KubeJSON.value(of: node))
        let annotations = try KubeJSON.typed(Node.self, from: applied).metadata.annotations ?? [:]
        #expect(annotations[specPlan] == "p-1")
        #expect(annotations["n8s.nebuly.ai/spec-gpu-0-placements"] == "4g.20gb@0,3g.20gb@4")
        // ... and is refused once another writer has planned the node.
        #expect(throws: PatchError.testFailed(path: ptr(specPlan))) { try patch.apply(to: applied) }
    }

    @Test("a later plan tests the last seen ids, replaces changed keys and removes stale profiles of the written GPUs")
    func laterPlan() throws {
        let node = PFixtures.node(
            "n1", gpus: [[PFixtures.used("3g.20gb", 4), PFixtures.free("4g.20gb", 0)], [PFixtures.free("7g.40gb", 0)]],
            annotations: [
                specPlan: "p-1", statusPlan: "p-1", "n8s.nebuly.ai/status-partitioning-outcome": "Applied",
                "n8s.nebuly.ai/spec-gpu-0-3g.20gb": "1", "n8s.nebuly.ai/spec-gpu-0-4g.20gb": "1",
                "n8s.nebuly.ai/spec-gpu-0-placements": "4g.20gb@0,3g.20gb@4",
                "n8s.nebuly.ai/spec-gpu-1-7g.40gb": "1", "n8s.nebuly.ai/spec-gpu-1-placements": "7g.40gb@0",
                "n8s.nebuly.ai/spec-gpu-3-1g.5gb": "1",
            ])
        let gpus = [
            GPUSpec(index: 0, layout: [
                PlacedInstance("2g.10gb", at: 0), PlacedInstance("1g.5gb", at: 2), PlacedInstance("1g.5gb", at: 3), PlacedInstance("3g.20gb", at: 4),
            ]),
            GPUSpec(index: 1, layout: [PlacedInstance("7g.40gb", at: 0)]),
        ]
        let patch = PlanPatch.build(for: node, gpus: gpus, planID: "p-2")
        #expect(Array(patch.operations.prefix(2)) == [.test(ptr(specPlan), "p-1"), .test(ptr(statusPlan), "p-1")])
        #expect(patch.operations.dropFirst(2) == [
            .add(ptr("n8s.nebuly.ai/spec-gpu-0-1g.5gb"), "2"),
            .add(ptr("n8s.nebuly.ai/spec-gpu-0-2g.10gb"), "1"),
            .replace(ptr("n8s.nebuly.ai/spec-gpu-0-placements"), "2g.10gb@0,1g.5gb@2,1g.5gb@3,3g.20gb@4"),
            .replace(ptr(specPlan), "p-2"),
            .remove(ptr("n8s.nebuly.ai/spec-gpu-0-4g.20gb")),
        ], "unchanged keys are not rewritten; gpu 3 is not written, so its key stays")
        let applied = try KubeJSON.typed(Node.self, from: patch.apply(to: KubeJSON.value(of: node)))
        let parsed = NodeMIGAnnotations(parsing: applied.metadata.annotations ?? [:])
        #expect(parsed.spec[0]?.counts == ["2g.10gb": 1, "1g.5gb": 2, "3g.20gb": 1])
        #expect(parsed.spec[3]?.counts == ["1g.5gb": 1])
        #expect(parsed.errors.isEmpty)
    }

    @Test("a node without annotations is tested with one null test on the map")
    func noAnnotations() {
        var node = PFixtures.node("n1", gpus: [])
        node.metadata.annotations = nil
        let patch = PlanPatch.build(for: node, gpus: [GPUSpec(index: 0, layout: [PlacedInstance("7g.40gb", at: 0)])], planID: "p")
        #expect(patch.operations.first == .test("/metadata/annotations", .null))
        #expect(patch.operations.count == 2)
    }

    @Test("re-issuing a stalled plan tests both ids and only replaces the plan id")
    func reissue() {
        let node = PFixtures.node("n1", gpus: [[PFixtures.free("7g.40gb", 0)]], annotations: [specPlan: "p-1", statusPlan: "p-0"])
        #expect(PlanPatch.reissue(for: node, planID: "p-2").operations == [
            .test(ptr(specPlan), "p-1"), .test(ptr(statusPlan), "p-0"), .replace(ptr(specPlan), "p-2"),
        ])
    }

    @Test("adoption (C31): a node with MIG devices and no spec gets its current layout as spec; nothing else is adopted")
    func adoption() throws {
        let node = PFixtures.node("n1", gpus: [
            [PFixtures.used("3g.20gb", 0), PFixtures.free("3g.20gb", 4)],
            (0..<7).map { PFixtures.free("1g.5gb", $0) },
        ])
        let view = NodeView(node, catalog: PFixtures.catalog)
        let spec = try #require(PlanPatch.adoptionSpec(of: view))
        #expect(spec.map(\.counts) == [["3g.20gb": 2], ["1g.5gb": 7]])
        #expect(spec[0].placements == [PlacedInstance("3g.20gb", at: 0), PlacedInstance("3g.20gb", at: 4)])
        let managed = PFixtures.node("n1", gpus: [[PFixtures.free("7g.40gb", 0)]], annotations: [specPlan: "p"])
        #expect(PlanPatch.adoptionSpec(of: NodeView(managed, catalog: PFixtures.catalog)) == nil)
        let empty = PFixtures.node("n1", gpus: [])
        #expect(PlanPatch.adoptionSpec(of: NodeView(empty, catalog: PFixtures.catalog)) == nil)
    }

    @Test("spec keys are parsed by anchored prefix, profiles with dashes included")
    func specKeys() {
        #expect(PlanPatch.specGPU(of: "n8s.nebuly.ai/spec-gpu-12-1g.24gb-me") == 12)
        #expect(PlanPatch.specGPU(of: "n8s.nebuly.ai/spec-gpu-0-placements") == 0)
        #expect(PlanPatch.specGPU(of: "n8s.nebuly.ai/spec-partitioning-plan") == nil)
        #expect(PlanPatch.specGPU(of: "n8s.nebuly.ai/status-gpu-0-placements") == nil)
        #expect(PlanPatch.specGPU(of: "n8s.nebuly.ai/spec-gpu-x-1g.5gb") == nil)
    }

    @Test("Event texts name the resource, node and GPU; devices go to GPUs with a free instance of their profile")
    func notes() {
        let layout: [Int: [InstanceState]] = [
            0: [PFixtures.used("3g.20gb", 0), PFixtures.free("4g.20gb", 4)],
            1: [PFixtures.free("3g.20gb", 0), PFixtures.free("3g.20gb", 4)],
        ]
        let notes = PlanNotes.gpus(layout: layout, pods: [["3g.20gb": 1], ["3g.20gb": 1, "4g.20gb": 1], ["3g.20gb": 1]])
        #expect(notes[0].map(\.gpu) == [1])
        #expect(notes[1].map(\.resource) == ["nvidia.com/mig-3g.20gb", "nvidia.com/mig-4g.20gb"])
        #expect(notes[1].map(\.gpu) == [1, 0])
        #expect(notes[2].map(\.gpu) == [nil])
        #expect(PlanNotes.plannedMessage(node: "X", devices: [("nvidia.com/mig-3g.40gb", 1)], planID: "p")
            == "planned nvidia.com/mig-3g.40gb on node X GPU 1 (plan p)")
    }
}
