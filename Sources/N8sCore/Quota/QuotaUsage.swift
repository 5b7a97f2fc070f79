import Foundation
import KubeCore

/// What every quota uses, from a set of pods: the input of `status.used`, of the capacity label,
/// of admission and of fair sharing.
///
/// Pure: build it from the quotas, the pods and the rates; every sum is exact and checked.
public struct QuotaUsage: Sendable {
    /// One pod counted in a quota.
    public struct Member: Sendable, Hashable {
        public var pod: ObjectKey
        public var creationTimestamp: Date?
        /// `spec.priority`, 0 when absent.
        public var priority: Int32
        /// The pod's charge over the quota's counted resources (zero included).
        public var charge: [String: Quantity]
    }

    public let quotas: QuotaSet
    /// By quota: every counted resource, zero included (what `status.used` shows).
    public private(set) var used: [QuotaID: [String: Quantity]]
    /// By quota: the pods counted, in no particular order.
    public private(set) var members: [QuotaID: [Member]]

    /// - Parameters:
    ///   - pods: any pods; those ``UsageRule/counts(_:)`` rejects, or in a namespace no quota holds,
    ///     are ignored. A pod listed twice (same namespace and name) counts once.
    ///   - rule: ``UsageRule/admission`` for the scheduler, ``UsageRule/running`` for the operator.
    /// - Throws: ``QuotaError`` for a counted pod whose requests cannot be charged, or a sum that
    ///   overflows (never a wrong total).
    public init(quotas: QuotaSet, pods: [Pod], rates: GPUMemoryRates, rule: UsageRule) throws(QuotaError) {
        var used: [QuotaID: [String: Quantity]] = [:]
        for q in quotas.quotas.values { used[q.id] = q.counted([:]) }
        self.init(quotas: quotas, used: used, members: [:])
        var seen = Set<ObjectKey>()
        try count(pods, rates: rates, rule: rule) { seen.insert($1.key).inserted }
    }

    /// The usage with `pods` counted as well (the extender's assumed pods on top of the bound
    /// ones), by the same rule as ``init(quotas:pods:rates:rule:)``; a pod already counted (same
    /// namespace and name) is not counted again.
    /// - Throws: ``QuotaError`` as ``init(quotas:pods:rates:rule:)``.
    public func adding(_ pods: [Pod], rates: GPUMemoryRates, rule: UsageRule) throws(QuotaError) -> QuotaUsage {
        guard !pods.isEmpty else { return self }
        var result = self
        var added = Set<ObjectKey>()
        try result.count(pods, rates: rates, rule: rule) { quota, pod in
            added.insert(pod.key).inserted && !(members[quota]?.contains { $0.pod == pod.key } ?? false)
        }
        return result
    }

    /// Adds the charge of every pod `rule` counts in a quota, when `isNew(quota, pod)` says so.
    private mutating func count(
        _ pods: [Pod], rates: GPUMemoryRates, rule: UsageRule, isNew: (QuotaID, Pod) -> Bool
    ) throws(QuotaError) {
        for pod in pods where rule.counts(pod) {
            guard let quota = quotas.quota(of: pod), isNew(quota.id, pod) else { continue }
            let charge = quota.counted(try rates.charge(of: pod))
            try QuotaMath.add(charge, into: &used[quota.id, default: [:]], context: "\(quota.id)")
            members[quota.id, default: []].append(
                Member(pod: pod.key, creationTimestamp: pod.metadata.creationTimestamp, priority: pod.spec.priority ?? 0, charge: charge))
        }
    }

    init(quotas: QuotaSet, used: [QuotaID: [String: Quantity]], members: [QuotaID: [Member]]) {
        self.quotas = quotas
        self.used = used
        self.members = members
    }

    /// The usage once the counted pods `gone` have left (evicted or preempted): their charges
    /// subtracted, exactly. Keys not counted here are ignored.
    /// - Throws: ``QuotaError/overflow(resource:context:)`` (cannot happen for sums this usage holds).
    public func removing(_ gone: Set<ObjectKey>) throws(QuotaError) -> QuotaUsage {
        guard !gone.isEmpty else { return self }
        var used = self.used
        var members = self.members
        for (id, list) in self.members {
            let leaving = list.filter { gone.contains($0.pod) }
            guard !leaving.isEmpty else { continue }
            members[id] = list.filter { !gone.contains($0.pod) }
            for m in leaving {
                for (resource, amount) in m.charge {
                    let left = try QuotaMath.subtract(used[id]?[resource] ?? .zero, amount, resource: resource, context: "\(id)")
                    used[id]?[resource] = left
                }
            }
        }
        return QuotaUsage(quotas: quotas, used: used, members: members)
    }

    /// What `quota` uses of `resource`; zero when it does not count it.
    public func used(_ resource: String, by quota: QuotaID) -> Quantity { used[quota]?[resource] ?? .zero }

    /// Amounts over `min` (borrowed), for the resources where `quota` uses more than its `min`.
    public func borrowed(by quota: QuotaID) throws(QuotaError) -> [String: Quantity] {
        guard let q = quotas.quotas[quota] else { return [:] }
        var result: [String: Quantity] = [:]
        for (resource, amount) in used[quota] ?? [:] {
            let over = try QuotaMath.excess(amount, over: q.minimum(of: resource), resource: resource, context: "\(quota)")
            if over > .zero { result[resource] = over }
        }
        return result
    }

    /// Over every quota that counts `resource`: the sum of `min` and the sum of `used`.
    func totals(of resource: String) throws(QuotaError) -> (min: Quantity, used: Quantity, unusedMin: Quantity) {
        var min = Quantity.zero
        var usedSum = Quantity.zero
        var unused = Quantity.zero
        for q in quotas.quotas.values where q.countedResources.contains(resource) {
            let m = q.minimum(of: resource)
            let u = used(resource, by: q.id)
            min = try QuotaMath.add(min, m, resource: resource, context: "all quotas")
            usedSum = try QuotaMath.add(usedSum, u, resource: resource, context: "all quotas")
            unused = try QuotaMath.add(unused, try QuotaMath.excess(m, over: u, resource: resource, context: "\(q.id)"), resource: resource, context: "all quotas")
        }
        return (min, usedSum, unused)
    }
}

extension QuotaUsage {
    /// A pod that `rule` counts in a quota but whose requests cannot be charged.
    public struct Unchargeable: Sendable {
        public var pod: Pod
        public var quota: QuotaID
        public var error: QuotaError
    }

    /// Splits `pods` into those a ``QuotaUsage`` can take and the counted ones whose requests
    /// cannot be charged (half a GPU): callers leave those out and say so, rather than compute no
    /// usage at all. Pods the rule does not count, or outside every quota, are kept.
    public static func chargeable(_ pods: [Pod], quotas: QuotaSet, rates: GPUMemoryRates, rule: UsageRule) -> (pods: [Pod], refused: [Unchargeable]) {
        var kept: [Pod] = []
        var refused: [Unchargeable] = []
        kept.reserveCapacity(pods.count)
        for pod in pods {
            if rule.counts(pod), let quota = quotas.quota(of: pod) {
                do { _ = try rates.charge(of: pod) } catch {
                    refused.append(Unchargeable(pod: pod, quota: quota.id, error: error))
                    continue
                }
            }
            kept.append(pod)
        }
        return (kept, refused)
    }
}
