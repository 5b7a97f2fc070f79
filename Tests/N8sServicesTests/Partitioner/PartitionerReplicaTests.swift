import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import N8sCore
import ServiceLifecycle
import Testing

@testable import N8sServices

/// Leadership, restarts and stalled agents, against KubeSim over HTTP.
@Suite("GPU partitioner replicas, restarts and stalls")
struct PartitionerReplicaTests {
    let specPlan = MIGAnnotations.specPartitioningPlan

    func election(_ client: KubeClient, _ name: String, _ leadership: Leadership, _ clock: ManualClock) -> LeaderElection {
        LeaderElection(
            leases: client.resource(Lease.self, in: "default"), leaseName: "n8s-gpu-partitioner", identity: name,
            leadership: leadership, clock: clock, logger: quietLogger)
    }

    @Test("two replicas: exactly one writes plans; a stale leader's write is refused by the test operations")
    func twoReplicas() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            let n1 = PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]])
            _ = try sim.create(Node.self, n1)
            for i in 0..<3 { try sim.submit(PFixtures.pendingPod("p\(i)", ["2g.10gb": 1])) }
            let leaderships = [Leadership(), Leadership()]
            let replicas = [
                Replica(client: client, clock: clock, leadership: leaderships[0], name: "a"),
                Replica(client: client, clock: clock, leadership: leaderships[1], name: "b"),
            ]
            let groups = [
                replicas[0].group(with: [election(client, "a", leaderships[0], clock)]),
                replicas[1].group(with: [election(client, "b", leaderships[1], clock)]),
            ]
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for g in groups { tasks.addTask { try await g.run() } }
                do {
                    let ok = await advance(clock, until: { sim.spec(of: "n1")[specPlan]?.hasPrefix("seed") == false })
                    #expect(ok)
                }
                let leader = leaderships[0].isLeading ? 0 : 1
                #expect(leaderships.filter(\.isLeading).count == 1)
                let planID = try #require(sim.spec(of: "n1")[specPlan])
                #expect(planID.hasPrefix(leader == 0 ? "a-" : "b-"))
                let leaderMetrics = replicas[leader].metrics
                let counted = await eventually { (try? leaderMetrics.expectCounter("n8s_partitioner_nodes_changed_total").totalValue) == 1 }
                #expect(counted)
                #expect((try? replicas[1 - leader].metrics.expectCounter("n8s_partitioner_batches_total").totalValue) ?? 0 == 0)
                #expect(replicas[1 - leader].partitioner.steps == 0, "the follower never plans")
                #expect(replicas[1 - leader].partitioner.nodes.hasSynced, "but keeps its caches warm")

                // A deposed leader that still holds the node as it was before the plan: its write is refused.
                let stale = Replica(client: client, clock: clock, name: "stale")
                stale.partitioner.nodes.replaceAll(with: [n1])
                stale.partitioner.pods.replaceAll(with: try sim.list(Pod.self))
                _ = await stale.partitioner.reconcile()  // opens its batch window
                clock.advance(by: .seconds(61))
                _ = await stale.partitioner.reconcile()  // plans and tries to write
                #expect(stale.partitioner.window.isOpen == false)
                #expect(sim.spec(of: "n1")[specPlan] == planID, "the leader's plan stands")
                #expect((try? stale.metrics.expectCounter("n8s_partitioner_nodes_changed_total").totalValue) ?? 0 == 0)
                #expect(stale.partitioner.ledger.plans(of: ObjectKey(namespace: "default", name: "p0")) == 0, "refused: its pods stay candidates")
                for g in groups { await g.triggerGracefulShutdown() }
                await pass(clock, .seconds(10), step: .milliseconds(500))
                try await tasks.waitForAll()
            }
        }
    }

    @Test("C15: a restart in the middle of a batch loses no pending pod")
    func restartMidBatch() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            for n in ["n1", "n2"] { _ = try sim.create(Node.self, PartitionerHTTPTests.managed(n, gpus: [[PFixtures.free("7g.40gb", 0)]])) }
            for i in 0..<10 { try sim.submit(PFixtures.pendingPod("p\(i)", ["1g.5gb": 1])) }
            let first = Replica(client: client, clock: clock, name: "first")
            let firstGroup = first.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await firstGroup.run() }
                do {
                    let ok = await eventually { first.partitioner.window.members.count == 10 }
                    #expect(ok)
                }
                clock.advance(by: .seconds(5))
                await settle(.milliseconds(50))
                await firstGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(sim.spec(of: "n1")[specPlan] == "seed-n1" && sim.spec(of: "n2")[specPlan] == "seed-n2", "stopped before the window closed")
            let second = Replica(client: client, clock: clock, name: "second")
            let secondGroup = second.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await secondGroup.run() }
                do {
                    let ok = await advance(clock, until: {
                    (0..<10).allSatisfy { i in sim.events(for: "p\(i)").contains { $0.reason == "MigPlanned" } }
                })
                    #expect(ok)
                }
                var total = 0
                for n in ["n1", "n2"] { total += NodeMIGAnnotations(parsing: sim.spec(of: n)).spec[0]?.counts["1g.5gb"] ?? 0 }
                #expect(total >= 10, "room for every pod")
                #expect(try second.metrics.expectCounter("n8s_partitioner_pods_planned_total").totalValue == 10)
                await secondGroup.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("an agent that does not echo: Stalled after planAckTimeout (condition, Event, pods released), retried with backoff, recovers on echo")
    func stalled() async throws {
        let clock = ManualClock()
        let config = {
            var c = PartitionerConfig()
            c.planAckTimeoutSeconds = 300
            c.stalledRetryInitialSeconds = 60
            return c
        }()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            let replica = Replica(client: client, clock: clock, config: config)
            let group = replica.group()
            let key = ObjectKey(namespace: "default", name: "p")
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: { sim.events(for: "p").contains { $0.reason == "MigPlanned" } })
                    #expect(ok)
                }
                let written = try #require(sim.spec(of: "n1")[specPlan])
                let plannedAt = clock.now
                #expect(replica.partitioner.ledger.reservations(now: clock.now, ttl: config.plannedPodTTL)[key] != nil)
                do {
                    let ok = await advance(clock, step: .seconds(5), until: { replica.partitioner.stalledNodes == ["n1"] })
                    #expect(ok)
                }
                #expect(clock.now.timeIntervalSince(plannedAt) >= 300)
                #expect(replica.partitioner.ledger.reservations(now: clock.now, ttl: config.plannedPodTTL)[key] == nil, "released")
                do {
                    let ok = await eventually { sim.node("n1")?.status?.condition("N8sMigPlanner")?.reason == "Stalled" }
                    #expect(ok)
                }
                #expect(sim.node("n1")?.status?.condition("N8sMigPlanner")?.status == "False")
                do {
                    let ok = await eventually { sim.events(for: "n1").contains { $0.reason == "Stalled" } }
                    #expect(ok)
                }
                #expect(try replica.metrics.expectGauge("n8s_partitioner_stalled_nodes").lastValue == 1)
                // Retried: the same spec under a new plan id, after the backoff.
                do {
                    let ok = await advance(clock, step: .seconds(5), until: { sim.spec(of: "n1")[specPlan] != written })
                    #expect(ok)
                }
                let retried = try #require(sim.spec(of: "n1")[specPlan])
                #expect(NodeMIGAnnotations(parsing: sim.spec(of: "n1")).spec[0]?.counts["3g.20gb"] == 1)
                // The agent finally echoes: the node recovers.
                try ScriptedAgent(sim: sim).echo("n1")
                #expect(sim.node("n1")?.metadata.annotations?[MIGAnnotations.statusPartitioningPlan] == retried)
                do {
                    let ok = await advance(clock, until: { replica.partitioner.stalledNodes.isEmpty })
                    #expect(ok)
                }
                do {
                    // A condition write refused because the cache lagged is retried 2 s later (clock time).
                    let ok = await advance(clock, limit: .seconds(10), until: { sim.node("n1")?.status?.condition("N8sMigPlanner")?.reason == "Plannable" })
                    #expect(ok, "\(String(describing: sim.node("n1")?.status?.condition("N8sMigPlanner")))")
                }
                do {
                    let ok = await eventually { sim.events(for: "n1").contains { $0.reason == "PlanEchoed" } }
                    #expect(ok)
                }
                #expect(try replica.metrics.expectGauge("n8s_partitioner_stalled_nodes").lastValue == 0)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("a plan the agent reports Failed releases its pods at once and does not count; after maxPlansPerPod applied plans a pod is left alone with an Event")
    func failedPlansAndGivingUp() async throws {
        let clock = ManualClock()
        let config = {
            var c = PartitionerConfig()
            c.maxPlansPerPod = 2
            c.plannedPodTTLSeconds = 60
            c.failedPlanRetryInitialSeconds = 20
            return c
        }()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            let replica = Replica(client: client, clock: clock, config: config)
            let agent = ScriptedAgent(sim: sim)
            let group = replica.group()
            let key = ObjectKey(namespace: "default", name: "p")
            let partitioner = replica.partitioner
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let planned = await advance(clock, until: { partitioner.ledger.plans(of: key) == 1 })
                    #expect(planned)
                    clock.advance(by: .seconds(1))  // the agent takes a moment
                    try agent.echo("n1", outcome: .failed)
                    let released = await eventually {
                        partitioner.ledger.reservations(now: clock.now, ttl: config.plannedPodTTL)[key] == nil && partitioner.ledger.plans(of: key) == 0
                    }
                    #expect(released, "a failed plan releases its pods without waiting for the TTL, and is not counted against them")
                }
                // Plans the node applied but the pod never bound to count.
                for round in 1...2 {
                    let planned = await advance(clock, until: { partitioner.ledger.plans(of: key) == round })
                    #expect(planned, "round \(round)")
                    try agent.echo("n1")
                }
                let gaveUp = await advance(clock, until: { sim.events(for: "p").contains { $0.reason == "MigPlanningGivenUp" } })
                #expect(gaveUp)
                #expect(sim.events(for: "p").first { $0.reason == "MigPlanningGivenUp" }?.message?.contains("maxPlansPerPod 2") == true)
                await pass(clock, .seconds(120), step: .seconds(10))
                #expect(partitioner.ledger.plans(of: key) == 2, "left alone")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
