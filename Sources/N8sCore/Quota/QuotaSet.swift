import Foundation
import KubeCore

/// Every quota of the cluster, with each namespace assigned to exactly one of them.
///
/// A pod's quota is the quota holding its namespace (docs/design.md section 6). The webhook keeps
/// a namespace in at most one quota; when two claim it anyway (a race between webhook checks), the
/// oldest wins (creation time, then ElasticQuota before CompositeElasticQuota, then
/// namespace/name), and the other is listed in ``conflicts`` for the operator's `Conflict`
/// condition. Each pod therefore counts in one quota at most.
public struct QuotaSet: Sendable {
    /// By id.
    public let quotas: [QuotaID: Quota]
    /// Namespace to the quota that holds it.
    public let owners: [String: QuotaID]
    /// Quotas that lost namespaces to older ones: the namespaces, each with its winner.
    public let conflicts: [QuotaID: [LostNamespace]]

    /// A namespace a quota claims but an older quota holds.
    public struct LostNamespace: Sendable, Hashable {
        public var namespace: String
        public var heldBy: QuotaID
    }

    public init(_ quotas: [Quota]) {
        var byID: [QuotaID: Quota] = [:]
        for q in quotas { byID[q.id] = q }
        var owners: [String: QuotaID] = [:]
        var conflicts: [QuotaID: [LostNamespace]] = [:]
        for q in byID.values.sorted(by: Quota.claimsBefore) {
            for namespace in q.namespaces {
                if let holder = owners[namespace] {
                    if holder != q.id { conflicts[q.id, default: []].append(LostNamespace(namespace: namespace, heldBy: holder)) }
                } else {
                    owners[namespace] = q.id
                }
            }
        }
        self.quotas = byID
        self.owners = owners
        self.conflicts = conflicts
    }

    public init(elastic: [ElasticQuota], composite: [CompositeElasticQuota]) {
        self.init(elastic.map(Quota.init) + composite.map(Quota.init))
    }

    /// The quota whose pods include those of `namespace`; `nil` when no quota holds it.
    public func quota(forNamespace namespace: String) -> Quota? {
        owners[namespace].flatMap { quotas[$0] }
    }

    /// The quota of `pod` (by its namespace).
    public func quota(of pod: Pod) -> Quota? { quota(forNamespace: pod.metadata.namespace ?? "") }

    /// Quotas in id order.
    public var sorted: [Quota] { quotas.values.sorted { $0.id < $1.id } }
}
