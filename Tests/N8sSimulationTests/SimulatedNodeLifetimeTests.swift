import KubeCore
import KubeSim
import N8sCore
import Testing

@testable import N8sSimulation

/// The simulated kubelet's part in a run: pods end after their run duration, and MIG changes
/// take time before the device plugin lists the new devices. Stepped on a manual clock.
@Suite("SimulatedNode lifetimes")
struct SimulatedNodeLifetimeTests {
    static let h100 = try! MIGCatalog.bundled().model(forProduct: "NVIDIA-H100-80GB-HBM3").model

    /// A node with one H100 holding a 1g.10gb at 0, stepped until its plugin registered.
    static func started(_ settings: SimulatedNode.Settings = SimulatedNode.Settings()) throws -> (KubeSim, SimulatedNode, ManualClock) {
        let clock = ManualClock()
        let sim = KubeSim(clock: clock)
        let nvml = SimulatedNVML(model: h100, count: 1)
        try nvml.seed(gpu: 0, PlacedInstance("1g.10gb", at: 0))
        let node = SimulatedNode(name: "n", sim: sim, nvml: nvml, settings: settings)
        try node.install()
        for _ in 0..<10 {
            try node.step()
            clock.advance(by: .seconds(1))
        }
        return (sim, node, clock)
    }

    @Test("a pod with a run duration succeeds that long after it started, and its device is freed")
    func completes() throws {
        let (sim, node, clock) = try Self.started()
        #expect(node.isPluginRegistered)
        var pod = WorkloadPod(name: "p", arrival: .zero, end: .runs(for: .seconds(60)), resources: ["nvidia.com/mig-1g.10gb": Quantity(1)]).pod()
        pod.spec.nodeName = "n"
        _ = try sim.create(Pod.self, pod)
        try node.step()
        #expect(node.assignments["default/p"] != nil)
        clock.advance(by: .seconds(3))
        try node.step()
        #expect(sim.pod("p")?.status?.phase == "Running")
        clock.advance(by: .seconds(58))
        try node.step()
        #expect(sim.pod("p")?.status?.phase == "Running")
        clock.advance(by: .seconds(3))
        try node.step()
        #expect(sim.pod("p")?.status?.phase == "Succeeded")
        #expect(node.assignments.isEmpty)
        #expect(node.nvml.gpus[0].instances.allSatisfy { $0.computeInstances.allSatisfy { $0.processes == 0 } })
    }

    @Test("a reboot fails the node's pods even when a status write loses a race (409), as the kubelet retries")
    func rebootRetriesConflicts() throws {
        let (sim, node, clock) = try Self.started()
        var pod = WorkloadPod(name: "p", arrival: .zero, end: .never, resources: ["nvidia.com/mig-1g.10gb": Quantity(1)]).pod()
        pod.spec.nodeName = "n"
        _ = try sim.create(Pod.self, pod)
        try node.step()
        clock.advance(by: .seconds(3))
        try node.step()
        #expect(sim.pod("p")?.status?.phase == "Running")
        sim.failNext(2, verb: "update", resource: "pods/status", with: .conflict("pods", "p"))
        try node.reboot(now: clock.now)
        #expect(sim.pod("p")?.status?.phase == "Failed")
        #expect(sim.pod("p")?.status?.reason == SimulatedNode.rebootReason)
        #expect(node.assignments.isEmpty)
    }

    @Test("a pod removed at once frees its devices on the node")
    func forceDeleted() throws {
        let (sim, node, _) = try Self.started()
        var pod = WorkloadPod(name: "p", arrival: .zero, end: .never, resources: ["nvidia.com/mig-1g.10gb": Quantity(1)]).pod()
        pod.spec.nodeName = "n"
        _ = try sim.create(Pod.self, pod)
        try node.step()
        #expect(!node.assignments.isEmpty)
        _ = try sim.delete(Pod.self, namespace: "default", name: "p", options: DeleteOptions(gracePeriodSeconds: 0))
        try node.step()
        #expect(node.assignments.isEmpty)
    }

    @Test("after a MIG change, a restarted plugin registers no earlier than the reconfiguration time")
    func reconfigurationTime() throws {
        var settings = SimulatedNode.Settings()
        settings.migReconfiguration = .seconds(30)
        let (sim, node, clock) = try Self.started(settings)
        var object = try sim.get(Node.self, name: "n")
        object.metadata.labels?[settings.pauseLabelKey] = settings.pausedValue
        _ = try sim.update(object)
        for _ in 0..<5 {
            try node.step()
            clock.advance(by: .seconds(1))
        }
        #expect(!node.isPluginRegistered)
        let id = try #require(node.nvml.gpus[0].profiles.first { $0.name == "1g.10gb" }?.id)
        try node.nvml.withSession { s in
            let gi = try s.createGPUInstance(0, profileID: id, start: 1)
            _ = try s.createComputeInstance(0, gpuInstance: gi)
        }
        try node.step()
        object = try sim.get(Node.self, name: "n")
        object.metadata.labels?[settings.pauseLabelKey] = "true"
        _ = try sim.update(object)
        for _ in 0..<15 {
            clock.advance(by: .seconds(1))
            try node.step()
        }
        #expect(!node.isPluginRegistered, "the plugin pod runs after 3 s, but NVML is still busy")
        for _ in 0..<20 {
            clock.advance(by: .seconds(1))
            try node.step()
        }
        #expect(node.isPluginRegistered)
        #expect(node.registeredDevices?["nvidia.com/mig-1g.10gb"]?.count == 2)
    }
}
