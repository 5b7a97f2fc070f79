import Foundation
import KubeCore
import KubeSim
import N8sCore

/// The node's referee: every breach of n8s's first rule it can see, counted by kind
/// (``SafetyViolations``). Checked once per ``SimulatedNode/step()``, against NVML as it was at
/// the end of the previous step.
extension SimulatedNode {
    /// The safety figures so far, by kind (each must stay 0).
    public var safety: SafetyViolations { state.withLock { $0.safety } }

    /// Every violation so far with its kind, in the order seen.
    public var violationLog: [(kind: SafetyViolations.Kind, detail: String)] { state.withLock { $0.violationLog } }

    /// Records a violation (once per distinct `detail`).
    func recordViolation(_ kind: SafetyViolations.Kind, _ detail: String) {
        state.withLock { $0.record(kind, detail) }
    }

    /// MIG devices NVML has now: MIG UUID to profile (resource form).
    func currentInstances() -> [String: String] {
        var out: [String: String] = [:]
        for gpu in nvml.gpus {
            for gi in gpu.instances {
                for ci in gi.computeInstances { out[ci.migUUID] = MIGProfile.resourceForm(of: gi.profile) }
            }
        }
        return out
    }

    /// Compares NVML with the last step:
    /// - every allocated device must still exist (else `destroyedWhileAllocated`; a Running pod
    ///   that lost one also counts as `deviceLostWhileRunning` and fails with
    ///   ``SafetyViolations/deviceLostReason``, its devices freed);
    /// - free devices destroyed since the last step may only be spares: for each profile, those
    ///   beyond what bound, not yet allocated pods needed then (else `destroyedWhileReserved`).
    func checkDevices(_ pods: [Pod], now: Date) throws(APIStatus) {
        let instances = currentInstances()
        let byKey = Dictionary(pods.map { (Self.key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let lost = state.withLock { s -> [Pod] in
            var lost: [Pod] = []
            for (podKey, uuids) in s.assignedUUIDs.sorted(by: { $0.key < $1.key }) {
                let gone = uuids.filter { instances[$0] == nil }.sorted()
                guard !gone.isEmpty else { continue }
                for id in gone { s.record(.destroyedWhileAllocated, "device \(id) of pod \(podKey) was destroyed while allocated") }
                if let pod = byKey[podKey], pod.status?.phase == "Running" {
                    s.record(.deviceLostWhileRunning, "pod \(podKey) lost MIG device(s) \(gone.joined(separator: ",")) while running")
                    lost.append(pod)
                }
            }
            let assigned = Set(s.assignedUUIDs.values.flatMap { $0 })
            var destroyedFree: [String: Int] = [:]
            for (id, profile) in s.lastInstances where instances[id] == nil && !assigned.contains(id) {
                destroyedFree[profile, default: 0] += 1
            }
            for (profile, destroyed) in destroyedFree.sorted(by: { $0.key < $1.key }) {
                let reserved = s.lastReserved[profile] ?? 0
                let spare = max(0, (s.lastFree[profile] ?? 0) - reserved)
                let hit = min(reserved, max(0, destroyed - spare))
                for i in 0..<hit {
                    s.record(.destroyedWhileReserved, "a \(profile) instance reserved by a bound pod was destroyed at \(RFC3339.format(now)) (\(i + 1) of \(hit))")
                }
            }
            return lost
        }
        for pod in lost {
            try fail(pod, reason: SafetyViolations.deviceLostReason, message: "a MIG device of this pod vanished while it ran (CUDA_ERROR_DEVICE_UNAVAILABLE)", now: now)
        }
    }

    /// Stops a pod on the node: phase `Failed` with `reason` and `message`, not ready, its devices freed.
    ///
    /// The status is written on the pod as stored now; a write lost to another writer (409) is
    /// read and made again, as the kubelet's status manager does, and a pod already gone needs none.
    func fail(_ pod: Pod, reason: String, message: String, now: Date) throws(APIStatus) {
        for attempt in 1...10 {
            do {
                var failed = try sim.get(Pod.self, namespace: pod.metadata.namespace, name: pod.name)
                var status = failed.status ?? PodStatus()
                status.phase = "Failed"
                status.reason = reason
                status.message = message
                status.conditions = [PodCondition(type: "Ready", status: "False", reason: "PodFailed", lastTransitionTime: now)]
                failed.status = status
                _ = try sim.update(failed, subresource: "status")
                break
            } catch where error.code == 404 {
                break
            } catch where error.code == 409 && attempt < 10 {
                continue
            }
        }
        release(pod)
    }

    /// Remembers, at the end of a step, NVML's devices, the free ones by profile, and what bound
    /// pods without an allocation need by profile (the devices reserved for them).
    func rememberReservations(_ pods: [Pod]) {
        let instances = currentInstances()
        state.withLock { s in
            let assigned = Set(s.assignedUUIDs.values.flatMap { $0 })
            var free: [String: Int] = [:]
            for (id, profile) in instances where !assigned.contains(id) { free[profile, default: 0] += 1 }
            var reserved: [String: Int] = [:]
            for pod in pods where pod.metadata.deletionTimestamp == nil && !(pod.status?.isTerminal ?? false) && s.assignments[Self.key(pod)] == nil {
                for (form, n) in (try? PodRequests(pod.spec).migDevices()) ?? [:] { reserved[form, default: 0] += n }
            }
            s.lastInstances = instances
            s.lastFree = free
            s.lastReserved = reserved
        }
    }
}

extension SimulatedNode.State {
    mutating func record(_ kind: SafetyViolations.Kind, _ detail: String) {
        guard !violations.contains(detail) else { return }
        violations.append(detail)
        violationLog.append((kind, detail))
        safety[kind] += 1
    }
}
