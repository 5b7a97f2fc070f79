import KubeCore
import N8sCore

/// What the pods already on a node (bound, or assumed by the scheduler) request from it.
public struct NodeUsage: Sendable, Hashable {
    /// Resource name to the sum of requests.
    public var requested: [String: Quantity] = [:]
    /// Pods counted.
    public var pods = 0

    public init() {}

    public mutating func add(_ requests: PodRequests) {
        for (name, amount) in requests.resources { requested[name] = (requested[name] ?? .zero) + amount }
        pods += 1
    }
}

/// The scheduler's filter step on one node: N8sCore's ``NodeFit`` predicates (not re-implemented
/// here), turned into kube-scheduler's reason strings.
///
/// Order as kube-scheduler's default filter plugins stop at the first failing plugin: the static
/// predicates (cordon, node selector / affinity, taints) give one reason and are unresolvable by
/// preemption; otherwise NodeResourcesFit reports every insufficient resource (and
/// `Too many pods`), resolvable by preemption.
public enum SchedulingPredicates {
    /// - Parameters:
    ///   - requests: the pod's effective requests (``PodRequests``).
    ///   - usage: what pods already on the node request; absent `pods` allocatable means no pod limit.
    /// - Returns: `nil` when the pod fits, else the node's verdict.
    public static func verdict(for spec: PodSpec, requests: PodRequests, on node: Node, usage: NodeUsage) -> FitDiagnosis.NodeVerdict? {
        if let failure = NodeFit.staticFailure(of: spec, on: node) {
            return FitDiagnosis.NodeVerdict(reasons: [reason(failure)], isUnresolvable: true)
        }
        let allocatable = node.status?.allocatable ?? [:]
        var free: [String: Quantity] = [:]
        for (name, amount) in allocatable { free[name] = amount - (usage.requested[name] ?? .zero) }
        let freePods = allocatable["pods"].map { Int(clamping: $0.value) - usage.pods } ?? Int.max
        var reasons: [String] = []
        if let failure = NodeFit.resourceFailure(PodRequests(resources: [:]), free: free, freePods: freePods) {
            reasons.append(reason(failure))
        }
        for (name, amount) in requests.resources.sorted(by: { $0.key < $1.key }) {
            if let failure = NodeFit.resourceFailure(PodRequests(resources: [name: amount]), free: free, freePods: 1) {
                reasons.append(reason(failure))
            }
        }
        return reasons.isEmpty ? nil : FitDiagnosis.NodeVerdict(reasons: reasons, isUnresolvable: false)
    }

    /// kube-scheduler's reason string for one ``FitFailure`` (``FitFailure/schedulerReason``).
    public static func reason(_ failure: FitFailure) -> String { failure.schedulerReason }

    /// kube-scheduler's default scoring (NodeResourcesFit `LeastAllocated` over CPU and memory,
    /// equal weights): the share of allocatable left free after placing the pod, 0...1, higher is
    /// better. Resources the node does not declare score 0.
    public static func leastAllocatedScore(requests: PodRequests, on node: Node, usage: NodeUsage) -> Double {
        let allocatable = node.status?.allocatable ?? [:]
        var total = 0.0
        for name in ["cpu", "memory"] {
            guard let capacity = allocatable[name], capacity > .zero else { continue }
            let used = (usage.requested[name] ?? .zero) + requests[name]
            total += max(0, Double(capacity.nanos - used.nanos) / Double(capacity.nanos))
        }
        return total / 2
    }
}
