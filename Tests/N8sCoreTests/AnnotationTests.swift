import KubeCore
import Testing
@testable import N8sCore

@Suite("Annotation codecs and node view")
struct AnnotationTests {
    @Test("status and spec annotations round-trip, profiles with dashes included")
    func roundTrip() {
        let report = GPUStatusReport(index: 3, model: "NVIDIA-RTX-PRO-6000-Blackwell-Server-Edition", migMode: .enabled, instances: [
            InstanceState(PlacedInstance("1g.24gb-me", at: 0), isUsed: true),
            InstanceState(PlacedInstance("1g.24gb+me", at: 3), isUsed: false),
            InstanceState(PlacedInstance("2g.48gb", at: 6), isUsed: false),
        ])
        var annotations = NodeMIGAnnotations.statusAnnotations([report])
        #expect(annotations["n8s.nebuly.ai/status-gpu-3-1g.24gb-me-used"] == "1")
        #expect(annotations["n8s.nebuly.ai/status-gpu-3-1g.24gb.me-free"] == "1")
        annotations.merge(NodeMIGAnnotations.specAnnotations([GPUSpec(index: 3, layout: [PlacedInstance("1g.24gb-me", at: 0), PlacedInstance("4g.96gb", at: 0)])], planID: "plan-1")) { a, _ in a }
        #expect(annotations["n8s.nebuly.ai/spec-gpu-3-placements"] == "1g.24gb-me@0,4g.96gb@0")
        let parsed = NodeMIGAnnotations(parsing: annotations)
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.status[3]?.instances == report.instances?.sorted { $0.placed < $1.placed })
        #expect(parsed.status[3]?.free == ["1g.24gb+me": 1, "2g.48gb": 1])
        #expect(parsed.status[3]?.used == ["1g.24gb-me": 1])
        #expect(parsed.spec[3]?.counts == ["1g.24gb-me": 1, "4g.96gb": 1])
        #expect(parsed.specPlanID == "plan-1")
        #expect(parsed.isAwaitingEcho)
        #expect(NodeMIGAnnotations.specHash(of: annotations).count == 16)
    }

    @Test("malformed keys and values are reported, never read as zero", arguments: [
        ("n8s.nebuly.ai/status-gpu-0-1g.5gb-free", "two"),
        ("n8s.nebuly.ai/status-gpu-0-placements", "1g.5gb@0"),
        ("n8s.nebuly.ai/status-gpu-0-placements", "1g.5gb@x:free"),
        ("n8s.nebuly.ai/status-gpu-0-mig-mode", "on"),
        ("n8s.nebuly.ai/status-gpu-0-bogus", "1"),
        ("n8s.nebuly.ai/status-partitioning-outcome", "Done"),
        ("n8s.nebuly.ai/spec-gpu-0-placements", "1g.5gb@0:used"),
        ("n8s.nebuly.ai/status-gpu-0-placements", "1g.5gb@0@1:used"),
        ("n8s.nebuly.ai/status-gpu-0-placements", "1g.5gb@0:used:free"),
        ("n8s.nebuly.ai/status-gpu-0-placements", "1g.5gb.@0:used"),
        ("n8s.nebuly.ai/status-gpu-0-placements", "1g.5gb@123:used"),
        ("n8s.nebuly.ai/status-gpu-0-placements", "1g.5gb\u{301}@0:used"),
        ("n8s.nebuly.ai/status-gpu-0010-model", "x"),
    ])
    func malformed(key: String, value: String) {
        let parsed = NodeMIGAnnotations(parsing: [key: value])
        #expect(parsed.errors.map(\.key) == [key])
    }

    @Test("placement items tolerate tabs and Unicode spaces around them, as Foundation's trimming does")
    func spacedItems() {
        let parsed = NodeMIGAnnotations(parsing: [
            "n8s.nebuly.ai/status-gpu-0-placements": "\t1g.5gb@0:used , \u{00A0}1g.5gb+me@1:free\u{2003}"
        ])
        #expect(parsed.errors.isEmpty, "\(parsed.errors)")
        #expect(parsed.status[0]?.instances == [
            InstanceState(PlacedInstance("1g.5gb", at: 0), isUsed: true), InstanceState(PlacedInstance("1g.5gb+me", at: 1), isUsed: false),
        ])
    }

    @Test("counts that disagree with the placement report are reported")
    func disagree() {
        let parsed = NodeMIGAnnotations(parsing: [
            "n8s.nebuly.ai/status-gpu-0-placements": "1g.5gb@0:free",
            "n8s.nebuly.ai/status-gpu-0-1g.5gb-free": "2",
        ])
        #expect(parsed.errors.count == 1)
        #expect(parsed.gpusWithErrors == [0])
    }

    @Test("every real node parses and gives the right view", arguments: [
        ("a100-80gb-pcie-azure-vm-rke2-mixed-manual-mig.json", "a100-80gb", ["1g.10gb": 1, "2g.20gb": 1, "3g.40gb": 1], 0),
        ("dgx-h100-x8-openshift-sno-mixed-all-balanced.json", "h100-80gb", ["1g.10gb": 16, "2g.20gb": 8, "3g.40gb": 8], 0),
        ("h100-80gb-hbm3-x1-mixed-all-balanced.json", "h100-80gb", ["1g.10gb": 2, "2g.20gb": 1, "3g.40gb": 1], 0),
        ("h20-x8-openstack-gpu3-mig-mixed-custom-config.json", "h100-96gb", ["1g.12gb": 2, "1g.24gb": 1, "3g.48gb": 1], 7),
        ("h200-x8-nebius-all-1g18gb.json", "h200-141gb", ["1g.18gb": 56], 0),
    ])
    func realNodes(file: String, model: String, mig: [String: Int], whole: Int) throws {
        let node = try Fixtures.decode(Node.self, "nodes/\(file)")
        let view = NodeView(node, catalog: Fixtures.catalog)
        #expect(view.labelModel?.model.id == model)
        #expect(view.advertisedMIG.mapValues { Int($0.value) } == mig)
        #expect(view.wholeGPUs == Quantity(whole))
        #expect(view.migStrategy == "mixed")
        #expect(!view.isPlannable)
        #expect(view.unplannable.contains(.notLabelled))
        #expect(view.unplannable.contains(.noPlacementReport))
        for (profile, _) in mig { #expect(view.labelModel?.model.profile(named: profile) != nil, "\(profile)") }
    }

    @Test("the single-strategy A30 node is reported as the wrong MIG strategy")
    func singleStrategyNode() throws {
        var node = try Fixtures.decode(Node.self, "nodes/a30-x2-single-strategy-mig-invalid.json")
        node.metadata.labels?[MIGAnnotations.autoMIGEnabled] = "true"
        let view = NodeView(node, catalog: Fixtures.catalog)
        #expect(view.labelModel == nil)
        #expect(view.unplannable.contains(.singleStrategy(product: "NVIDIA-A30-MIG-INVALID")))
        #expect(view.unplannable.contains { $0.conditionReason == "WrongMigStrategy" })
        #expect(view.wholeGPUs == .zero)
    }

    @Test("GPUs with MIG disabled or pending are not planned, with the reason")
    func migModes() {
        var node = Fixtures.node("n", gpus: [[], []])
        node.metadata.annotations?["n8s.nebuly.ai/status-gpu-1-mig-mode"] = "pending"
        let view = NodeView(node, catalog: Fixtures.catalog)
        #expect(view.gpus[0].unplannable == nil)
        #expect(view.gpus[1].unplannable == .migModePending(gpu: 1))
        node.spec?.unschedulable = true
        #expect(NodeView(node, catalog: Fixtures.catalog).unplannable == [.cordoned])
    }
}
