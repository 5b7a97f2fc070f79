import KubeCore

extension QuotaUsage {
    /// Each quota's fair share of the idle guaranteed capacity, per counted resource:
    /// `min_q / Σmin × Σ unused min` over the quotas that count the resource (docs/quotas.md has a
    /// worked example). `unused min` of a quota is `max(0, min − used)`.
    ///
    /// Exact: computed on nano-units with a full-width product, rounded down to one nano-unit. A
    /// resource whose `Σmin` is 0 gives every quota a share of 0 (C27: a quota with only `max`
    /// never has a share to defend or claim).
    /// - Throws: ``QuotaError/overflow(resource:context:)`` when the sums overflow.
    public func fairShares() throws(QuotaError) -> [QuotaID: [String: Quantity]] {
        var result: [QuotaID: [String: Quantity]] = [:]
        var totalsByResource: [String: (min: Quantity, used: Quantity, unusedMin: Quantity)] = [:]
        for q in quotas.quotas.values {
            var shares: [String: Quantity] = [:]
            for resource in q.countedResources {
                let totals: (min: Quantity, used: Quantity, unusedMin: Quantity)
                if let known = totalsByResource[resource] { totals = known } else {
                    totals = try self.totals(of: resource)
                    totalsByResource[resource] = totals
                }
                shares[resource] = Self.share(min: q.minimum(of: resource), totalMin: totals.min, unused: totals.unusedMin)
            }
            result[q.id] = shares
        }
        return result
    }

    /// Whether `quota` borrows more than its fair share of some resource it borrows: then a
    /// borrowing pod of a quota within its own share may preempt its over-quota pods (docs/design.md
    /// section 6). Returns the resources where it does.
    public func resourcesOverFairShare(_ quota: QuotaID) throws(QuotaError) -> [String] {
        try resourcesOverFairShare(quota, shares: fairShares())
    }

    /// ``resourcesOverFairShare(_:)`` with the shares computed once (``fairShares()``), for many quotas.
    public func resourcesOverFairShare(_ quota: QuotaID, shares: [QuotaID: [String: Quantity]]) throws(QuotaError) -> [String] {
        let own = shares[quota] ?? [:]
        return try borrowed(by: quota).filter { $0.value > (own[$0.key] ?? .zero) }.map(\.key).sorted()
    }

    /// `min × unused / totalMin`, rounded down; 0 when `totalMin` is 0. Negative inputs count as 0.
    static func share(min: Quantity, totalMin: Quantity, unused: Quantity) -> Quantity {
        guard totalMin.nanos > 0, min.nanos > 0, unused.nanos > 0 else { return .zero }
        guard min < totalMin else { return unused }
        // min <= totalMin, so the quotient is at most `unused` and fits.
        let product = UInt128(min.nanos).multipliedFullWidth(by: UInt128(unused.nanos))
        let (quotient, _) = UInt128(totalMin.nanos).dividingFullWidth(product)
        return Quantity(nanos: Int128(quotient), notation: min.notation)
    }
}

extension QuotaUsage {
    /// Whether `quota`, after adding `charge`, borrows no more than its fair share of every
    /// resource (the preemptor's side of fair sharing). Shares are those of the current usage.
    public func staysWithinFairShare(_ quota: QuotaID, adding charge: [String: Quantity]) throws(QuotaError) -> Bool {
        guard let q = quotas.quotas[quota] else { return true }
        let shares = try fairShares()[quota] ?? [:]
        for (resource, amount) in q.counted(charge) where amount > .zero {
            let after = try QuotaMath.add(used(resource, by: quota), amount, resource: resource, context: "\(quota)")
            let borrowed = try QuotaMath.excess(after, over: q.minimum(of: resource), resource: resource, context: "\(quota)")
            if borrowed > (shares[resource] ?? .zero) { return false }
        }
        return true
    }
}
