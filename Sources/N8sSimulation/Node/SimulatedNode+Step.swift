import Foundation
import KubeCore
import KubeSim
import N8sCore
import N8sServices

extension SimulatedNode {
    /// One pass of the plugin and the kubelet (see the type's documentation).
    /// - Throws: the ``APIStatus`` of a failed KubeSim call.
    public func step() throws(APIStatus) {
        guard !state.withLock({ $0.isDown }) else { return }
        let now = clock.now
        let s = settings
        var node = try sim.get(Node.self, name: name)
        let paused = node.metadata.labels?[s.pauseLabelKey] == s.pausedValue
        let onNode = FieldSelector([.init(field: "spec.nodeName", value: name)])
        let allPods = try sim.list(Pod.self, fieldSelector: onNode)
        try finishDeletions(allPods, now: now)
        let pods = try sim.list(Pod.self, fieldSelector: onNode)
        releaseVanished(pods)
        let selector = Self.selector(s.pluginLabels)
        let plugins = pods.filter { $0.metadata.namespace == s.pluginNamespace && selector.matches($0.metadata.labels ?? [:]) }
        try managePlugin(plugins, paused: paused, now: now)
        let live = try sim.list(Pod.self, namespace: s.pluginNamespace, labelSelector: selector)
            .filter { $0.spec.nodeName == name && $0.status?.phase == "Running" && $0.metadata.deletionTimestamp == nil }
        let mutations = nvml.mutationCount
        state.withLock { s in
            if s.seenMutations != mutations {
                s.seenMutations = mutations
                s.reconfiguredAt = now
            }
        }
        register(live.first, now: now)
        try checkDevices(pods, now: now)
        try admit(try sim.list(Pod.self, fieldSelector: onNode), now: now)
        try publish(&node)
        rememberReservations(try sim.list(Pod.self, fieldSelector: onNode))
    }

    /// Removes pods whose graceful deletion is over, freeing their devices and processes.
    func finishDeletions(_ pods: [Pod], now: Date) throws(APIStatus) {
        let s = settings
        for pod in pods {
            guard let deadline = pod.metadata.deletionTimestamp else { continue }
            let grace = Double(pod.metadata.deletionGracePeriodSeconds ?? 0)
            let requested = deadline.addingTimeInterval(-grace)
            let isPlugin = pod.metadata.namespace == s.pluginNamespace && Self.selector(s.pluginLabels).matches(pod.metadata.labels ?? [:])
            let stop = min(grace, (isPlugin ? s.pluginStopDelay : s.podStopDelay).seconds)
            guard now >= requested.addingTimeInterval(stop) else { continue }
            release(pod)
            try sim.delete(Pod.self, namespace: pod.metadata.namespace, name: pod.name, options: DeleteOptions(gracePeriodSeconds: 0))
            if isPlugin { state.withLock { $0.pluginGoneAt = now } }
        }
    }

    /// A pod removed at once (force deletion) stops on the node too: its devices are freed.
    func releaseVanished(_ pods: [Pod]) {
        let present = Set(pods.map(Self.key))
        let gone = state.withLock { s in s.assignments.keys.filter { !present.contains($0) } }
        for key in gone { release(key: key) }
    }

    func release(_ pod: Pod) { release(key: Self.key(pod)) }

    /// Forgets the pod's devices and stops the processes on them.
    func release(key: String) {
        let uuids = state.withLock { s in
            s.admittedAt[key] = nil
            s.assignments[key] = nil
            return s.assignedUUIDs.removeValue(forKey: key) ?? []
        }
        for uuid in uuids { nvml.setProcesses(0, onDevice: uuid) }
    }

