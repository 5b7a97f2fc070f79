import Foundation
import KubeCore
import KubeSim
import N8sCore
import N8sServices

extension SimulatedNode {
    /// Admits bound pods (assigning free registered devices), and marks admitted pods Running
    /// `podStartDelay` later (one process on each of their MIG devices).
    func admit(_ pods: [Pod], now: Date) throws(APIStatus) {
        let s = settings
        for pod in pods where pod.metadata.deletionTimestamp == nil && !(pod.status?.isTerminal ?? false) {
            let key = Self.key(pod)
            if pod.status?.phase == "Running" {
                try complete(pod, now: now)
                continue
            }
            let admitted = state.withLock { $0.admittedAt[key] }
            guard let admitted else {
                try assign(pod, now: now)
                continue
            }
            guard pod.status?.phase != "Running", now >= admitted.addingTimeInterval(s.podStartDelay.seconds) else { continue }
            var running = pod
            var status = pod.status ?? PodStatus()
            status.phase = "Running"
            status.startTime = now
            status.conditions = [PodCondition(type: "Ready", status: "True", lastTransitionTime: now)]
            running.status = status
            _ = try sim.update(running, subresource: "status")
            for uuid in state.withLock({ $0.assignedUUIDs[key] ?? [] }) { nvml.setProcesses(1, onDevice: uuid) }
        }
    }

    /// Ends a running pod whose `sim.n8s.nebuly.ai/run-duration` has passed since it started:
    /// phase `Succeeded` (container exited 0), its devices and processes freed. Pods without the
    /// annotation, or with an unreadable one, run until deleted.
    func complete(_ pod: Pod, now: Date) throws(APIStatus) {
        guard let text = pod.metadata.annotations?[SimulationAnnotations.runDuration], let duration = DurationText.parse(text),
              let started = pod.status?.startTime, now >= started.addingTimeInterval(duration.seconds) else { return }
        var done = pod
        var status = pod.status ?? PodStatus()
        status.phase = "Succeeded"
        status.reason = "Completed"
        status.conditions = [PodCondition(type: "Ready", status: "False", reason: "PodCompleted", lastTransitionTime: now)]
        done.status = status
        _ = try sim.update(done, subresource: "status")
        release(pod)
    }

    /// The kubelet's device manager: free devices of the registered plugin, or an admission error.
    func assign(_ pod: Pod, now: Date) throws(APIStatus) {
        let key = Self.key(pod)
        let wanted = (try? PodRequests(pod.spec).migDevices()) ?? [:]
        if wanted.isEmpty {
            state.withLock { $0.admittedAt[key] = now }
            return
        }
        enum Result { case wait, assigned, failed(String) }
        let result = state.withLock { st -> Result in
            guard st.settings.admitsPods, let registered = st.registered else { return .wait }
            let taken = Set(st.assignments.values.flatMap { $0.values.flatMap { $0 } })
            var given: [String: [String]] = [:]
            for (form, count) in wanted.sorted(by: { $0.key < $1.key }) {
                let resource = MIGProfile.resourcePrefix + form
                let free = (registered[resource] ?? []).filter { !taken.contains($0) }
                guard free.count >= count else { return .failed(resource) }
                given[resource] = Array(free.prefix(count))
            }
            st.assignments[key] = given
            st.assignedUUIDs[key] = given.keys.sorted().flatMap { given[$0] ?? [] }.map { st.registeredUUIDs[$0] ?? $0 }
            st.admittedAt[key] = now
            st.assignmentLog.append((key, now))
            return .assigned
        }
        guard case .failed(let resource) = result else { return }
        var failed = pod
        var status = pod.status ?? PodStatus()
        status.phase = "Failed"
        status.reason = SafetyViolations.admissionErrorReason
        status.message = "Allocate failed due to requested number of devices unavailable for \(resource). Requested: \(wanted[String(resource.dropFirst(MIGProfile.resourcePrefix.count))] ?? 0), Available: 0, which is unexpected"
        failed.status = status
        _ = try sim.update(failed, subresource: "status")
        recordViolation(.admissionFailures, "pod \(key) failed admission: \(resource) was not there any more (UnexpectedAdmissionError)")
    }

    /// Writes the plugin's devices into the node's capacity and allocatable (0 while unregistered).
    func publish(_ node: inout Node) throws(APIStatus) {
        let registered = state.withLock { $0.registered }
        var status = node.status ?? NodeStatus()
        var capacity = status.capacity ?? [:]
        var allocatable = status.allocatable ?? [:]
        let known = Set(capacity.keys.filter { $0.hasPrefix(MIGProfile.resourcePrefix) }).union(registered?.keys ?? [:].keys)
        for resource in known {
            let n = registered?[resource]?.count ?? 0
            allocatable[resource] = Quantity(n)
            if let registered { capacity[resource] = Quantity(registered[resource]?.count ?? 0) }
        }
        guard capacity != status.capacity || allocatable != status.allocatable else { return }
        status.capacity = capacity
        status.allocatable = allocatable
        node.status = status
        _ = try sim.update(node, subresource: "status")
    }

    /// The PodResources `List` answer: every pod the kubelet admitted with devices (terminal ones
    /// too, as real kubelets sometimes do).
    public func podResourcesList() -> [PodDeviceAllocation] {
        state.withLock { s in
            s.assignments.sorted { $0.key < $1.key }.map { key, devices in
                let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
                return PodDeviceAllocation(namespace: parts.first ?? "", name: parts.last ?? "", devices: devices)
            }
        }
    }

    /// The `GetAllocatableResources` answer; `nil` when configured as unimplemented (C36).
    public func podResourcesAllocatable() -> [String: [String]]? {
        state.withLock { s in s.settings.allocatableUnimplemented ? nil : (s.registered ?? [:]) }
    }
}

/// The simulated node's PodResources, in process (for tests that skip the socket).
public struct SimulatedPodResources: PodResourcesSource {
    public let node: SimulatedNode
    public init(node: SimulatedNode) { self.node = node }
    public func list() async throws -> [PodDeviceAllocation] { node.podResourcesList() }
    public func allocatable() async throws -> [String: [String]]? { node.podResourcesAllocatable() }
}
