import N8sCore

/// Why a pod fits no node, per node, and the message kube-scheduler would write for it.
///
/// Source: kube-scheduler `framework.FitError.Error()` (pkg/scheduler/framework/types.go) and
/// the DefaultPreemption post-filter (pkg/scheduler/framework/preemption). The message is
/// `0/<N> nodes are available: <histogram>. preemption: 0/<N> nodes are available: <histogram>.`
/// where a histogram is `"<count> <reason>"` entries sorted as strings (Go `sort.Strings`, so
/// `"10 x"` sorts before `"3 y"`) and joined with `", "`. The simulator never preempts: in the
/// preemption part a node failing only on resources counts as `No preemption victims found for
/// incoming pod`, and a node failing a predicate preemption cannot change (node affinity,
/// taints, cordon, an extender's unresolvable verdict) as `Preemption is not helpful for scheduling`.
public struct FitDiagnosis: Sendable, Hashable {
    /// The verdict on one node.
    public struct NodeVerdict: Sendable, Hashable {
        /// kube-scheduler's reason strings, e.g. `Insufficient nvidia.com/mig-1g.10gb`.
        public var reasons: [String]
        /// `true` when preemption cannot help on this node (`UnschedulableAndUnresolvable`).
        public var isUnresolvable: Bool

        public init(reasons: [String], isUnresolvable: Bool) {
            self.reasons = reasons
            self.isUnresolvable = isUnresolvable
        }
    }

    /// Nodes considered (the `N` of `0/N`).
    public var nodeCount: Int
    /// Node name to verdict, for every node that was rejected.
    public var verdicts: [String: NodeVerdict]

    public init(nodeCount: Int, verdicts: [String: NodeVerdict] = [:]) {
        self.nodeCount = nodeCount
        self.verdicts = verdicts
    }

    public static let preemptionNotHelpful = "Preemption is not helpful for scheduling"
    public static let noPreemptionVictims = "No preemption victims found for incoming pod"
    /// kube-scheduler's `ErrNoNodesAvailable` text.
    public static let noNodesAvailable = "no nodes available to schedule pods"

    /// The `PodScheduled=False` message, in kube-scheduler's format.
    public var message: String {
        if nodeCount == 0 { return Self.noNodesAvailable }
        var reasons: [String: Int] = [:]
        var preemption: [String: Int] = [:]
        for verdict in verdicts.values {
            for reason in verdict.reasons { reasons[reason, default: 0] += 1 }
            preemption[verdict.isUnresolvable ? Self.preemptionNotHelpful : Self.noPreemptionVictims, default: 0] += 1
        }
        var text = "0/\(nodeCount) nodes are available:"
        let histogram = Self.histogram(reasons)
        if !histogram.isEmpty { text += " \(histogram)." }
        text += " preemption: 0/\(verdicts.count) nodes are available:"
        let preemptionHistogram = Self.histogram(preemption)
        if !preemptionHistogram.isEmpty { text += " \(preemptionHistogram)." }
        return text
    }

    /// `"<count> <reason>"` entries sorted byte-wise (as Go's `sort.Strings`), joined with `", "`.
    static func histogram(_ counts: [String: Int]) -> String { FitFailure.histogram(counts) }
}