    /// The DaemonSet's part: no plugin pod while paused; a new one `pluginStartDelay` after the last left.
    func managePlugin(_ plugins: [Pod], paused: Bool, now: Date) throws(APIStatus) {
        let s = settings
        if paused {
            for p in plugins where p.metadata.deletionTimestamp == nil {
                _ = try sim.delete(Pod.self, namespace: p.metadata.namespace, name: p.name)
            }
            return
        }
        guard !plugins.contains(where: { $0.metadata.deletionTimestamp == nil }) else { return }
        // The DaemonSet controller replaces a deleted pod at once; it runs pluginStartDelay later.
        let n = state.withLock { s -> Int in
            s.pluginCounter += 1
            s.pluginGoneAt = nil
            return s.pluginCounter
        }
        var container = Container(name: "nvidia-device-plugin")
        container.unknownFields["image"] = "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"
        var pod = Pod(metadata: ObjectMeta(name: "nvidia-device-plugin-daemonset-\(name)-\(n)", namespace: s.pluginNamespace, labels: s.pluginLabels), spec: PodSpec(containers: [container], nodeName: name))
        pod.spec.terminationGracePeriodSeconds = 30
        pod.status = PodStatus(phase: "Pending")
        let created = try sim.create(Pod.self, pod)
        let crashLoop = state.withLock { st -> Double in
            var random = st.crashRandom ?? SplitMix64(seed: s.pluginCrashSeed)
            defer { st.crashRandom = random }
            var wait = 0.0
            // Each crash in a row waits out kubelet's CrashLoopBackOff: 10 s, doubling, at most 5 min.
            while s.pluginCrashShare > 0, Double(random.next() >> 11) / Double(UInt64(1) << 53) < s.pluginCrashShare, st.pluginCrashes < 10 {
                wait += min(300, 10 * pow(2, Double(st.pluginCrashes)))
                st.pluginCrashes += 1
                st.pluginCrashTotal += 1
            }
            st.pluginCrashes = 0
            return wait
        }
        state.withLock { $0.admittedAt[Self.key(created)] = now.addingTimeInterval(s.pluginStartDelay.seconds + crashLoop - s.podStartDelay.seconds) }
    }

    /// A host reboot (fault injection). Every container on the node stops: its workload pods fail
    /// with reason ``rebootReason`` (lost to the reboot, not to n8s: no safety count; a Job would
    /// run them again) and their devices are freed; the device plugin pod is gone with its
    /// registration; NVML's MIG instances are gone (MIG mode stays); the node is `NotReady` and
    /// the kubelet does nothing until ``bootCompleted(now:)``.
    public func reboot(now: Date) throws(APIStatus) {
        state.withLock { $0.isDown = true }
        try stopEverything(now: now)
        nvml.reboot()
        state.withLock { st in
            if st.registered != nil { st.registrationLog.append((now, false)) }
            st.registered = nil
            st.registeredPodUID = nil
            st.registeredUUIDs = [:]
            st.lastInstances = [:]
            st.lastFree = [:]
            st.lastReserved = [:]
            st.pluginGoneAt = now
        }
        try setReady(false, now: now)
    }

    /// The node is back from ``reboot(now:)``: pods bound to it while it was down (a scheduler
    /// that had not seen the reboot yet) fail as the rest did, as a kubelet that comes back
    /// without their device allocations rejects them; then it is `Ready` and the kubelet runs again.
    public func bootCompleted(now: Date) throws(APIStatus) {
        try stopEverything(now: now)
        try setReady(true, now: now)
        state.withLock { $0.isDown = false }
    }

    /// Fails every workload pod bound to the node (``rebootReason``) and removes the plugin pod.
    func stopEverything(now: Date) throws(APIStatus) {
        let s = settings
        let onNode = FieldSelector([.init(field: "spec.nodeName", value: name)])
        for pod in try sim.list(Pod.self, fieldSelector: onNode) where !(pod.status?.isTerminal ?? false) {
            if pod.metadata.namespace == s.pluginNamespace, Self.selector(s.pluginLabels).matches(pod.metadata.labels ?? [:]) {
                do {
                    _ = try sim.delete(Pod.self, namespace: pod.metadata.namespace, name: pod.name, options: DeleteOptions(gracePeriodSeconds: 0))
                } catch where error.code == 404 {}
                continue
            }
            try fail(pod, reason: Self.rebootReason, message: "the node rebooted; every container on it stopped", now: now)
            state.withLock { $0.podsLostToReboots += 1 }
        }
    }

