import Foundation
import KubeCore
import N8sCore

/// Which watch events can change the partitioner's decisions. GPU Feature Discovery rewrites
/// `nvidia.com/gfd.timestamp` on every pass and the kubelet renews heartbeats: such updates must
/// cause no work (cases README, real data point 8).
public enum ChangeRelevance {
    /// Labels that change constantly and that no scheduling decision reads.
    public static let ignoredLabels: Set<String> = ["nvidia.com/gfd.timestamp"]

    /// The parts of a Node the partitioner reads: labels (selectors and affinity may name any,
    /// less ``ignoredLabels``), n8s annotations, taints, `spec.unschedulable`, allocatable, the
    /// Ready status and the MIG agent's condition (not their heartbeat times).
    public struct NodeFacts: Sendable, Hashable {
        var labels: [String: String]
        var annotations: [String: String]
        var taints: [Taint]
        var unschedulable: Bool
        var allocatable: [String: Quantity]
        var isReady: Bool
        var isDeleting: Bool
        /// The MIG agent's condition (status, reason, message; not its times): ``AgentReadiness``.
        var agent: [String?]

        public init(_ node: Node) {
            labels = (node.metadata.labels ?? [:]).filter { !ChangeRelevance.ignoredLabels.contains($0.key) }
            annotations = (node.metadata.annotations ?? [:]).filter { $0.key.hasPrefix(MIGAnnotations.prefix) }
            taints = node.spec?.taints ?? []
            unschedulable = node.isUnschedulable
            allocatable = node.status?.allocatable ?? [:]
            isReady = node.isReady
            isDeleting = node.metadata.isBeingDeleted
            let c = node.status?.condition(AgentReadiness.conditionType)
            agent = [c?.status, c?.reason, c?.message]
        }
    }

    /// The parts of a Pod the partitioner reads: binding, phase, the PodScheduled verdict,
    /// nomination, deletion, identity, requests and scheduling constraints.
    public struct PodFacts: Sendable, Hashable {
        var uid: String?
        var nodeName: String?
        var phase: String?
        var scheduled: String?
        var reason: String?
        var lacksMIG: Bool
        var nominated: String?
        var isDeleting: Bool
        var requests: [String: Quantity]
        var nodeSelector: [String: String]?
        var affinity: Affinity?
        var tolerations: [Toleration]?
        var priority: Int32?

        public init(_ pod: Pod) {
            uid = pod.metadata.uid
            nodeName = pod.spec.nodeName
            phase = pod.status?.phase
            let c = pod.status?.condition("PodScheduled")
            scheduled = c?.status
            reason = c?.reason
            lacksMIG = (c?.message ?? "").contains("Insufficient nvidia.com/mig-")
            nominated = pod.status?.nominatedNodeName
            isDeleting = pod.metadata.isBeingDeleted
            requests = PodRequests(pod.spec).resources
            nodeSelector = pod.spec.nodeSelector
            affinity = pod.spec.affinity
            tolerations = pod.spec.tolerations
            priority = pod.spec.priority
        }
    }

    /// `true` when going from `old` to `new` can change a plan (any add or delete does).
    public static func matters(old: Node?, new: Node?) -> Bool {
        guard let old, let new else { return true }
        return NodeFacts(old) != NodeFacts(new)
    }

    /// `true` when going from `old` to `new` can change the batch or a plan.
    public static func matters(old: Pod?, new: Pod?) -> Bool {
        guard let old, let new else { return true }
        return PodFacts(old) != PodFacts(new)
    }
}
