import Foundation
import KubeClient
import KubeCore
import KubeSim
import N8sCore
import ServiceLifecycle
import Testing

@testable import N8sServices

/// The partitioner against KubeSim over HTTP, with a scripted stand-in for the MIG agent.
@Suite("GPU partitioner over HTTP")
struct PartitionerHTTPTests {
    let specPlan = MIGAnnotations.specPartitioningPlan

    /// A node n8s already manages: spec equal to status, echoed.
    static func managed(_ name: String, gpus: [[InstanceState]]) -> Node {
        var annotations = NodeMIGAnnotations.specAnnotations(
            gpus.enumerated().map { GPUSpec(index: $0.offset, layout: $0.element.map(\.placed)) }, planID: "seed-\(name)")
        annotations[MIGAnnotations.statusPartitioningPlan] = "seed-\(name)"
        annotations[MIGAnnotations.statusPartitioningOutcome] = "Applied"
        return PFixtures.node(name, gpus: gpus, annotations: annotations)
    }

    @Test("writes spec annotations for pending MIG pods, with Events naming node and GPU; pods pending for other reasons are never planned")
    func plansPendingPods() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, Self.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            _ = try sim.create(Node.self, PFixtures.node("plain", gpus: [], labelled: false))
            try sim.submit(PFixtures.pendingPod("train", ["3g.20gb": 1]))
            try sim.submit(PFixtures.pendingPod("infer", ["1g.5gb": 2]))
            // A node selector no node matches: the scheduler says so, not "Insufficient nvidia.com/mig-".
            try sim.submit(PFixtures.pendingPod(
                "elsewhere", ["1g.5gb": 1], message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
                selector: ["pool": "nowhere"]))
            try sim.submit(PFixtures.pendingPod("cpu-bound", ["1g.5gb": 1], message: "0/2 nodes are available: 2 Insufficient cpu."))
            let replica = Replica(client: client, clock: clock)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: { sim.spec(of: "n1")[specPlan] == "r-2" || sim.spec(of: "n1")[specPlan] == "r-1" })
                    #expect(ok)
                }
                let spec = NodeMIGAnnotations(parsing: sim.spec(of: "n1")).spec[0]
                #expect(spec?.counts["3g.20gb"] == 1)
                #expect((spec?.counts["1g.5gb"] ?? 0) >= 2)
                do {
                    let ok = await eventually { sim.events(for: "train").contains { $0.reason == "MigPlanned" } }
                    #expect(ok)
                }
                let planned = sim.events(for: "train").first { $0.reason == "MigPlanned" }
                #expect(planned?.message?.hasPrefix("planned nvidia.com/mig-3g.20gb on node n1 GPU 0") == true)
                do {
                    let ok = await eventually { sim.events(for: "infer").contains { $0.reason == "MigPlanned" } }
                    #expect(ok)
                }
                // Never planned for: no Event, no reservation, whatever the time.
                await pass(clock, .seconds(300), step: .seconds(30))
                #expect(sim.events(for: "elsewhere").isEmpty && sim.events(for: "cpu-bound").isEmpty)
                #expect(replica.partitioner.ledger.plans(of: ObjectKey(namespace: "default", name: "elsewhere")) == 0)
                #expect(sim.spec(of: "plain").isEmpty)
                #expect(try replica.metrics.expectCounter("n8s_partitioner_pods_planned_total").totalValue == 2)
                #expect(try replica.metrics.expectCounter("n8s_partitioner_nodes_changed_total").totalValue == 1)
                #expect(try replica.metrics.expectCounter("n8s_partitioner_batches_total").totalValue == 1)
                #expect(try replica.metrics.expectTimer("n8s_partitioner_planning_duration_seconds").values.count == 1)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("pods that cannot fit anywhere get an Event and no node is changed for them")
    func unplaceable() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, Self.managed("n1", gpus: [[PFixtures.used("7g.40gb", 0)]]))
            _ = try sim.create(Pod.self, PFixtures.boundPod("holder", ["7g.40gb": 1], node: "n1"))
            try sim.submit(PFixtures.pendingPod("hopeless", ["3g.20gb": 1]))
            let before = sim.node("n1")?.metadata.annotations
            let replica = Replica(client: client, clock: clock)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: { sim.events(for: "hopeless").contains { $0.reason == "MigUnplaceable" } })
                    #expect(ok)
                }
                let event = sim.events(for: "hopeless").first { $0.reason == "MigUnplaceable" }
                #expect(event?.type == "Warning")
                #expect(event?.message?.contains("no layout") == true)
                #expect(sim.node("n1")?.metadata.annotations == before, "no node is changed for it")
                #expect(try replica.metrics.expectCounter("n8s_partitioner_pods_unplaceable_total", [("reason", "no_layout")]).totalValue == 1)
                // It waits for a node change: no planning round per window.
                await pass(clock, .seconds(200), step: .seconds(20))
                #expect(try replica.metrics.expectCounter("n8s_partitioner_batches_total").totalValue == 1)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("a pod is never planned onto two nodes, and devices used or reserved by bound pods are kept")
    func neverTwice() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, Self.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            _ = try sim.create(Node.self, Self.managed("n2", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("a", ["3g.20gb": 1]))
            let replica = Replica(client: client, clock: clock)
            let agent = ScriptedAgent(sim: sim)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    let ok = await advance(clock, until: { sim.events(for: "a").contains { $0.reason == "MigPlanned" } })
                    #expect(ok)
                }
                let first = try #require(sim.events(for: "a").first { $0.reason == "MigPlanned" }?.message)
                let target = first.contains("node n1") ? "n1" : "n2"
                let other = target == "n1" ? "n2" : "n1"
                // More batches come and go while the agent has not echoed yet; a stays reserved.
                try sim.submit(PFixtures.pendingPod("b", ["1g.5gb": 1]))
                do {
                    let ok = await advance(clock, until: { sim.events(for: "b").contains { $0.reason == "MigPlanned" } })
                    #expect(ok)
                }
                await pass(clock, .seconds(120), step: .seconds(10))
                #expect(sim.events(for: "a").filter { $0.reason == "MigPlanned" }.map { $0.count ?? 1 }.reduce(0, +) == 1)
                #expect(!(NodeMIGAnnotations(parsing: sim.spec(of: other)).spec[0]?.counts.keys.contains("3g.20gb") ?? false))
                // The agent applies; the scheduler binds a; the agent reports its device used.
                try agent.echo(target)
                try agent.echo(other)
                try sim.bindPod("a", to: target)
                try sim.bindPod("b", to: sim.events(for: "b").first?.message?.contains("node n1") == true ? "n1" : "n2")
                try agent.refresh("n1")
                try agent.refresh("n2")
                let usedStart = try #require(NodeMIGAnnotations(parsing: sim.node(target)?.metadata.annotations ?? [:]).status[0]?.instances?.first { $0.isUsed && $0.placed.profile == "3g.20gb" }?.placed)
                // A new pod that needs the rest of both GPUs: the used 3g.20gb stays where it is.
                try sim.submit(PFixtures.pendingPod("c", ["4g.20gb": 1]))
                do {
                    let ok = await advance(clock, until: { sim.events(for: "c").contains { $0.reason == "MigPlanned" || $0.reason == "MigUnplaceable" } })
                    #expect(ok)
                }
                for name in ["n1", "n2"] {
                    let spec = NodeMIGAnnotations(parsing: sim.spec(of: name)).spec[0]?.placements ?? []
                    if name == target { #expect(spec.contains(usedStart), "used device kept on \(name): \(spec)") }
                }
                #expect(replica.partitioner.ledger.plans(of: ObjectKey(namespace: "default", name: "a")) == 0, "bound: forgotten")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("C30/C31: an unknown model only stops its own node; a node without a report says so; a node with devices and no spec is adopted")
    func conditionsAndAdoption() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, PFixtures.node("mystery", product: "NVIDIA-Mystery-GPU-96GB", gpus: [[PFixtures.free("7g.96gb", 0)]]))
            _ = try sim.create(Node.self, PFixtures.node("silent", gpus: []))
            // C31: an admin made 2× 3g.20gb (one in use) and 7× 1g.5gb before labelling the node.
            _ = try sim.create(Node.self, PFixtures.node("adopted", gpus: [
                [PFixtures.used("3g.20gb", 4), PFixtures.free("3g.20gb", 0)], (0..<7).map { PFixtures.free("1g.5gb", $0) },
            ]))
            _ = try sim.create(Pod.self, PFixtures.boundPod("holder", ["3g.20gb": 1], node: "adopted"))
            _ = try sim.create(Node.self, Self.managed("ok", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            try sim.submit(PFixtures.pendingPod("p", ["2g.10gb": 1]))
            let replica = Replica(client: client, clock: clock)
            let agent = ScriptedAgent(sim: sim)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let condition: @Sendable (String) -> NodeCondition? = { sim.node($0)?.status?.condition("N8sMigPlanner") }
                do {
                    let ok = await advance(clock, until: { condition("mystery")?.reason == "UnknownModel" && condition("silent")?.reason == "NoPlacementReport" })
                    #expect(ok)
                }
                #expect(condition("mystery")?.status == "False")
                #expect(condition("mystery")?.message?.contains("NVIDIA-Mystery-GPU-96GB") == true)
                #expect(condition("ok")?.status == "True")
                #expect(sim.events(for: "mystery").contains { $0.reason == "UnknownModel" && $0.type == "Warning" })
                #expect(sim.node("mystery")?.status?.condition("Ready")?.status == "True", "the kubelet's conditions are kept")
                // Adoption writes the current layout as spec.
                do {
                    let ok = await eventually { sim.spec(of: "adopted")[specPlan] != nil }
                    #expect(ok)
                }
                let adopted = NodeMIGAnnotations(parsing: sim.spec(of: "adopted")).spec
                #expect(adopted[0]?.placements == [PlacedInstance("3g.20gb", at: 0), PlacedInstance("3g.20gb", at: 4)])
                #expect(adopted[1]?.counts == ["1g.5gb": 7])
                try agent.echo("adopted")
                // The pending pod is planned where it fits; the unknown node is never written.
                do {
                    let ok = await advance(clock, until: { sim.events(for: "p").contains { $0.reason == "MigPlanned" } })
                    #expect(ok)
                }
                #expect(sim.spec(of: "mystery").isEmpty && sim.spec(of: "silent").isEmpty)
                for name in ["adopted", "ok"] {
                    let spec = NodeMIGAnnotations(parsing: sim.spec(of: name)).spec[0]?.placements ?? []
                    if name == "adopted" { #expect(spec.contains(PlacedInstance("3g.20gb", at: 4)), "the used device stays: \(spec)") }
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    @Test("node updates touching nothing n8s reads (GFD timestamp, other annotations) cause no work")
    func irrelevantChanges() async throws {
        let clock = ManualClock()
        try await withSim(clock: clock) { sim, client in
            _ = try sim.create(Node.self, Self.managed("n1", gpus: [[PFixtures.free("7g.40gb", 0)]]))
            let replica = Replica(client: client, clock: clock)
            let group = replica.group()
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let partitioner = replica.partitioner
                let settled = await eventually {
                    partitioner.nodes.get(ObjectKey(name: "n1"))?.status?.condition("N8sMigPlanner") != nil
                }
                #expect(settled)
                await settle(.milliseconds(100))
                let steps = replica.partitioner.steps
                for i in 0..<5 {
                    var node = try #require(sim.node("n1"))
                    node.metadata.labels?["nvidia.com/gfd.timestamp"] = "\(1_700_000_000 + i)"
                    node.metadata.annotations?["example.com/last-seen"] = "\(i)"
                    _ = try sim.update(node)
                }
                let seen = await eventually { partitioner.nodes.get(ObjectKey(name: "n1"))?.metadata.labels?["nvidia.com/gfd.timestamp"] == "1700000004" }
                #expect(seen)
                await settle(.milliseconds(100))
                #expect(replica.partitioner.steps == steps)
                var node = try #require(sim.node("n1"))
                node.metadata.labels?["pool"] = "a"
                _ = try sim.update(node)
                let woke = await eventually { partitioner.steps > steps }
                #expect(woke, "a label selectors may read does matter")
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
