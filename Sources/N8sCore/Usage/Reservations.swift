import KubeCore

/// Devices reserved by pods bound to a node that the kubelet has not allocated yet (design.md
/// section 3: a device is used when a pod bound to the node has an unallocated request for its
/// profile; bound pods are admitted after binding, so their devices are reserved first).
///
/// One rule for the MIG agent, which knows the kubelet's allocations, and the planner, which
/// knows the agent's report: both count with ``outstanding(requested:covered:)`` and pick the
/// reserved instances with ``take(_:from:)``. Pure: no I/O, no clock.
public enum Reservations {
    /// The MIG devices `pods` request, by profile (NVIDIA name, e.g. `1g.5gb+me`): the pods that
    /// count are bound to the node and not terminal in the API (pending and terminating ones
    /// included). A pod whose MIG request is not a whole number of devices is skipped (the API
    /// server would have rejected it).
    public static func requested(by pods: [Pod]) -> [String: Int] {
        var out: [String: Int] = [:]
        for pod in pods where !(pod.status?.isTerminal ?? false) {
            for (profile, n) in migRequest(pod) { out[profile, default: 0] += n }
        }
        return out
    }

    /// One pod's MIG request by profile (NVIDIA name); empty for a terminal pod or one whose
    /// request is not a whole number of devices.
    public static func migRequest(_ pod: Pod) -> [String: Int] {
        guard !(pod.status?.isTerminal ?? false), let wanted = try? PodRequests(pod.spec).migDevices() else { return [:] }
        var out: [String: Int] = [:]
        for (form, n) in wanted where n > 0 { out[MIGAnnotations.nvidiaName(fromResourceForm: form), default: 0] += n }
        return out
    }

    /// Devices still owed to the pods, by profile: `requested − covered`, never negative; profiles
    /// with nothing owed are left out.
    /// - Parameters:
    ///   - requested: ``requested(by:)`` of the pods bound to the node.
    ///   - covered: devices of each profile already counted for those pods: for the agent, the
    ///     devices the kubelet allocated to them (at most each pod's request); for the planner,
    ///     the instances the agent's report shows used (the report already holds the
    ///     reservations the agent saw, so only pods bound since then add to it).
    public static func outstanding(requested: [String: Int], covered: [String: Int]) -> [String: Int] {
        var out: [String: Int] = [:]
        for (profile, n) in requested {
            let owed = n - (covered[profile] ?? 0)
            if owed > 0 { out[profile] = owed }
        }
        return out
    }

    /// A free instance (not used, offering a device) that a reservation may take.
    public struct Candidate: Sendable, Hashable {
        /// GPU index on the node.
        public var gpu: Int
        public var placed: PlacedInstance
        /// Taken before the others (the agent: the spec keeps this instance where it is).
        public var isPreferred: Bool

        public init(gpu: Int, placed: PlacedInstance, isPreferred: Bool = false) {
            self.gpu = gpu
            self.placed = placed
            self.isPreferred = isPreferred
        }
    }

    /// The instances the outstanding devices reserve: for each profile, `outstanding[profile]` of
    /// its candidates, preferred ones first (so a reservation never blocks a spec that keeps
    /// enough devices), then by lowest GPU index, then lowest start. When fewer candidates than
    /// that exist, all of them.
    public static func take(_ outstanding: [String: Int], from candidates: [Candidate]) -> Set<Candidate> {
        var out = Set<Candidate>()
        for (profile, n) in outstanding where n > 0 {
            let ordered = candidates.filter { $0.placed.profile == profile }.sorted {
                ($0.isPreferred ? 0 : 1, $0.gpu, $0.placed.start) < ($1.isPreferred ? 0 : 1, $1.gpu, $1.placed.start)
            }
            out.formUnion(ordered.prefix(n))
        }
        return out
    }
}
