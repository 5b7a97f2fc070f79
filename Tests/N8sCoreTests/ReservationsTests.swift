import KubeCore
import Testing

@testable import N8sCore

/// The one reservation rule of agent and planner (design.md section 3).
@Suite("Reservations: devices bound pods still wait for")
struct ReservationsTests {
    typealias F = Fixtures

    static func pod(_ name: String, phase: String, _ devices: [String: Int]) -> Pod {
        var pod = F.pod(name, devices, node: "n1")
        pod.status = PodStatus(phase: phase)
        return pod
    }

    @Test("requests of bound, non-terminal pods by NVIDIA profile name; terminal pods and fractions do not count")
    func requested() {
        var fraction = Self.pod("half", phase: "Pending", [:])
        fraction.spec.containers[0].resources?.limits?["nvidia.com/mig-1g.5gb"] = Quantity(milli: 500)
        let pods = [
            Self.pod("running", phase: "Running", ["1g.5gb": 2]),
            Self.pod("done", phase: "Succeeded", ["1g.5gb": 1]),
            Self.pod("failed", phase: "Failed", ["3g.20gb": 1]),
            Self.pod("bound", phase: "Pending", ["1g.5gb.me": 1, "3g.20gb": 1]),
            fraction,
        ]
        #expect(Reservations.requested(by: pods) == ["1g.5gb": 2, "1g.5gb+me": 1, "3g.20gb": 1])
    }

    @Test("outstanding = requested − covered, never negative, zero entries left out")
    func outstanding() {
        #expect(Reservations.outstanding(requested: ["1g.5gb": 3, "3g.20gb": 1, "7g.40gb": 1], covered: ["1g.5gb": 1, "3g.20gb": 2, "2g.10gb": 4])
            == ["1g.5gb": 2, "7g.40gb": 1])
        #expect(Reservations.outstanding(requested: [:], covered: ["1g.5gb": 1]).isEmpty)
    }

    @Test("the agent's per-pod count (allocations at most each request) equals requested − covered")
    func agentArithmetic() {
        // Pod a: 2 × 1g, 1 allocated; pod b: 1 × 1g + 1 × 3g, the 3g allocated. Per pod: 1 + 1 owed 1g, 0 owed 3g.
        let requested = ["1g.5gb": 3, "3g.20gb": 1]
        let covered = ["1g.5gb": 1, "3g.20gb": 1]
        #expect(Reservations.outstanding(requested: requested, covered: covered) == ["1g.5gb": 2])
    }

    static let candidates = [
        Reservations.Candidate(gpu: 1, placed: PlacedInstance("1g.5gb", at: 0)),
        Reservations.Candidate(gpu: 0, placed: PlacedInstance("1g.5gb", at: 3)),
        Reservations.Candidate(gpu: 0, placed: PlacedInstance("1g.5gb", at: 1)),
        Reservations.Candidate(gpu: 0, placed: PlacedInstance("3g.20gb", at: 4)),
    ]

    @Test("without preference: lowest GPU index, then lowest start, per profile")
    func takeInOrder() {
        let taken = Reservations.take(["1g.5gb": 2, "2g.10gb": 1], from: Self.candidates)
        #expect(taken == [Self.candidates[2], Self.candidates[1]])
        #expect(Reservations.take(["1g.5gb": 9], from: Self.candidates).count == 3, "more owed than free: all of that profile")
        #expect(Reservations.take([:], from: Self.candidates).isEmpty)
    }

    @Test("preferred instances (kept by the spec) first, so a reservation never blocks a spec that keeps enough")
    func takePreferred() {
        var candidates = Self.candidates
        candidates[0].isPreferred = true
        #expect(Reservations.take(["1g.5gb": 1], from: candidates) == [candidates[0]])
    }

    @Test("agent and planner reserve the same instance for the same node")
    func agentAndPlannerAgree() throws {
        // A node with three free 1g and a bound pod whose 1g is not allocated yet.
        let gpus = [[F.free("1g.5gb", 0), F.free("1g.5gb", 1), F.free("1g.5gb", 2), F.used("3g.20gb", 4)]]
        let bound = [Self.pod("late", phase: "Pending", ["1g.5gb": 1])]
        // Agent: no allocation for it. Planner: the report shows no 1g used.
        let owed = Reservations.outstanding(requested: Reservations.requested(by: bound), covered: [:])
        let candidates = gpus[0].filter { !$0.isUsed }.map { Reservations.Candidate(gpu: 0, placed: $0.placed) }
        #expect(Reservations.take(owed, from: candidates) == [Reservations.Candidate(gpu: 0, placed: PlacedInstance("1g.5gb", at: 0))])
        var states = [GPUPlanState(index: 0, space: F.space("a100-40gb"), instances: gpus[0], isChangeable: true)]
        PlanningState.reserve(Reservations.requested(by: bound), in: &states)
        #expect(states[0].kept.filter(\.isUsed).map(\.placed) == [PlacedInstance("1g.5gb", at: 0), PlacedInstance("3g.20gb", at: 4)])
    }
}
