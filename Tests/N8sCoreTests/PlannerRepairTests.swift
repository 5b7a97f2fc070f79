import KubeCore
import Testing
@testable import N8sCore

/// Step (a'), the repair pass: instances of the quality harness where the greedy pass alone fits
/// fewer pods than the exact optimum (CPU, memory or GPU slices taken by the wrong pod or node).
@Suite("Planner repair pass")
struct PlannerRepairTests {
    static let catalog: MIGCatalog = {
        do { return try MIGCatalog.bundled() } catch { fatalError("\(error)") }
    }()

    /// 139: a priority-2 pod takes all 4 CPUs, where a lighter one of the same priority leaves
    /// room for a priority-0 pod. 332: a pod takes the one free instance another pod's layout
    /// needs; re-placing the node's devices together fits both. 111: two pods must swap nodes
    /// (memory on one, CPU on the other) to let a third in.
    @Test("the greedy pass alone misses the optimum; with the repair pass the plan fits the optimum", arguments: [139, 332, 111] as [UInt64])
    func reachesOptimum(seed: UInt64) {
        let inst = PlannerQuality.instance(seed: seed, catalog: Self.catalog, size: .small)
        let best = PlannerQuality.optimum(inst)
        var greedy = PartitionPlanner(catalog: Self.catalog)
        greedy.isRepairing = false
        let alone = PlannerQuality.objective(of: greedy.plan(nodes: inst.nodes, pods: [], pending: inst.pending, planID: "g"), inst)
        #expect(alone.total < best.total, "the greedy pass alone: \(alone) vs optimum \(best)")
        let plan = PartitionPlanner(catalog: Self.catalog).plan(nodes: inst.nodes, pods: [], pending: inst.pending, planID: "r")
        let repaired = PlannerQuality.objective(of: plan, inst)
        #expect(repaired.tiesOnFitted(best), "with repair: \(repaired) vs optimum \(best)")
        #expect(PlannerQuality.violations(plan, inst, seed: seed).isEmpty)
    }
}
