import Foundation
import KubeCore
import N8sCore
import N8sServices
import N8sSimulation
import Testing

/// The MIG agent against KubeSim (HTTP), simulated GPUs, and the simulated node's PodResources
/// socket (gRPC). Cases from real users' bug reports (C01...), named in each test.
@Suite("MIG agent on a simulated node", .serialized)
struct AgentSimulationTests {
    typealias H = AgentHarness
    static let ann = MIGAnnotations.self

    @Test("C07/C08/C12: empty GPUs get the spec's layouts; the echo comes after the node advertises them")
    func appliesSpec() async throws {
        try await H.run { h in
            // C04 on start: empty MIG-enabled GPUs get the full profile, no spec needed.
            var node = try await h.pass()
            #expect(h.allocatable == ["nvidia.com/mig-7g.40gb": 2])
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4", 1: "2g.10gb@0,1g.5gb@2,1g.5gb@3,3g.20gb@4"], plan: "plan-1")
            node = try await h.pass()
            let a = node.metadata.annotations ?? [:]
            #expect(a[Self.ann.statusPartitioningPlan] == "plan-1")
            #expect(a[Self.ann.statusPartitioningOutcome] == "Applied")
            #expect(a[Self.ann.statusPartitioningSpecHash] == NodeMIGAnnotations.specHash(of: a))
            // The echo is written after waiting: the node already advertises the new devices.
            #expect(h.allocatable == ["nvidia.com/mig-4g.20gb": 1, "nvidia.com/mig-3g.20gb": 2, "nvidia.com/mig-2g.10gb": 1, "nvidia.com/mig-1g.5gb": 2])
            #expect(a[Self.ann.statusPlacements(gpu: 0)] == "4g.20gb@0:free,3g.20gb@4:free")
            #expect(a[Self.ann.statusPlacements(gpu: 1)] == "2g.10gb@0:free,1g.5gb@2:free,1g.5gb@3:free,3g.20gb@4:free")
            #expect(a[Self.ann.statusFree(gpu: 1, profile: "1g.5gb")] == "2")
            #expect(a[Self.ann.statusModel(gpu: 0)] == "NVIDIA-A100-SXM4-40GB")
            #expect(a[Self.ann.statusMIGMode(gpu: 0)] == "enabled")
            #expect(a[Self.ann.statusFree(gpu: 0, profile: "7g.40gb")] == nil, "stale status keys are removed")
            #expect(node.metadata.labels?["nvidia.com/gpu.deploy.device-plugin"] == nil, "the pause label is restored (it was absent)")
            #expect(node.status?.condition("N8sMigAgent")?.status == "True")
            #expect(h.node.violations.isEmpty)
            // Pods asking for both profiles (C08) are admitted and run on the new devices.
            try h.bindPod("mixed", ["2g.10gb": 1, "1g.5gb": 1])
            try await h.waitFor("the pod runs") { (try? h.sim.get(Pod.self, namespace: "default", name: "mixed"))?.status?.phase == "Running" }
        }
    }

    @Test("a pod bound just before a plan keeps its reserved device")
    func reservedDevice() async throws {
        try await H.run(gpus: 1, seed: { nvml in
            for s in 0..<7 { try nvml.seed(gpu: 0, PlacedInstance("1g.5gb", at: s)) }
        }) { h in
            try await h.waitFor("seven 1g devices are advertised") { h.allocatable["nvidia.com/mig-1g.5gb"] == 7 }
            for i in 0..<6 { try h.bindPod("busy-\(i)", ["1g.5gb": 1]) }
            try await h.waitFor("six pods run") { h.node.assignments.count == 6 }
            // The kubelet is slow: the 7th pod is bound but not allocated when the plan arrives.
            h.node.settings.admitsPods = false
            try h.bindPod("late", ["1g.5gb": 1])
            // The spec would merge the one free 1g into a 2g: it must not, the device is reserved.
            try h.writeSpec([0: "2g.10gb@0,1g.5gb@2,1g.5gb@3,1g.5gb@4,1g.5gb@5,1g.5gb@6"], plan: "squeeze")
            let node = try await h.pass()
            #expect(h.nvml.mutationCount == 0, "nothing may change: every 1g is used or reserved")
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Failed")
            #expect(node.status?.condition("N8sMigAgent")?.reason == "Unreachable")
            #expect(node.metadata.annotations?[Self.ann.statusUsed(gpu: 0, profile: "1g.5gb")] == "7")
            h.node.settings.admitsPods = true
            try await h.waitFor("the late pod gets its device") { h.node.assignments["default/late"] != nil }
            #expect(h.node.violations.isEmpty)
        }
    }

