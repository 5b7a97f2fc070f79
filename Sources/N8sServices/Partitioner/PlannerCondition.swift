import Foundation
import KubeCore
import N8sCore

/// The node condition `N8sMigPlanner` (design.md section 3): whether the partitioner can plan a
/// labelled node, and if not, why (`UnknownModel`, `NoPlacementReport`, `Stalled`, ...).
public struct PlannerCondition: Sendable, Hashable {
    public static let type = "N8sMigPlanner"
    /// Reason while the node's MIG agent says it cannot act (``AgentReadiness``).
    public static let agentNotReady = "AgentNotReady"
    /// Reason while the node backs off after the agent did not apply a plan.
    public static let planFailed = "PlanFailed"
    /// Reason (status True: the node is still planned) while the agent reports more free
    /// instances of a profile than the node advertises; those instances are held back.
    public static let notAdvertised = "MigDevicesNotAdvertised"
    /// How long a disagreement lasts before the condition says so: the agent's report and the
    /// device plugin's allocatable are written by two processes, so they differ for a moment after
    /// every change.
    public static let notAdvertisedGrace: Duration = .seconds(30)

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
    /// Precedence: the agent cannot act (`AgentNotReady`), then `Stalled`, then `PlanFailed`
    /// (backing off after a failed plan), then the node's own reasons, then a disagreement between
    /// the agent's report and the node's allocatable (`MigDevicesNotAdvertised`, True: the node is
    /// planned without the instances that disagree).
    ///
    /// - Parameters:
    ///   - agent: why the node's MIG agent cannot act (``AgentReadiness``), if it cannot.
    ///   - stalledPlan: the plan id the agent has not echoed within `planAckTimeout`, if any.
    ///   - backoff: the failed plan and when the node is planned again, while it backs off.
    ///   - disagreements: the node's ``Plan/Disagreement``s (``PartitionPlanner/disagreements(nodes:pods:)``).
    public static func desired(
        for view: NodeView, agent: AgentReadiness.Block? = nil, stalledPlan: String?, planAckTimeout: Duration,
        backoff: (planID: String, until: Date)? = nil, disagreements: [Plan.Disagreement] = []
    ) -> PlannerCondition? {
        guard view.isAutoMIGEnabled, view.isReady, !view.isCordoned else { return nil }
        if let agent {
            return PlannerCondition(
                isPlannable: false, reason: agentNotReady,
                message: "\(agent); n8s plans nothing on this node until that condition changes")
        }
        if let stalledPlan {
            return PlannerCondition(
                isPlannable: false, reason: "Stalled",
                message: "the MIG agent has not echoed plan \(stalledPlan) within \(Int(planAckTimeout.seconds)) s; its pods were released and the plan is retried with backoff")
        }
        if let backoff {
            return PlannerCondition(
                isPlannable: false, reason: planFailed,
                message: "\(failedPlanPrefix(backoff.planID)) the node is planned again from \(RFC3339.format(backoff.until)) (backoff doubles per failure in a row)")
        }
        let nodeWide = view.unplannable.filter { ![.notLabelled, .notReady, .cordoned].contains($0) }
        if let first = nodeWide.first {
            return PlannerCondition(isPlannable: false, reason: first.conditionReason, message: nodeWide.map(\.description).joined(separator: "; "))
        }
        if !disagreements.isEmpty {
            return PlannerCondition(
                isPlannable: true, reason: notAdvertised,
                message: disagreements.map(\.description).joined(separator: "; ") + "; its free instances are held back until they agree")
        }
        let gpuReasons = view.gpus.compactMap { g in g.unplannable.map { "GPU \(g.index): \($0.description)" } }
        let message = gpuReasons.isEmpty ? "every GPU can be planned" : "planned except " + gpuReasons.joined(separator: "; ")
        return PlannerCondition(isPlannable: true, reason: "Plannable", message: message)
    }

    /// How a `PlanFailed` message begins, naming its plan.
    static func failedPlanPrefix(_ planID: String) -> String { "the MIG agent did not apply plan \(planID);" }

    /// When an earlier term (or replica) started backing `node` off for `planID`: the
    /// `lastTransitionTime` of its `N8sMigPlanner` condition when that is `PlanFailed` for this
    /// very plan; `nil` otherwise.
    static func backoffStart(of planID: String, on node: Node) -> Date? {
        guard let c = node.status?.condition(type), c.status == "False", c.reason == planFailed,
            c.message?.hasPrefix(failedPlanPrefix(planID)) == true
        else { return nil }
        return c.lastTransitionTime
    }

    /// `true` when `node` already carries this condition (status, reason and message).
    public func isCurrent(on node: Node) -> Bool {
        guard let c = node.status?.condition(Self.type) else { return false }
        return c.status == (isPlannable ? "True" : "False") && c.reason == reason && c.message == message
    }

    /// A JSON Patch for `nodes/status` that sets only this condition, refused (HTTP 422) when the
    /// node no longer carries what `node` (as last seen) did, so a deposed leader or another writer
    /// cannot overwrite a newer condition:
    ///
    /// - where `node` had the condition at index `i`: `test` of its type, status, reason and message
    ///   at `i`, then `replace` of entry `i`;
    /// - where it had none: `test` of `metadata.resourceVersion` (the node is unchanged since it
    ///   was read), then `add` at the end of the list (or of the list itself).
    ///
    /// Other conditions (the kubelet's, the agent's) are untouched. `lastTransitionTime` changes
    /// only when the status does.
    public func fencedPatch(on node: Node, now: Date) -> JSONPatch {
        let conditions = node.status?.conditions ?? []
        let old = conditions.firstIndex { $0.type == Self.type }
        let transition = old.flatMap { i in conditions[i].status == statusText ? conditions[i].lastTransitionTime : nil } ?? now
        let value = JSONValue.object([
            "type": .string(Self.type),
            "status": .string(statusText),
            "reason": .string(reason),
            "message": .string(message),
            "lastHeartbeatTime": .string(RFC3339.format(now)),
            "lastTransitionTime": .string(RFC3339.format(transition)),
        ])
        if let i = old {
            let seen = conditions[i]
            let at = { (field: String) in JSONPatch.pointer("status", "conditions", String(i), field) }
            return JSONPatch([
                .test(at("type"), .string(Self.type)),
                .test(at("status"), .string(seen.status)),
                .test(at("reason"), seen.reason.map { .string($0) } ?? .null),
                .test(at("message"), seen.message.map { .string($0) } ?? .null),
                .replace(JSONPatch.pointer("status", "conditions", String(i)), value),
            ])
        }
        let version = JSONPatch.Operation.test(
            JSONPatch.pointer("metadata", "resourceVersion"), node.metadata.resourceVersion.map { .string($0) } ?? .null)
        if node.status == nil {
            return JSONPatch([version, .add(JSONPatch.pointer("status"), .object(["conditions": .array([value])]))])
        }
        if node.status?.conditions == nil {
            return JSONPatch([version, .add(JSONPatch.pointer("status", "conditions"), .array([value]))])
        }
        return JSONPatch([version, .add(JSONPatch.pointer("status", "conditions", "-"), value)])
    }

    private var statusText: String { isPlannable ? "True" : "False" }
}
