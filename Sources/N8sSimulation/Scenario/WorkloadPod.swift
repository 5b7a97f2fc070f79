import KubeCore

/// Annotation keys the simulator puts on the pods it creates (read by the simulated kubelet).
public enum SimulationAnnotations {
    /// How long the pod runs once started, as Go duration text (`90s`, `1h2m`).
    public static let runDuration = "sim.n8s.nebuly.ai/run-duration"
    /// When the simulator deletes the pod, from the simulation start, as Go duration text
    /// (trace replays: the trace's `deletion_time`, whether or not the pod ever ran).
    public static let deleteAt = "sim.n8s.nebuly.ai/delete-at"
    /// Label on every pod the simulator creates: the workload it came from.
    public static let workloadLabel = "sim.n8s.nebuly.ai/workload"
}

/// One pod of a simulated workload: when it arrives, what it asks, and when it ends.
public struct WorkloadPod: Sendable, Hashable {
    /// How a pod's life ends.
    public enum End: Sendable, Hashable {
        /// Runs this long once started, then succeeds (scenario pods).
        case runs(for: Duration)
        /// Deleted at this simulated time from the start, whatever its state (trace replays).
        case deleted(at: Duration)
        /// Never ends by itself.
        case never
    }

    public var name: String
    public var namespace: String
    /// Simulated time from the start of the simulation.
    public var arrival: Duration
    public var end: End
    public var priority: Int32
    /// Requests of its one container: `cpu`, `memory`, `nvidia.com/mig-<profile>`.
    public var resources: [String: Quantity]
    public var schedulerName: String?

    public init(name: String, namespace: String = "default", arrival: Duration, end: End, priority: Int32 = 0,
                resources: [String: Quantity], schedulerName: String? = nil) {
        self.name = name
        self.namespace = namespace
        self.arrival = arrival
        self.end = end
        self.priority = priority
        self.resources = resources
        self.schedulerName = schedulerName
    }

    /// The MIG profiles (resource form) and device counts it requests.
    public var migDevices: [String: Int] {
        var out: [String: Int] = [:]
        for (name, q) in resources where name.hasPrefix("nvidia.com/mig-") { out[String(name.dropFirst("nvidia.com/mig-".count))] = Int(q.value) }
        return out
    }

    /// The Pod the simulator creates: one container `main` whose requests equal its limits
    /// (extended resources must), priority in `spec.priority`, end in annotations.
    public func pod(workload: String = "scenario") -> Pod {
        var annotations: [String: String] = [:]
        switch end {
        case .runs(let d): annotations[SimulationAnnotations.runDuration] = DurationText.format(d)
        case .deleted(let at): annotations[SimulationAnnotations.deleteAt] = DurationText.format(at)
        case .never: break
        }
        var spec = PodSpec(containers: [Container(name: "main", requests: resources, limits: resources)], schedulerName: schedulerName)
        spec.priority = priority
        spec.restartPolicy = "Never"
        spec.terminationGracePeriodSeconds = 0
        return Pod(
            metadata: ObjectMeta(name: name, namespace: namespace, labels: [SimulationAnnotations.workloadLabel: workload], annotations: annotations),
            spec: spec
        )
    }
}
