import KubeCore

/// The planner's input assembled from a cluster's nodes and pods (design.md section 5): one rule,
/// used by the partitioner (from its caches) and by `n8s plan` (from a snapshot file or a live
/// cluster), so that the dry run answers the partitioner's question.
///
/// Rule:
/// - Nodes: labelled `n8s.nebuly.ai/auto-mig-enabled=true`, Ready, not cordoned, not stalled.
///   Labelled nodes left out are listed in ``nodesNotConsidered``; the planner itself skips, with
///   a reason, nodes (or GPUs) it cannot plan (no placement report, unknown model, MIG disabled).
/// - Pods that hold resources on a node: every pod with `spec.nodeName` that is not Succeeded or
///   Failed (pending and terminating included); pods nominated to a node (`nominatedNodeName`)
///   as if bound there; pods reserved by an in-flight plan as if bound to their planned node, so
///   the devices made for them are neither given away nor destroyed.
/// - Candidates: unbound pods that ``PendingPod/notCandidateReason(_:)`` accepts, are not being
///   deleted and are not reserved. Every other unbound, non-terminal pod that asks for a MIG
///   device is listed in ``notConsidered`` with the reason.
public struct PlanningSnapshot: Sendable {
    /// Nodes to plan, sorted by name.
    public var nodes: [Node]
    /// Labelled nodes left out, with why, sorted by name.
    public var nodesNotConsidered: [(node: String, reason: String)]
    /// Pods that count against their node (``Pod/spec`` `nodeName` set to the node they hold).
    public var pods: [Pod]
    /// Pods to plan for, sorted by namespace and name.
    public var candidates: [Pod]
    /// Unbound MIG pods left out, with why, sorted by namespace and name.
    public var notConsidered: [(pod: ObjectKey, reason: String)]

    /// - Parameters:
    ///   - stalled: nodes whose agent has not echoed the last plan in time (not planned).
    ///   - excluded: other nodes the caller leaves out, with why (an agent that cannot act, a node
    ///     backing off after a failed plan).
    ///   - reservations: pods reserved by in-flight plans, to the node planned for them.
    public init(
        nodes: [Node], pods: some Sequence<Pod>, stalled: Set<String> = [], excluded: [String: String] = [:],
        reservations: [ObjectKey: String] = [:]
    ) {
        var planned: [Node] = []
        var skipped: [(node: String, reason: String)] = []
        for node in nodes.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            let name = node.metadata.name ?? ""
            guard node.metadata.labels?[MIGAnnotations.autoMIGEnabled] == "true" else { continue }
            if !node.isReady {
                skipped.append((name, UnplannableReason.notReady.description))
            } else if node.isUnschedulable {
                skipped.append((name, UnplannableReason.cordoned.description))
            } else if stalled.contains(name) {
                skipped.append((name, "stalled: its MIG agent has not echoed the last plan"))
            } else if let reason = excluded[name] {
                skipped.append((name, reason))
            } else {
                planned.append(node)
            }
        }
        self.nodes = planned
        self.nodesNotConsidered = skipped
        var holding: [Pod] = []
        var candidates: [Pod] = []
        var left: [(pod: ObjectKey, reason: String)] = []
        for pod in pods where !(pod.status?.isTerminal ?? false) {
            if let node = pod.spec.nodeName, !node.isEmpty {
                holding.append(pod)
                continue
            }
            var bound = pod
            if let nominated = pod.status?.nominatedNodeName, !nominated.isEmpty {
                bound.spec.nodeName = nominated
                holding.append(bound)
            } else if let node = reservations[pod.key] {
                bound.spec.nodeName = node
                holding.append(bound)
            }
            guard PodRequests(pod.spec).requestsMIG else { continue }
            if pod.metadata.isBeingDeleted {
                left.append((pod.key, "terminating"))
            } else if let node = reservations[pod.key] {
                left.append((pod.key, "reserved by an in-flight plan on node \(node)"))
            } else if let reason = PendingPod.notCandidateReason(pod) {
                left.append((pod.key, reason))
            } else {
                candidates.append(pod)
            }
        }
        self.pods = holding
        self.candidates = candidates.sorted { $0.key < $1.key }
        self.notConsidered = left.sorted { $0.pod < $1.pod }
    }
}
