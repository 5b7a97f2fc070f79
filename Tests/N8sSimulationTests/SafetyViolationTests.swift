import Foundation
import KubeCore
import KubeSim
import N8sCore
import Testing

@testable import N8sSimulation

/// Each kind of safety violation, built on one simulated node stepped on a manual clock, is
/// counted under its own kind (and nothing else is).
@Suite("SimulatedNode safety accounting")
struct SafetyViolationTests {
    /// A pod bound to `n` asking for one 1g.10gb.
    static func bound(_ sim: KubeSim, _ name: String = "p") throws {
        var pod = WorkloadPod(name: name, arrival: .zero, end: .never, resources: ["nvidia.com/mig-1g.10gb": Quantity(1)]).pod()
        pod.spec.nodeName = "n"
        _ = try sim.create(Pod.self, pod)
    }

    static func destroyAll(_ node: SimulatedNode) {
        node.nvml.update { gpus in gpus[0].instances.removeAll() }
    }

    static func steps(_ node: SimulatedNode, _ clock: ManualClock, _ n: Int) throws {
        for _ in 0..<n {
            clock.advance(by: .seconds(1))
            try node.step()
        }
    }

    static func setPaused(_ sim: KubeSim, _ node: SimulatedNode, _ paused: Bool) throws {
        var object = try sim.get(Node.self, name: "n")
        object.metadata.labels?[node.settings.pauseLabelKey] = paused ? node.settings.pausedValue : "true"
        _ = try sim.update(object)
    }

    @Test("an instance destroyed while allocated to a pod (admitted, not yet running)")
    func destroyedWhileAllocated() throws {
        let (sim, node, _) = try SimulatedNodeLifetimeTests.started()
        try Self.bound(sim)
        try node.step()
        #expect(node.assignments["default/p"] != nil)
        Self.destroyAll(node)
        try node.step()
        #expect(node.safety.destroyedWhileAllocated == 1)
        #expect(node.safety.total == 1, "\(node.violations)")
    }

    @Test("an instance destroyed while reserved by a bound pod the kubelet has not admitted yet")
    func destroyedWhileReserved() throws {
        var settings = SimulatedNode.Settings()
        settings.admitsPods = false
        let (sim, node, _) = try SimulatedNodeLifetimeTests.started(settings)
        try Self.bound(sim)
        try node.step()
        #expect(node.assignments.isEmpty, "bound, not allocated")
        Self.destroyAll(node)
        try node.step()
        #expect(node.safety.destroyedWhileReserved == 1, "\(node.violations)")
        #expect(node.safety.total == 1, "\(node.violations)")
    }

    @Test("a free instance beyond what bound pods reserve may be destroyed")
    func freeBeyondReservation() throws {
        var settings = SimulatedNode.Settings()
        settings.admitsPods = false
        let (sim, node, _) = try SimulatedNodeLifetimeTests.started(settings)
        try node.nvml.seed(gpu: 0, PlacedInstance("1g.10gb", at: 1))
        try Self.bound(sim)
        try node.step()
        node.nvml.update { gpus in gpus[0].instances.removeAll { $0.start == 1 } }
        try node.step()
        #expect(node.safety.total == 0, "\(node.violations)")
    }

    @Test("a pod failing admission because its device vanished (UnexpectedAdmissionError)")
    func admissionFailure() throws {
        let (sim, node, clock) = try SimulatedNodeLifetimeTests.started()
        try Self.setPaused(sim, node, true)
        try Self.steps(node, clock, 4)
        #expect(!node.isPluginRegistered)
        try Self.bound(sim)
        try node.step()
        // The 1g.10gb goes (while reserved) and something else comes; the plugin registers what is there.
        Self.destroyAll(node)
        try node.nvml.seed(gpu: 0, PlacedInstance("2g.20gb", at: 2))
        try Self.setPaused(sim, node, false)
        try Self.steps(node, clock, 6)
        #expect(sim.pod("p")?.status?.reason == "UnexpectedAdmissionError")
        #expect(node.safety.admissionFailures == 1, "\(node.violations)")
        #expect(node.safety.destroyedWhileReserved == 1, "\(node.violations)")
        #expect(node.safety.total == 2, "\(node.violations)")
    }

    @Test("a running pod that loses its device fails, and both the instance and the pod are counted")
    func lostWhileRunning() throws {
        let (sim, node, clock) = try SimulatedNodeLifetimeTests.started()
        try Self.bound(sim)
        try Self.steps(node, clock, 4)
        #expect(sim.pod("p")?.status?.phase == "Running")
        Self.destroyAll(node)
        try node.step()
        #expect(node.safety.destroyedWhileAllocated == 1, "\(node.violations)")
        #expect(node.safety.deviceLostWhileRunning == 1, "\(node.violations)")
        #expect(node.safety.total == 2, "\(node.violations)")
        #expect(sim.pod("p")?.status?.phase == "Failed")
        #expect(sim.pod("p").map(SafetyViolations.isDeviceFailure) == true, "never treated as finished")
    }
}
