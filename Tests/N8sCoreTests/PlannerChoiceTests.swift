import KubeCore
import Testing
@testable import N8sCore

/// The examples of issue 11, as snapshots: the cheapest change for the same pods, placement that
/// keeps room for larger profiles, true reasons, what the node advertises, the `single` strategy.
@Suite("Planner choices")
struct PlannerChoiceTests {
    let planner = PartitionPlanner(catalog: Fixtures.catalog)
    typealias F = Fixtures
    static let h100 = "NVIDIA-H100-80GB-HBM3"

    @Test("five 1g.5gb pods change only GPU 1 (7g → 5×1g): one destroyed, one GPU changed")
    func cheapestChange() {
        let node = F.node("n1", gpus: [[F.free("4g.20gb", 0), F.used("3g.20gb", 4)], [F.free("7g.40gb", 0)]])
        let pending = (1...5).map { F.pending("p\($0)", ["1g.5gb": 1]) }
        let plan = planner.plan(nodes: [node], pods: [], pending: pending, planID: "p")
        #expect(plan.pods.allSatisfy { $0.fits })
        #expect(plan.score.freeInstancesDestroyed == 1)
        #expect(plan.score.gpusChanged == 1)
        let gpus = plan.nodes.first?.gpus ?? []
        #expect(gpus.map(\.index) == [1])
        #expect(gpus.first?.to == ["1g.5gb": 5])
        #expect(gpus.first?.destroyed == [PlacedInstance("7g.40gb", at: 0)])
    }

    @Test("the same choice across two nodes: the node whose change holds all five pods")
    func cheapestChangeAcrossNodes() {
        let a = F.node("a", gpus: [[F.free("4g.20gb", 0), F.used("3g.20gb", 4)]])
        let b = F.node("b", gpus: [[F.free("7g.40gb", 0)]])
        let pending = (1...5).map { F.pending("p\($0)", ["1g.5gb": 1]) }
        let plan = planner.plan(nodes: [a, b], pods: [], pending: pending, planID: "p")
        #expect(plan.pods.allSatisfy { $0.fits })
        #expect(plan.score.freeInstancesDestroyed == 1)
        #expect(plan.score.gpusChanged == 1)
        #expect(plan.nodes.map(\.name) == ["b"])
    }

