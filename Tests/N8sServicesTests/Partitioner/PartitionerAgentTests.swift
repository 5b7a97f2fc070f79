import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import N8sCore
import ServiceLifecycle
import Testing

@testable import N8sServices

/// The partitioner respects the MIG agent: nodes whose agent cannot act are not planned, failed
/// plans back off per node, and only plans a node applied count toward `maxPlansPerPod`.
@Suite("GPU partitioner and the MIG agent's condition")
struct PartitionerAgentTests {
    let specPlan = MIGAnnotations.specPartitioningPlan

    static func setAgentCondition(_ sim: KubeSim, _ node: String, status: String, reason: String, message: String) throws {
        var object = try #require(sim.node(node))
        var nodeStatus = object.status ?? NodeStatus()
        nodeStatus.setCondition(NodeCondition(type: "N8sMigAgent", status: status, reason: reason, message: message))
        object.status = nodeStatus
        _ = try sim.update(object, subresource: "status")
    }

    @Test(
        "a node whose agent needs a person is not planned: AgentNotReady with the agent's message, and the pod is told why",
        arguments: ["NVMLUnavailable", "ForeignManager", "WrongMigStrategy", "CatalogMismatch", "DeviceIDMismatch"])
    func agentNeedsAPerson(reason: String) async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try Self.setAgentCondition(sim, "n1", status: "False", reason: reason, message: "agent says: fix \(reason)")
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            let replica = Replica(client: client, clock: clock)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: { sim.node("n1")?.status?.condition("N8sMigPlanner")?.reason == "AgentNotReady" })
                    #expect(ok)
                }
                let condition = try #require(sim.node("n1")?.status?.condition("N8sMigPlanner"))
                #expect(condition.status == "False")
                #expect(condition.message?.contains("agent says: fix \(reason)") == true)
                #expect(condition.message?.contains(reason) == true)
                do {
                    let ok = await advance(clock, until: {
                        sim.events(for: "p").contains { $0.reason == "MigUnplaceable" && $0.message?.contains("n1") == true && $0.message?.contains(reason) == true }
                    })
                    #expect(ok, "the waiting pod is told which node's agent is not ready")
                }
                await pass(clock, .seconds(120), step: .seconds(10))
                #expect(sim.spec(of: "n1")[specPlan] == "seed-n1", "nothing planned onto the node")
                #expect(!sim.events(for: "p").contains { $0.reason == "MigPlanned" })
                #expect(replica.partitioner.ledger.plans(of: ObjectKey(namespace: "default", name: "p")) == 0)
                // The agent recovers: the node is planned.
                try Self.setAgentCondition(sim, "n1", status: "True", reason: "Applied", message: "MIG devices match the spec")
                do {
                    let ok = await advance(clock, until: { sim.events(for: "p").contains { $0.reason == "MigPlanned" } })
                    #expect(ok, "planned once the agent can act again")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("a plan write the API refuses is tried again after a backoff, though nothing else in the cluster changes")
    func refusedPlanWriteRetried() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            // The first two plan writes fail; the pod and the node do not change meanwhile.
            sim.failNext(2, verb: "patch", resource: "nodes", with: .internalError("etcdserver: request timed out"))
            let replica = Replica(client: client, clock: clock)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, limit: .seconds(120), until: { sim.spec(of: "n1")[specPlan] != "seed-n1" })
                    #expect(ok, "the plan is written once the API accepts it")
                }
                do {
                    let ok = await advance(clock, until: { sim.events(for: "p").contains { $0.reason == "MigPlanned" } })
                    #expect(ok)
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("pods reserved for a node whose agent stops being able to act are released, refunded and told")
    func reservedPodsReleased() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            let replica = Replica(client: client, clock: clock)
            let group = replica.group()
            let key = ObjectKey(namespace: "default", name: "p")
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: { replica.partitioner.ledger.plans(of: key) == 1 })
                    #expect(ok)
                }
                try Self.setAgentCondition(sim, "n1", status: "False", reason: "NVMLUnavailable", message: "libnvidia-ml.so.1 missing")
                do {
                    let ok = await advance(clock, until: {
                        sim.events(for: "p").contains { $0.reason == "AgentNotReady" && $0.message?.contains("libnvidia-ml.so.1 missing") == true }
                    })
                    #expect(ok, "an Event on the pod that was waiting for the node")
                }
                #expect(replica.partitioner.ledger.reservations(now: clock.now, ttl: .seconds(600))[key] == nil, "released")
                #expect(replica.partitioner.ledger.plans(of: key) == 0, "a plan the node could not apply does not count")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("Failed echoes back off per node, exponentially on the injected clock, and do not use up maxPlansPerPod")
    func failedEchoBackoff() async throws {
        let clock = ManualClock()
        let config = try PartitionerConfig(yaml: "maxPlansPerPod: 1\nfailedPlanRetryInitialSeconds: 30\nfailedPlanRetryMaxSeconds: 600")
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            let replica = Replica(client: client, clock: clock, config: config)
            let agent = ScriptedAgent(sim: sim)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                var lastPlan = "seed-n1"
                var gaps: [Double] = []
                var failedAt: Date?
                for round in 1...3 {
                    let previous = lastPlan
                    let planned = await advance(clock, until: { sim.spec(of: "n1")[specPlan] != previous })
                    #expect(planned, "round \(round)")
                    if let failedAt { gaps.append(clock.now.timeIntervalSince(failedAt)) }
                    lastPlan = sim.spec(of: "n1")[specPlan] ?? ""
                    try agent.echo("n1", outcome: .failed)
                    failedAt = clock.now
                }
                #expect(gaps.count == 2)
                #expect(gaps[0] >= 30, "first retry after the initial backoff: \(gaps)")
                #expect(gaps[1] >= 60, "the backoff doubles: \(gaps)")
                #expect(!sim.events(for: "p").contains { $0.reason == "MigPlanningGivenUp" }, "failed plans are not the pod's plans")
                #expect(replica.partitioner.ledger.plans(of: ObjectKey(namespace: "default", name: "p")) <= 1)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("a new term does not back a node off again for a failed plan an earlier term already waited out")
    func earlierTermBackoffCounts() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            // An earlier leader wrote plan "old"; the agent echoed Failed; that leader backed the
            // node off (PlanFailed) two minutes ago, and then lost its lease.
            var node = try #require(sim.node("n1"))
            node.metadata.annotations?[specPlan] = "old"
            _ = try sim.update(node)
            #expect(try ScriptedAgent(sim: sim).echo("n1", outcome: .failed))
            node = try #require(sim.node("n1"))
            node.status?.setCondition(NodeCondition(
                type: "N8sMigPlanner", status: "False", reason: "PlanFailed",
                message: "the MIG agent did not apply plan old; the node is planned again from 2026-01-01T00:00:00Z (backoff doubles per failure in a row)",
                lastTransitionTime: clock.now.addingTimeInterval(-120)))
            _ = try sim.update(node, subresource: "status")

            let replica = Replica(client: client, clock: clock)
            replica.partitioner.nodes.replaceAll(with: [try #require(sim.node("n1"))])
            replica.partitioner.pods.replaceAll(with: try sim.list(Pod.self))
            _ = await replica.partitioner.reconcile()
            #expect(replica.partitioner.backingOff["n1"] == nil, "the 30 s backoff for plan old ended 90 s ago: \(replica.partitioner.backingOff)")
            #expect(replica.partitioner.excludedNodes(now: clock.now)["n1"] == nil)
        }
    }

    @Test("a pod still unbound well after its plan was Applied is released and planned again, not held for the whole TTL")
    func appliedButUnboundReleased() async throws {
        let clock = ManualClock()
        let config = try PartitionerConfig(yaml: "plannedPodTTLSeconds: 600\nunboundAfterAppliedSeconds: 120")
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            let replica = Replica(client: client, clock: clock, config: config)
            let agent = ScriptedAgent(sim: sim)
            let group = replica.group()
            let key = ObjectKey(namespace: "default", name: "p")
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(await advance(clock, until: { replica.partitioner.ledger.plans(of: key) == 1 }))
                // The agent applies the plan, yet the pod does not bind (its device went to another
                // pod, or the scheduler never saw it): it is planned again after 120 s, not 600 s.
                #expect(try agent.echo("n1", outcome: .applied))
                let appliedAt = clock.now
                #expect(await advance(clock, limit: .seconds(300), until: { replica.partitioner.ledger.plans(of: key) == 2 }))
                let waited = clock.now.timeIntervalSince(appliedAt)
                #expect(waited >= 120 && waited < 300, "planned again \(waited) s after the Applied echo")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}

/// Leadership fences the partitioner's node conditions and its memory.
@Suite("GPU partitioner leadership fences")
struct PartitionerLeadershipTests {
    @Test("a deposed leader's condition write is refused: the newer leader's condition stands")
    func deposedConditionRefused() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            // What the deposed leader last saw: n1 Plannable with a broken agent; n2 without any planner condition.
            var n1 = PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]])
            n1.status?.setCondition(NodeCondition(type: "N8sMigPlanner", status: "True", reason: "Plannable", message: "every GPU can be planned"))
            n1.status?.setCondition(NodeCondition(type: "N8sMigAgent", status: "False", reason: "NVMLUnavailable", message: "no driver"))
            let n2 = PartitionerHTTPTests.managed("n2", gpus: [[PFixtures.free("7g.40gb", 0)]])
            let seen = [n1, n2]
            for node in seen {
                let created = try sim.create(Node.self, Node(metadata: node.metadata, spec: node.spec))
                var withStatus = created
                withStatus.status = node.status
                _ = try sim.update(withStatus, subresource: "status")
            }
            // Meanwhile the new leader wrote its own conditions.
            for name in ["n1", "n2"] {
                var object = try #require(sim.node(name))
                object.status?.setCondition(NodeCondition(type: "N8sMigPlanner", status: "False", reason: "Stalled", message: "new leader"))
                _ = try sim.update(object, subresource: "status")
            }
            let stale = Replica(client: client, clock: clock, name: "stale")
            stale.partitioner.nodes.replaceAll(with: seen)
            stale.partitioner.pods.replaceAll(with: [])
            _ = await stale.partitioner.reconcile()
            for name in ["n1", "n2"] {
                let c = sim.node(name)?.status?.condition("N8sMigPlanner")
                #expect(c?.reason == "Stalled" && c?.message == "new leader", "\(name): \(String(describing: c))")
            }
        }
    }

    @Test("a regained leadership starts from a fresh ledger")
    func freshLedgerPerTerm() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PartitionerHTTPTests.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["3g.20gb": 1]))
            let leadership = Leadership()
            leadership.set(leading: true)
            let replica = Replica(client: client, clock: clock, leadership: leadership)
            let group = replica.group()
            let key = ObjectKey(namespace: "default", name: "p")
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: { replica.partitioner.ledger.plans(of: key) == 1 })
                    #expect(ok)
                }
                leadership.set(leading: false)
                await settle()
                leadership.set(leading: true)
                do {
                    let ok = await eventually { replica.partitioner.ledger.plans(of: key) == 0 }
                    #expect(ok, "the new term does not inherit the old term's reservations")
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
