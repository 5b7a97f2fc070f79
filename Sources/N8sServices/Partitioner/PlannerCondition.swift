import Foundation
import KubeCore
import N8sCore

/// The node condition `N8sMigPlanner` (DESIGN.md section 3): whether the partitioner can plan a
/// labelled node, and if not, why (`UnknownModel`, `NoPlacementReport`, `Stalled`, ...).
public struct PlannerCondition: Sendable, Hashable {
    public static let type = "N8sMigPlanner"

    public var isPlannable: Bool
    /// UpperCamelCase reason, e.g. `Plannable`, `UnknownModel`, `Stalled`.
    public var reason: String
    public var message: String

    public init(isPlannable: Bool, reason: String, message: String) {
        self.isPlannable = isPlannable
        self.reason = reason
        self.message = message
    }

    /// The condition a labelled node should carry, or `nil` when the partitioner has nothing to
    /// say (not labelled, not Ready or cordoned: the node's own status says so).
    ///
    /// - Parameter stalledPlan: the plan id the agent has not echoed within `planAckTimeout`, if any.
    public static func desired(for view: NodeView, stalledPlan: String?, planAckTimeout: Duration) -> PlannerCondition? {
        guard view.isAutoMIGEnabled, view.isReady, !view.isCordoned else { return nil }
        if let stalledPlan {
            return PlannerCondition(
                isPlannable: false, reason: "Stalled",
                message: "the MIG agent has not echoed plan \(stalledPlan) within \(Int(planAckTimeout.seconds)) s; its pods were released and the plan is retried with backoff")
        }
        let nodeWide = view.unplannable.filter { ![.notLabelled, .notReady, .cordoned].contains($0) }
        if let first = nodeWide.first {
            return PlannerCondition(isPlannable: false, reason: first.conditionReason, message: nodeWide.map(\.description).joined(separator: "; "))
        }
        let gpuReasons = view.gpus.compactMap { g in g.unplannable.map { "GPU \(g.index): \($0.description)" } }
        let message = gpuReasons.isEmpty ? "every GPU can be planned" : "planned except " + gpuReasons.joined(separator: "; ")
        return PlannerCondition(isPlannable: true, reason: "Plannable", message: message)
    }

    /// `true` when `node` already carries this condition (status, reason and message).
    public func isCurrent(on node: Node) -> Bool {
        guard let c = node.status?.condition(Self.type) else { return false }
        return c.status == (isPlannable ? "True" : "False") && c.reason == reason && c.message == message
    }

    /// A strategic merge patch for `nodes/status` that sets only this condition (conditions merge
    /// by `type`, so the kubelet's and the agent's conditions are untouched).
    public func statusPatch(now: Date) -> JSONValue {
        let stamp = JSONValue.string(RFC3339.format(now))
        return .object([
            "status": .object([
                "conditions": .array([
                    .object([
                        "type": .string(Self.type),
                        "status": .string(isPlannable ? "True" : "False"),
                        "reason": .string(reason),
                        "message": .string(message),
                        "lastHeartbeatTime": stamp,
                        "lastTransitionTime": stamp,
                    ])
                ])
            ])
        ])
    }
}