    static let notReadyTaint = "node.kubernetes.io/not-ready"

    /// The pod status reason of pods failed by ``reboot(now:)``.
    public static let rebootReason = "NodeRebooted"

    /// Sets the `Ready` condition, and, as the node lifecycle controller does for a node that is
    /// not ready, the `node.kubernetes.io/not-ready:NoSchedule` taint (kube-scheduler's
    /// TaintToleration filter keeps pods off the node meanwhile).
    func setReady(_ ready: Bool, now: Date) throws(APIStatus) {
        // Agents and the partitioner write the same Node meanwhile: a lost race is read again.
        for attempt in 1...10 {
            do {
                return try writeReady(ready, now: now)
            } catch where error.code == 409 && attempt < 10 {
                continue
            }
        }
    }

    private func writeReady(_ ready: Bool, now: Date) throws(APIStatus) {
        var node = try sim.get(Node.self, name: name)
        var taints = (node.spec?.taints ?? []).filter { $0.key != Self.notReadyTaint }
        if !ready { taints.append(Taint(key: Self.notReadyTaint, effect: "NoSchedule")) }
        var spec = node.spec ?? NodeSpec()
        spec.taints = taints.isEmpty ? nil : taints
        node.spec = spec
        node = try sim.update(node)
        var status = node.status ?? NodeStatus()
        status.setCondition(NodeCondition(
            type: "Ready", status: ready ? "True" : "False", reason: ready ? "KubeletReady" : "NodeRebooting",
            message: ready ? "kubelet is posting ready status" : "the node is rebooting", lastTransitionTime: now))
        if !ready, var allocatable = status.allocatable {
            for key in allocatable.keys where key.hasPrefix(MIGProfile.resourcePrefix) { allocatable[key] = Quantity(0) }
            status.allocatable = allocatable
        }
        node.status = status
        _ = try sim.update(node, subresource: "status")
    }

    /// Registration: the plugin lists NVML's MIG devices once, when its pod starts running.
    func register(_ plugin: Pod?, now: Date) {
        guard let plugin else {
            state.withLock { s in
                if s.registered != nil { s.registrationLog.append((now, false)) }
                s.registered = nil
                s.registeredPodUID = nil
            }
            return
        }
        let uid = plugin.metadata.uid
        guard state.withLock({ $0.registeredPodUID != uid || $0.registered == nil }) else { return }
        // NVML is still creating instances: the plugin's device listing waits for it.
        let busy = state.withLock { s -> Bool in
            guard let at = s.reconfiguredAt else { return false }
            return now < at.addingTimeInterval(s.settings.migReconfiguration.seconds)
        }
        if busy { return }
        var devices: [String: [String]] = [:]
        var uuids: [String: String] = [:]
        let strategy = settings.deviceIDStrategy
        for (index, gpu) in nvml.gpus.enumerated() where gpu.migEnabled {
            for (migIndex, ci) in gpu.instances.flatMap({ gi in gi.computeInstances.map { (gi.profile, $0) } }).enumerated() {
                let id = strategy.deviceID(gpu: index, migIndex: migIndex, uuid: ci.1.migUUID)
                devices[MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: ci.0), default: []].append(id)
                uuids[id] = ci.1.migUUID
            }
        }
        state.withLock { s in
            if s.registered == nil { s.registrationLog.append((now, true)) }
            s.registered = devices
            s.registeredUUIDs = uuids
            s.registeredPodUID = uid
        }
    }
}

extension SimulatedNode {
    static func selector(_ labels: [String: String]) -> LabelSelector {
        LabelSelector(labels.sorted { $0.key < $1.key }.map { .init(key: $0.key, op: .equals, values: [$0.value]) })
    }
}
