import Foundation
import KubeCore
import N8sCore
import N8sServices
import N8sSimulation
import Synchronization
import Testing

/// The agent changes nothing when it cannot be sure what is used (design.md section 3, fail
/// closed): device ids it cannot match to NVML, a pause mode that leaves devices advertised, and
/// NVML it cannot read.
@Suite("MIG agent fails closed on a simulated node", .serialized)
struct AgentFailClosedTests {
    typealias H = AgentHarness
    static let ann = MIGAnnotations.self

    /// Seven free 1g devices; one pod holds one of them without a process on it yet.
    static func heldWithoutProcess(_ h: H) async throws {
        try await h.waitFor("seven 1g devices are advertised") { h.allocatable["nvidia.com/mig-1g.5gb"] == 7 }
        try h.bindPod("holder", ["1g.5gb": 1])
        try await h.waitFor("the pod runs") { (try? h.sim.get(Pod.self, namespace: "default", name: "holder"))?.status?.phase == "Running" }
        // The pod holds its device but its process has not started (or ended): only the kubelet's
        // allocation says the device is used.
        for gi in h.nvml.gpus[0].instances { for ci in gi.computeInstances { h.nvml.setProcesses(0, onDevice: ci.migUUID) } }
    }

    static func sevenOnes(_ nvml: SimulatedNVML) throws {
        for s in 0..<7 { try nvml.seed(gpu: 0, PlacedInstance("1g.5gb", at: s)) }
    }

    @Test(
        "device ids that are no NVML MIG UUID (deviceIDStrategy=index): nothing changes, DeviceIDMismatch, Event, backoff",
        arguments: [false, true])
    func deviceIDMismatch(allocatableUnimplemented: Bool) async throws {
        try await H.run(gpus: 1, settings: { s in
            s.deviceIDStrategy = .index
            s.allocatableUnimplemented = allocatableUnimplemented
        }, seed: Self.sevenOnes) { h in
            try await Self.heldWithoutProcess(h)
            #expect(h.node.assignments["default/holder"]?.values.flatMap { $0 } == ["0:0"])
            try h.writeSpec([0: "7g.40gb@0"], plan: "merge")
            let first = try await h.agent.reconcile(try h.currentNode())
            let node = try h.currentNode()
            #expect(h.nvml.mutationCount == 0, "nothing may change while a kubelet device id matches no MIG UUID")
            #expect(h.node.violations.isEmpty)
            let condition = try #require(node.status?.condition("N8sMigAgent"))
            #expect(condition.status == "False")
            #expect(condition.reason == "DeviceIDMismatch")
            #expect(condition.message?.contains("0:0") == true, "the message names the ids")
            #expect(condition.message?.contains("deviceIDStrategy=uuid") == true, "the message says what to change")
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Failed")
            #expect(h.nodeEvents.contains { $0.reason == "DeviceIDMismatch" && $0.type == "Warning" })
            // Retried with backoff: the next delay is longer.
            let second = try await h.agent.reconcile(try h.currentNode())
            let a = try #require(first.requeueAfter), b = try #require(second.requeueAfter)
            #expect(b > a)
            #expect(h.nvml.mutationCount == 0)
        }
    }

    @Test("with deviceIDStrategy=uuid the same held device is kept and the rest changes")
    func uuidStrategyKeepsHeldDevice() async throws {
        try await H.run(gpus: 1, seed: Self.sevenOnes) { h in
            try await Self.heldWithoutProcess(h)
            try h.writeSpec([0: "7g.40gb@0"], plan: "merge")
            let node = try await h.pass()
            #expect(h.nvml.mutationCount == 0, "the held 1g blocks a 7g")
            #expect(node.status?.condition("N8sMigAgent")?.reason == "Unreachable")
            #expect(node.metadata.annotations?[Self.ann.statusUsed(gpu: 0, profile: "1g.5gb")] == "1")
        }
    }

    @Test("delete-pod mode is refused at start unless the config allows changes while devices are advertised")
    func deletePodRefusedAtStart() async throws {
        try await H.run(gpus: 1, configure: { $0.pause = DevicePluginPause(mode: .deletePod) }) { h in
            #expect(throws: MIGAgentError.self) { try h.agent.controller() }
            var allowed = h.agent.config
            allowed.allowChangesWhileAdvertised = true
            try allowed.validate()
        }
    }