    @Test("a 1g.10gb on an idle H100 goes to start 6, so 4g.40gb (start 0 only) still fits", arguments: [false, true])
    func smallInstanceKeepsRoom(idleHasFullProfile: Bool) {
        let idle = idleHasFullProfile ? [F.free("7g.80gb", 0)] : []
        let node = F.node("n1", product: Self.h100, gpus: [idle])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("small", ["1g.10gb": 1])], planID: "p")
        #expect(plan.pods.first?.fits == true)
        #expect(plan.nodes.first?.gpus.first?.placements == [PlacedInstance("1g.10gb", at: 6)])

        // Once that instance is in use, a 4g.40gb still fits beside it.
        let later = F.node("n1", product: Self.h100, gpus: [[F.used("1g.10gb", 6)]])
        let next = planner.plan(nodes: [later], pods: [], pending: [F.pending("large", ["4g.40gb": 1])], planID: "q")
        #expect(next.pods.first?.fits == true)
        #expect(next.nodes.first?.gpus.first?.placements.contains(PlacedInstance("4g.40gb", at: 0)) == true)
    }

    @Test("a pod short of CPU is told 'Insufficient cpu', not a MIG reason")
    func cpuReason() {
        let node = F.node("n1", product: Self.h100, gpus: [[]], cpu: 2)
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("big", ["1g.10gb": 1], cpu: 4)], planID: "p")
        let reason = plan.pods.first?.reason ?? ""
        #expect(plan.pods.first?.fits == false)
        #expect(reason == "0/1 nodes are available: 1 Insufficient cpu.", "reason: \(reason)")
    }

    @Test("another extended resource is named as kube-scheduler names it")
    func extendedResourceReason() {
        let node = F.node("n1", product: Self.h100, gpus: [[]])
        let pod = F.pending("rdma", ["1g.10gb": 1], extra: ["rdma/shared_mlx5": Quantity(1)])
        let plan = planner.plan(nodes: [node], pods: [], pending: [pod], planID: "p")
        #expect(plan.pods.first?.reason == "0/1 nodes are available: 1 Insufficient rdma/shared_mlx5.", "\(plan.pods.first?.reason ?? "none")")
    }

    @Test("reasons are counted per node like kube-scheduler's message")
    func histogramReason() {
        let short = F.node("a", product: Self.h100, gpus: [[]], cpu: 2)
        let tainted = F.node("b", product: Self.h100, gpus: [[]], taints: [Taint(key: "gpu", value: "yes", effect: "NoSchedule")])
        let full = F.node("c", product: Self.h100, gpus: [[]], extra: ["pods": Quantity(0)])
        let plan = planner.plan(nodes: [short, tainted, full], pods: [], pending: [F.pending("x", ["1g.10gb": 1], cpu: 4)], planID: "p")
        #expect(plan.pods.first?.reason
            == "0/3 nodes are available: 1 Insufficient cpu, 1 Too many pods, 1 node(s) had untolerated taint {gpu: yes}.",
            "\(plan.pods.first?.reason ?? "none")")
    }

    @Test("MIG is blamed only on the nodes where MIG is what is missing")
    func migReasonOnlyWhenMIG() {
        let short = F.node("a", product: Self.h100, gpus: [[]], cpu: 2)
        let busy = F.node("b", product: Self.h100, gpus: [[F.used("7g.80gb", 0)]])
        let plan = planner.plan(nodes: [short, busy], pods: [], pending: [F.pending("x", ["1g.10gb": 1], cpu: 4)], planID: "p")
        let reason = plan.pods.first?.reason ?? ""
        #expect(reason.hasPrefix("no layout that keeps used instances gives 1× 1g.10gb on the 1 node(s) that pass the scheduler's predicates"), "\(reason)")
        #expect(reason.contains("1 Insufficient cpu"), "\(reason)")
    }

    @Test("free instances the node does not advertise are not 'fits without a change'; the disagreement is reported")
    func advertisedDisagreement() {
        let instances = (0..<6).map { F.free("1g.10gb", $0) } + [F.used("1g.10gb", 6)]
        let node = F.node("n1", product: Self.h100, gpus: [instances], advertised: ["1g.10gb": 2])
        let running = F.pod("running", ["1g.10gb": 1], node: "n1")
        let pending = (1...3).map { F.pending("p\($0)", ["1g.10gb": 1]) }
        let plan = planner.plan(nodes: [node], pods: [running], pending: pending, planID: "p")
        #expect(plan.pods.filter { $0.fitsWithoutChange }.count == 1)
        #expect(plan.pods.filter { $0.fits }.count == 1)
        #expect(plan.disagreements == [Plan.Disagreement(node: "n1", profile: "1g.10gb", reportedFree: 6, advertisedFree: 1)])
        let unfit = plan.pods.filter { !$0.fits }
        #expect(unfit.count == 2)
        #expect(unfit.allSatisfy { ($0.reason ?? "").contains("the MIG agent reports 6 free 1g.10gb but the node advertises 1") }, "\(unfit.map(\.reason))")
        #expect(plan.nodes.isEmpty, "no free instance the agent reports is destroyed while the node disagrees")
    }

    @Test("a node labelled nvidia.com/mig.strategy=single is unplannable (WrongMigStrategy)")
    func singleStrategyLabel() {
        let node = F.node("n1", product: Self.h100, gpus: [[]], labels: [MIGAnnotations.migStrategyLabel: "single"])
        let plan = planner.plan(nodes: [node], pods: [], pending: [F.pending("x", ["1g.10gb": 1])], planID: "p")
        #expect(plan.pods.first?.fits == false)
        #expect(plan.skippedNodes.first?.reasons.map(\.conditionReason) == ["WrongMigStrategy"])
    }
}