    @Test("nothing is bound to a device while the plugin is paused; a pod bound meanwhile keeps a device")
    func noBindingWhilePaused() async throws {
        try await H.run(gpus: 1, seed: { nvml in
            for p in H.placed("1g.5gb@0,1g.5gb@1,2g.10gb@2,3g.20gb@4") { try nvml.seed(gpu: 0, p) }
        }) { h in
            try await h.waitFor("the devices are advertised") { h.allocatable["nvidia.com/mig-3g.20gb"] == 1 }
            try h.writeSpec([0: "1g.5gb@0,1g.5gb@1,2g.10gb@2,2g.10gb@4,1g.5gb@6"], plan: "p1")
            let pass = Task { try await h.pass() }
            try await h.waitFor("the plugin is paused") { !h.node.isPluginRegistered }
            try h.bindPod("during", ["1g.5gb": 1])
            let node = try await pass.value
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Applied")
            try await h.waitFor("the pod gets a device") { h.node.assignments["default/during"] != nil }
            let log = h.node.registrationLog
            let pausedAt = try #require(log.first { !$0.registered }?.at)
            let resumedAt = try #require(log.first { $0.registered && $0.at > pausedAt }?.at)
            for (pod, at) in h.node.assignmentTimes { #expect(at < pausedAt || at >= resumedAt, "\(pod) was given a device while the plugin was paused") }
            #expect(h.nvml.gpus[0].layout == H.placed("1g.5gb@0,1g.5gb@1,2g.10gb@2,2g.10gb@4,1g.5gb@6"))
            #expect(h.node.violations.isEmpty)
        }
    }

    @Test("C02: create reports success but nothing appears: read-back catches it, no Applied echo")
    func phantomCreate() async throws {
        try await H.run(gpus: 1) { h in
            _ = try await h.pass()
            h.nvml.injectPhantomCreates(1)
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "ghost")
            let node = try await h.pass()
            let a = node.metadata.annotations ?? [:]
            #expect(a[Self.ann.statusPartitioningPlan] == "ghost")
            #expect(a[Self.ann.statusPartitioningOutcome] == "Failed")
            #expect(node.status?.condition("N8sMigAgent")?.reason == "ApplyFailed")
            #expect(node.status?.condition("N8sMigAgent")?.message?.contains("read-back") == true)
            // The status shows only what NVML has, never the phantom instance.
            #expect(a[Self.ann.statusPlacements(gpu: 0)]?.contains("4g.20gb@0") == false)
            #expect(!h.nvml.gpus[0].instances.isEmpty, "never left empty (C04)")
        }
    }

    /// A 7g.40gb GPU whose plugin ignores the pause label, a spec to split it, and one pass that
    /// fails (the pause times out): `body` gets the harness and the node after that pass.
    static func withFailedPause(retryInitial: Duration, _ body: @Sendable (H, Node) async throws -> Void) async throws {
        try await H.run(gpus: 1, settings: { $0.pausedValue = "something-else" }, configure: { $0.pauseTimeout = .seconds(5); $0.retryInitial = retryInitial }, seed: { nvml in
            try nvml.seed(gpu: 0, PlacedInstance("7g.40gb", at: 0))
        }) { h in
            try await h.waitFor("the 7g is advertised") { h.allocatable == ["nvidia.com/mig-7g.40gb": 1] }
            try h.writeSpec([0: "3g.20gb@0,3g.20gb@4"], plan: "p")
            let node = try await h.pass()
            #expect(node.metadata.annotations?[ann.statusPartitioningOutcome] == "Failed")
            try await body(h, node)
        }
    }

