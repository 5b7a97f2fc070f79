import KubeCore

/// A pod waiting for MIG devices, as the planner needs it.
public struct PendingPod: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// `spec.priority` (0 when absent); higher is planned first.
    public var priority: Int32
    /// Scheduling constraints (nodeSelector, affinity, tolerations) are read from here.
    public var spec: PodSpec
    public var requests: PodRequests
    /// MIG devices by profile in resource form (`1g.10gb`, `1g.10gb.me`) to count.
    public var devices: [String: Int]

    /// - Throws: ``RequestError`` when a device count is not whole.
    public init(_ pod: Pod) throws(RequestError) {
        namespace = pod.metadata.namespace ?? "default"
        name = pod.metadata.name ?? ""
        priority = pod.spec.priority ?? 0
        spec = pod.spec
        requests = PodRequests(pod.spec)
        devices = try requests.migDevices()
    }

    /// Why `pod` is not a partitioner candidate (design.md section 5), or `nil` when it is:
    /// unbound, `Pending`, `PodScheduled=False/Unschedulable` with a message reporting
    /// `Insufficient nvidia.com/mig-`, not nominated, not owned by a DaemonSet or Node, requesting a
    /// MIG device. Quota, reservation and plan-count checks belong to the partitioner service.
    public static func notCandidateReason(_ pod: Pod) -> String? {
        if let node = pod.spec.nodeName, !node.isEmpty { return "already bound to \(node)" }
        guard pod.status?.phase == "Pending" else { return "phase is not Pending" }
        guard let c = pod.status?.condition("PodScheduled"), c.status == "False", c.reason == "Unschedulable" else {
            return "not reported unschedulable (no PodScheduled=False/Unschedulable condition yet)"
        }
        guard (c.message ?? "").contains("Insufficient nvidia.com/mig-") else {
            return "reported unschedulable for another cause: \(c.message ?? "(no message)")"
        }
        if let n = pod.status?.nominatedNodeName, !n.isEmpty { return "nominated to \(n)" }
        if (pod.metadata.ownerReferences ?? []).contains(where: { $0.kind == "DaemonSet" || $0.kind == "Node" }) {
            return "owned by a DaemonSet or a Node"
        }
        if !PodRequests(pod.spec).requestsMIG { return "requests no nvidia.com/mig-* resource" }
        return nil
    }
}
