import Foundation
import KubeCore

/// Identifies a quota object: kind, namespace and name. Orders by kind (ElasticQuota first),
/// then namespace and name.
public struct QuotaID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Comparable {
        case elastic = "ElasticQuota"
        case composite = "CompositeElasticQuota"

        public static func < (lhs: Self, rhs: Self) -> Bool { lhs == .elastic && rhs == .composite }
    }

    public var kind: Kind
    public var namespace: String
    public var name: String

    public init(_ kind: Kind, namespace: String, name: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// `ElasticQuota team-a/gpus`, as messages name a quota.
    public var description: String { "\(kind.rawValue) \(namespace)/\(name)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.kind, lhs.namespace, lhs.name) < (rhs.kind, rhs.namespace, rhs.name)
    }
}

/// A quota as the arithmetic sees it, of either kind: the namespaces it claims, `min` and `max`.
///
/// Only resources named in `min` or `max` are counted (``countedResources``). A missing `min`
/// entry is 0; a missing `max` (the whole map or one entry) is unlimited, never 0.
public struct Quota: Sendable, Hashable {
    public var id: QuotaID
    /// Namespaces whose pods it counts (its own for an ElasticQuota; `spec.namespaces` for a composite).
    public var namespaces: [String]
    public var min: [String: Quantity]
    /// `nil`: no caps at all.
    public var max: [String: Quantity]?
    /// Orders claims on a namespace: the oldest quota wins it. `nil` sorts last.
    public var creationTimestamp: Date?

    public init(id: QuotaID, namespaces: [String], min: [String: Quantity] = [:], max: [String: Quantity]? = nil, creationTimestamp: Date? = nil) {
        self.id = id
        self.namespaces = namespaces
        self.min = min
        self.max = max
        self.creationTimestamp = creationTimestamp
    }

    public init(_ quota: ElasticQuota) {
        let namespace = quota.metadata.namespace ?? ""
        self.init(id: QuotaID(.elastic, namespace: namespace, name: quota.name), namespaces: [namespace],
                  min: quota.spec.min ?? [:], max: quota.spec.max, creationTimestamp: quota.metadata.creationTimestamp)
    }

    public init(_ quota: CompositeElasticQuota) {
        self.init(id: QuotaID(.composite, namespace: quota.metadata.namespace ?? "", name: quota.name),
                  namespaces: quota.spec.namespaces, min: quota.spec.min ?? [:], max: quota.spec.max,
                  creationTimestamp: quota.metadata.creationTimestamp)
    }

    /// Resources named in `min` or `max`: the only ones the quota limits and reports.
    public var countedResources: Set<String> { Set(min.keys).union(max.map { Array($0.keys) } ?? []) }

    /// Guaranteed amount of `resource`; zero when `min` does not name it.
    public func minimum(of resource: String) -> Quantity { min[resource] ?? .zero }

    /// Cap of `resource`; `nil` (unlimited) when `max` does not name it.
    public func maximum(of resource: String) -> Quantity? { max?[resource] }

    /// The amounts of `charge` that this quota counts, with zero for counted resources the charge
    /// does not name.
    public func counted(_ charge: [String: Quantity]) -> [String: Quantity] {
        var result: [String: Quantity] = [:]
        for resource in countedResources { result[resource] = charge[resource] ?? .zero }
        return result
    }

    /// Claim order: creation time, then ElasticQuota before CompositeElasticQuota, then namespace and name.
    static func claimsBefore(_ a: Quota, _ b: Quota) -> Bool {
        let ta = a.creationTimestamp ?? .distantFuture
        let tb = b.creationTimestamp ?? .distantFuture
        return ta != tb ? ta < tb : a.id < b.id
    }
}