    @Test("delete-pod mode: a reservation made after the plan aborts the GPU it would have destroyed")
    func deletePodRereadsUsage() async throws {
        try await H.run(gpus: 2, configure: { c in
            c.pause = DevicePluginPause(mode: .deletePod)
            c.allowChangesWhileAdvertised = true
        }, seed: { nvml in
            try nvml.seed(gpu: 0, PlacedInstance("7g.40gb", at: 0))
            for s in 0..<7 { try nvml.seed(gpu: 1, PlacedInstance("1g.5gb", at: s)) }
        }) { h in
            try await h.waitFor("the devices are advertised") { h.allocatable["nvidia.com/mig-1g.5gb"] == 7 }
            h.node.settings.admitsPods = false
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4", 1: "7g.40gb@0"], plan: "p")
            // While GPU 0 changes (devices still advertised), a pod asking for a 1g is bound.
            let agent = h.agentBindingAtFirstMutation("late", ["1g.5gb": 1])
            _ = try await agent.reconcile(try h.currentNode())
            let node = try h.currentNode()
            #expect(h.nvml.gpus[0].layout == H.placed("4g.20gb@0,3g.20gb@4"))
            #expect(h.nvml.gpus[1].layout.count == 7, "GPU 1 keeps every 1g: one is reserved now")
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "PartiallyApplied", "\(node.status?.condition("N8sMigAgent")?.message ?? "")")
            h.node.settings.admitsPods = true
            try await h.waitFor("the late pod gets its device") { h.node.assignments["default/late"] != nil }
            #expect(h.node.violations.isEmpty)
        }
    }

    @Test("delete-pod mode: a pod bound between two destroys of one GPU stops the rest of that GPU's steps")
    func deletePodRereadsUsageBeforeEachDestroy() async throws {
        try await H.run(gpus: 1, configure: { c in
            c.pause = DevicePluginPause(mode: .deletePod)
            c.allowChangesWhileAdvertised = true
        }, seed: { nvml in
            for s in 0..<7 { try nvml.seed(gpu: 0, PlacedInstance("1g.5gb", at: s)) }
        }) { h in
            try await h.waitFor("the devices are advertised") { h.allocatable["nvidia.com/mig-1g.5gb"] == 7 }
            h.node.settings.admitsPods = false
            try h.writeSpec([0: "7g.40gb@0"], plan: "p")
            // The first 1g is being destroyed (devices still advertised): a pod asking for a 1g is bound.
            let agent = h.agentBindingAtFirstMutation("late", ["1g.5gb": 1])
            _ = try await agent.reconcile(try h.currentNode())
            let node = try h.currentNode()
            #expect(h.nvml.gpus[0].layout.count == 6, "only the first 1g went: \(h.nvml.gpus[0].layout)")
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Failed", "\(node.status?.condition("N8sMigAgent")?.message ?? "")")
            #expect(node.status?.condition("N8sMigAgent")?.message?.contains("remaining steps were not run") == true)
            h.node.settings.admitsPods = true
            try await h.waitFor("the late pod gets its device") { h.node.assignments["default/late"] != nil }
            #expect(h.node.violations.isEmpty, "\(h.node.violations)")
        }
    }

    @Test("label mode: a pod bound after the post-drain reading (a scheduler with a stale view) keeps the devices of the GPU it would have lost")
    func labelModeRereadsUsageBeforeEachGPU() async throws {
        try await H.run(gpus: 2, seed: { nvml in
            try nvml.seed(gpu: 0, PlacedInstance("7g.40gb", at: 0))
            for s in 0..<7 { try nvml.seed(gpu: 1, PlacedInstance("1g.5gb", at: s)) }
        }) { h in
            try await h.waitFor("the devices are advertised") { h.allocatable["nvidia.com/mig-1g.5gb"] == 7 }
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4", 1: "7g.40gb@0"], plan: "p")
            // The plugin is paused and drained, what is used was read again, GPU 0 starts to
            // change: now a pod asking for a 1g is bound (a scheduler that still saw the devices).
            let agent = h.agentBindingAtFirstMutation("late", ["1g.5gb": 1])
            _ = try await agent.reconcile(try h.currentNode())
            let node = try h.currentNode()
            #expect(h.nvml.gpus[0].layout == H.placed("4g.20gb@0,3g.20gb@4"))
            #expect(h.nvml.gpus[1].layout.count == 7, "GPU 1 keeps every 1g: one is reserved now")
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "PartiallyApplied", "\(node.status?.condition("N8sMigAgent")?.message ?? "")")
            try await h.waitFor("the late pod gets its device") {
                h.node.assignments["default/late"] != nil || (try? h.sim.get(Pod.self, namespace: "default", name: "late"))?.status?.isTerminal == true
            }
            #expect(h.node.assignments["default/late"] != nil)
            #expect(h.node.violations.isEmpty, "\(h.node.violations)")
        }
    }

    @Test("NVML unavailable: the placement report is dropped, so the planner does not plan the node")
    func nvmlUnavailableDropsReport() async throws {
        try await H.run(gpus: 1) { h in
            var node = try await h.pass()
            #expect(node.metadata.annotations?[Self.ann.statusPlacements(gpu: 0)] != nil)
            h.nvml.isAvailable = false
            node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.reason == "NVMLUnavailable")
            let stale = (node.metadata.annotations ?? [:]).keys.filter { $0.hasPrefix("n8s.nebuly.ai/status-gpu-") }
            #expect(stale.isEmpty, "no per-GPU status is left behind: \(stale.sorted())")
            let view = NodeView(node, catalog: H.catalog)
            #expect(view.unplannable.contains(.noPlacementReport))
            h.nvml.isAvailable = true
            node = try await h.pass()
            #expect(node.metadata.annotations?[Self.ann.statusPlacements(gpu: 0)] != nil, "the report comes back with NVML")
        }
    }
}