    @Test("C01: the plugin does not stop: restore, Failed, devices still advertised, retried on the same spec")
    func pauseTimesOut() async throws {
        try await Self.withFailedPause(retryInitial: .seconds(60)) { h, failed in
            var node = failed
            #expect(node.metadata.labels?["nvidia.com/gpu.deploy.device-plugin"] == nil, "the pause label is restored")
            #expect(h.allocatable == ["nvidia.com/mig-7g.40gb": 1], "the node keeps advertising the devices that exist")
            #expect(h.nvml.gpus[0].layout == [PlacedInstance("7g.40gb", at: 0)])
            // Fix the plugin; without any change to the spec the agent retries after its backoff.
            h.node.settings.pausedValue = "paused-for-mig-change"
            node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.message?.contains("retrying") == true)
            try await h.clock.sleep(for: .seconds(61))
            node = try await h.pass()
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Applied")
            #expect(h.nvml.gpus[0].layout == H.placed("3g.20gb@0,3g.20gb@4"))
        }
    }

    @Test("waiting out a failed spec's backoff, the agent resumes a device plugin that a killed pass left paused")
    func backoffResumesPlugin() async throws {
        try await Self.withFailedPause(retryInitial: .seconds(600)) { h, failed in
            var node = failed
            // The next pass paused the plugin and was killed before changing anything: the pause
            // label and the annotation with the label's earlier value stay behind.
            h.node.settings.pausedValue = "paused-for-mig-change"
            node = try h.currentNode()
            node.metadata.labels?["nvidia.com/gpu.deploy.device-plugin"] = "paused-for-mig-change"
            node.metadata.annotations?[MIGAgentNames.pausedLabelAnnotation] = ""
            _ = try h.sim.update(node)
            try await h.waitFor("the plugin stops") { h.allocatable["nvidia.com/mig-7g.40gb", default: 0] == 0 }
            node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.message?.contains("retrying") == true)
            #expect(node.metadata.labels?["nvidia.com/gpu.deploy.device-plugin"] == nil, "the pause label is removed while the agent waits")
            try await h.waitFor("the 7g is advertised again") { h.allocatable == ["nvidia.com/mig-7g.40gb": 1] }
        }
    }

    @Test("the plan id is echoed with Failed when the node never advertises the new devices")
    func neverAdvertised() async throws {
        try await H.run(gpus: 1, configure: { $0.resumeTimeout = .seconds(5) }) { h in
            _ = try await h.pass()
            h.node.settings.pluginStartDelay = .seconds(3600)
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p9")
            let node = try await h.pass()
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningPlan] == "p9")
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Failed")
            #expect(node.status?.condition("N8sMigAgent")?.message?.contains("did not advertise") == true)
        }
    }

    @Test("C03: MIG mode pending a reset: nothing is created, condition MigModePendingReset; Hopper-style mode proceeds")
    func pendingReset() async throws {
        try await H.run(gpus: 1) { h in
            _ = try await h.pass()
            h.nvml.update { $0[0].migPending = false }
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            let before = h.nvml.mutationCount
            let node = try await h.pass()
            #expect(h.nvml.mutationCount == before)
            #expect(node.status?.condition("N8sMigAgent")?.reason == "MigModePendingReset")
            #expect(node.metadata.annotations?[Self.ann.statusMIGMode(gpu: 0)] == "pending")
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Failed")
            h.nvml.update { $0[0].migPending = true }
            #expect(try await h.pass().metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Applied")
        }
    }

    @Test("C31: admin-made instances, one in use: adopted and reported, nothing destroyed")
    func adoptsExisting() async throws {
        try await H.run(seed: { nvml in
            try nvml.seed(gpu: 0, PlacedInstance("3g.20gb", at: 0))
            try nvml.seed(gpu: 0, PlacedInstance("3g.20gb", at: 4))
            for s in 0..<7 { try nvml.seed(gpu: 1, PlacedInstance("1g.5gb", at: s)) }
        }) { h in
            try h.bindPod("user", ["3g.20gb": 1])
            try await h.waitFor("the pod runs") { (try? h.sim.get(Pod.self, namespace: "default", name: "user"))?.status?.phase == "Running" }
            let node = try await h.pass()
            #expect(h.nvml.mutationCount == 0)
            let placements = node.metadata.annotations?[Self.ann.statusPlacements(gpu: 0)] ?? ""
            #expect(placements.contains(":used") && placements.contains(":free"))
            #expect(node.metadata.annotations?[Self.ann.statusFree(gpu: 1, profile: "1g.5gb")] == "7")
            // A later plan that drops the used 3g is refused; one that changes only free devices applies.
            let used = placements.split(separator: ",").first { $0.hasSuffix(":used") }!.dropLast(5)
            let free = used == "3g.20gb@0" ? "3g.20gb@4" : "3g.20gb@0"
            try h.writeSpec([0: "7g.40gb@0"], plan: "bad")
            #expect(try await h.pass().metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Failed")
            let split = free == "3g.20gb@4" ? "2g.10gb@4,1g.5gb@6" : "2g.10gb@0,1g.5gb@2"
            try h.writeSpec([0: "\(used),\(split)"], plan: "good")
            #expect(try await h.pass().metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Applied")
            #expect(h.node.violations.isEmpty)
        }
    }

    @Test("C36: kubelet without GetAllocatableResources: falls back to NVML, says so, applies")
    func allocatableUnimplemented() async throws {
        try await H.run(gpus: 1, settings: { $0.allocatableUnimplemented = true }) { h in
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            let node = try await h.pass()
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Applied")
            #expect(node.status?.condition("N8sMigAgent")?.message?.contains("GetAllocatableResources") == true)
        }
    }

    @Test("C37: delete-pod mode waits for a different Running plugin pod before echoing")
    func deletePodMode() async throws {
        try await H.run(gpus: 1, settings: { $0.pluginStopDelay = .seconds(20) }, configure: { c in
            c.pause = DevicePluginPause(mode: .deletePod)
            c.allowChangesWhileAdvertised = true
        }) { h in
            _ = try await h.pass()
            let oldPods = try h.sim.list(Pod.self, namespace: "gpu-operator").map(\.metadata.uid)
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            let node = try await h.pass()
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningOutcome] == "Applied")
            #expect(h.allocatable == ["nvidia.com/mig-4g.20gb": 1, "nvidia.com/mig-3g.20gb": 1])
            let running = try h.sim.list(Pod.self, namespace: "gpu-operator").filter { $0.status?.phase == "Running" && $0.metadata.deletionTimestamp == nil }
            #expect(running.count == 1 && !oldPods.contains(running[0].metadata.uid))
        }
    }

    @Test("C09: the spec changes under the same plan id: re-applied from the content hash")
    func sameIDNewContent() async throws {
        try await H.run(gpus: 1) { h in
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            _ = try await h.pass()
            try h.writeSpec([0: "3g.20gb@0,3g.20gb@4"], plan: "p")
            let node = try await h.pass()
            #expect(h.nvml.gpus[0].layout == H.placed("3g.20gb@0,3g.20gb@4"))
            #expect(node.metadata.annotations?[Self.ann.statusPartitioningSpecHash] == NodeMIGAnnotations.specHash(of: node.metadata.annotations ?? [:]))
        }
    }

    @Test("after a reboot (instances gone) the spec's layout is re-created")
    func reboot() async throws {
        try await H.run(gpus: 1) { h in
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            _ = try await h.pass()
            h.nvml.reboot()
            // While the kubelet still lists the devices from before the reboot, nothing is changed
            // (they match no NVML device: DeviceIDMismatch).
            var node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.reason == "DeviceIDMismatch")
            #expect(h.nvml.gpus[0].layout.isEmpty)
            // The node's device plugin starts again with the node and lists what NVML has now.
            for p in try h.sim.list(Pod.self, namespace: "gpu-operator") {
                _ = try h.sim.delete(Pod.self, namespace: "gpu-operator", name: p.name, options: DeleteOptions(gracePeriodSeconds: 0))
            }
            try await h.waitFor("the plugin lists the empty GPU") { h.node.registeredDevices?.isEmpty == true }
            node = try await h.pass()
            #expect(h.nvml.gpus[0].layout == H.placed("4g.20gb@0,3g.20gb@4"))
            try await h.waitFor("the node advertises them again") { h.allocatable == ["nvidia.com/mig-4g.20gb": 1, "nvidia.com/mig-3g.20gb": 1] }
        }
    }

    @Test("prerequisites: wrong MIG strategy, a foreign MIG Manager, NVML unavailable, dry run: nothing changes")
    func prerequisites() async throws {
        try await H.run(gpus: 1, settings: { $0.migStrategy = "single" }) { h in
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            var node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.reason == "WrongMigStrategy")
            #expect(h.nvml.mutationCount == 0)
        }
        try await H.run(gpus: 1) { h in
            _ = try h.sim.create(Pod.self, Pod(metadata: ObjectMeta(name: "nvidia-mig-manager-x", namespace: "gpu-operator", labels: ["app": "nvidia-mig-manager"]), spec: PodSpec(containers: [Container(name: "m")], nodeName: H.nodeName)))
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            let node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.reason == "ForeignManager")
            #expect(h.nvml.mutationCount == 0)
        }
        try await H.run(gpus: 1, configure: { $0.dryRun = true }) { h in
            try h.writeSpec([0: "4g.20gb@0,3g.20gb@4"], plan: "p")
            let node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.reason == "DryRun")
            #expect(h.nvml.mutationCount == 0)
        }
        try await H.run(gpus: 1) { h in
            h.nvml.isAvailable = false
            let node = try await h.pass()
            #expect(node.status?.condition("N8sMigAgent")?.reason == "NVMLUnavailable")
        }
    }
}
