import KubeCore

/// The quota's answer to "may this pod start now?" (docs/design.md section 6).
public enum AdmissionDecision: Sendable, Hashable {
    /// No quota holds the pod's namespace: quotas do not limit it.
    case noQuota
    /// Within `min` for every counted resource: always admissible (capacity is reclaimed for it).
    case inQuota(QuotaID)
    /// Over `min` for some resource, within `max`, and the borrowing fits in the other quotas'
    /// unused `min`. `borrowed`: the quota's amounts over `min` once the pod runs.
    case borrowing(QuotaID, borrowed: [String: Quantity])
    /// Not admissible; `reason` names the quota and the resource, in words for users.
    case rejected(QuotaID, reason: String)

    public var isAdmissible: Bool {
        switch self {
        case .noQuota, .inQuota, .borrowing: true
        case .rejected: false
        }
    }
}

extension QuotaUsage {
    /// Decides whether a pod charging `charge` (``GPUMemoryRates/charge(of:)``) may start in
    /// `namespace`, given what every quota uses now.
    ///
    /// Per resource the quota counts: rejected when `used + request > max`; in quota when
    /// `used + request <= min` for all of them; otherwise it borrows, and is admissible only
    /// while, for every resource it borrows, the sum of `used` over all quotas counting that
    /// resource plus the request stays within the sum of their `min` — that is, total borrowing
    /// stays within the unused `min` of the other quotas.
    /// - Throws: ``QuotaError/overflow(resource:context:)`` (absurd requests or quotas).
    public func admit(_ charge: [String: Quantity], namespace: String) throws(QuotaError) -> AdmissionDecision {
        guard let quota = quotas.quota(forNamespace: namespace) else { return .noQuota }
        let id = quota.id
        let request = quota.counted(charge)
        var over: [String: Quantity] = [:]
        for resource in quota.countedResources.sorted() {
            let amount = request[resource] ?? .zero
            guard amount > .zero else { continue }
            let now = used(resource, by: id)
            let after = try QuotaMath.add(now, amount, resource: resource, context: "\(id)")
            if let max = quota.maximum(of: resource), after > max {
                return .rejected(id, reason: "\(id): \(resource) would be \(after) with this pod (\(amount)), over its max \(max)")
            }
            let min = quota.minimum(of: resource)
            if after > min { over[resource] = try QuotaMath.subtract(after, min, resource: resource, context: "\(id)") }
        }
        if over.isEmpty { return .inQuota(id) }
        for resource in over.keys.sorted() {
            let totals = try totals(of: resource)
            let amount = request[resource] ?? .zero
            let after = try QuotaMath.add(totals.used, amount, resource: resource, context: "all quotas")
            if after > totals.min {
                let ownUnused = try QuotaMath.excess(quota.minimum(of: resource), over: used(resource, by: id), resource: resource, context: "\(id)")
                let newBorrowing = try QuotaMath.subtract(amount, ownUnused, resource: resource, context: "\(id)")
                let headroom = try QuotaMath.subtract(totals.min, totals.used, resource: resource, context: "all quotas")
                let free = try QuotaMath.excess(headroom, over: ownUnused, resource: resource, context: "all quotas")
                return .rejected(id, reason: "\(id): \(resource) would borrow \(newBorrowing) beyond its min \(quota.minimum(of: resource)), but only \(free) of the other quotas' unused min is free to borrow")
            }
        }
        return .borrowing(id, borrowed: over)
    }
}
