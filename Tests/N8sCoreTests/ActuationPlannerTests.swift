import N8sCore
import Testing

/// The actuator's pure core: what to destroy and create on one GPU (A100-40GB unless named).
@Suite("ActuationPlanner: reachable targets, steps, never a used instance")
struct ActuationPlannerTests {
    static let catalog = try! MIGCatalog.bundled()
    static let a100 = catalog.model(id: "a100-40gb")!

    static func gpu(_ instances: [(String, Int, used: Bool)], orphans: [(String, Int)] = [], mode: MIGMode = .enabled) -> ObservedGPU {
        var id: UInt32 = 1
        var list: [ObservedInstance] = []
        for (p, s, used) in instances {
            list.append(ObservedInstance(placed: PlacedInstance(p, at: s), gpuInstanceID: id, computeInstanceIDs: [0], migUUIDs: ["MIG-\(id)"], isUsed: used))
            id += 1
        }
        for (p, s) in orphans {
            list.append(ObservedInstance(placed: PlacedInstance(p, at: s), gpuInstanceID: id))
            id += 1
        }
        return ObservedGPU(index: 0, name: "NVIDIA A100-SXM4-40GB", product: "NVIDIA-A100-SXM4-40GB", migMode: mode, instances: list, profiles: NVMLModel.profiles(of: a100))
    }

    static func p(_ text: String) -> [PlacedInstance] {
        text.split(separator: ",").map { item in
            let parts = item.split(separator: "@")
            return PlacedInstance(String(parts[0]), at: Int(parts[1])!)
        }
    }

    @Test("C07: an empty GPU gets {4g, 3g} at the spec's placements, largest first, whatever the order")
    func creationOrder() {
        let plan = ActuationPlanner.plan(Self.gpu([]), spec: Self.p("3g.20gb@4,4g.20gb@0"))
        #expect(plan.blocked == nil)
        #expect(plan.steps == [.create(PlacedInstance("4g.20gb", at: 0)), .create(PlacedInstance("3g.20gb", at: 4))])
    }

    @Test("free instances not in the target are destroyed first; kept ones are not touched")
    func destroysFirst() {
        let gpu = Self.gpu([("1g.5gb", 0, false), ("1g.5gb", 1, true), ("3g.20gb", 4, false)])
        let plan = ActuationPlanner.plan(gpu, spec: Self.p("1g.5gb@1,2g.10gb@2,3g.20gb@4"))
        #expect(plan.blocked == nil)
        #expect(plan.steps.count == 2)
        guard case .destroy(let d) = plan.steps[0] else { Issue.record("first step must destroy"); return }
        #expect(d.placed == PlacedInstance("1g.5gb", at: 0))
        #expect(plan.steps[1] == .create(PlacedInstance("2g.10gb", at: 2)))
    }

    @Test("a spec that drops a used instance leaves the GPU untouched (Unreachable)")
    func keepsUsed() {
        let gpu = Self.gpu([("3g.20gb", 0, false), ("3g.20gb", 4, true)])
        let plan = ActuationPlanner.plan(gpu, spec: Self.p("7g.40gb@0"))
        #expect(plan.steps.isEmpty)
        #expect(plan.blocked == .wouldDestroyUsed([PlacedInstance("3g.20gb", at: 4)]))
        #expect(plan.blocked?.reason == "Unreachable")
        // Moving the used instance is also losing it.
        let moved = ActuationPlanner.plan(gpu, spec: Self.p("3g.20gb@0,1g.5gb@4"))
        #expect(moved.blocked != nil && moved.steps.isEmpty)
    }

    @Test("specs NVML forbids are refused: bad start, overlap, too many", arguments: [
        "3g.20gb@2", "4g.20gb@0,2g.10gb@2", "1g.5gb+me@0,1g.5gb+me@1", "7g.40gb@0,1g.5gb@7",
    ])
    func invalidSpecs(spec: String) {
        let plan = ActuationPlanner.plan(Self.gpu([]), spec: Self.p(spec))
        guard case .invalidSpec = plan.blocked else { Issue.record("\(spec) must be refused, got \(String(describing: plan.blocked))"); return }
        // Blocked, but the empty MIG-enabled GPU still gets the full profile (C04).
        #expect(plan.target == [PlacedInstance("7g.40gb", at: 0)])
    }

    @Test("C04: an empty MIG-enabled GPU without spec gets the full-GPU profile; an empty spec too")
    func neverEmpty() {
        #expect(ActuationPlanner.plan(Self.gpu([]), spec: nil).steps == [.create(PlacedInstance("7g.40gb", at: 0))])
        #expect(ActuationPlanner.plan(Self.gpu([]), spec: []).steps == [.create(PlacedInstance("7g.40gb", at: 0))])
        #expect(ActuationPlanner.plan(Self.gpu([("1g.5gb", 0, false)]), spec: nil).isNoop)
    }

    @Test("C03: MIG disabled or pending a reset: nothing is attempted")
    func migMode() {
        let pending = ActuationPlanner.plan(Self.gpu([], mode: .pending), spec: Self.p("7g.40gb@0"))
        #expect(pending.steps.isEmpty && pending.blocked == .migModePendingReset)
        #expect(pending.blocked?.reason == "MigModePendingReset")
        let disabled = ActuationPlanner.plan(Self.gpu([], mode: .disabled), spec: Self.p("7g.40gb@0"))
        #expect(disabled.steps.isEmpty && disabled.blocked == .migDisabled)
        #expect(ActuationPlanner.plan(Self.gpu([], mode: .disabled), spec: nil).blocked == nil)
    }

    @Test("orphan GPU instances are completed when the target has them, destroyed otherwise")
    func orphans() {
        let gpu = Self.gpu([("4g.20gb", 0, false)], orphans: [("3g.20gb", 4)])
        let keep = ActuationPlanner.plan(gpu, spec: Self.p("4g.20gb@0,3g.20gb@4"))
        #expect(keep.steps.count == 1)
        guard case .completeOrphan = keep.steps.first else { Issue.record("must complete the orphan"); return }
        let drop = ActuationPlanner.plan(gpu, spec: nil)
        guard case .destroy(let d) = drop.steps.first else { Issue.record("must destroy the orphan"); return }
        #expect(d.isOrphan && drop.target == Self.p("4g.20gb@0"))
    }
}
