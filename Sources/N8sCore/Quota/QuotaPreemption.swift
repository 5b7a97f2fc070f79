import Foundation
import KubeCore

/// Which pods a pending pod may preempt under the quota rules (docs/design.md section 6), for the
/// scheduler extender's `preempt` (and its `filter`, to say whether preemption can help).
///
/// Pure: built from the quotas, the pods counted for admission and the preemptor. A victim is
/// judged pod by pod (C22), never by namespace:
///
/// - a pod of the preemptor's own quota: allowed when its priority is lower (kube-scheduler's
///   ordinary priority preemption);
/// - a pod in a namespace no quota holds, or any pod when the preemptor's namespace has no quota:
///   never (quota-less pods neither reclaim nor are reclaimed);
/// - a pod of another quota: only when it is `over-quota` (``QuotaUsage/capacities()``) and holds
///   some resource `r` that the preemptor requests and the victim's quota borrows, where either
///   the preemptor's quota stays within its `min` of `r` with the pod (it reclaims its guarantee;
///   other resources do not matter, C25), or — fair sharing — the victim's quota borrows more than
///   its fair share of `r` and the preemptor's quota stays within its own share of `r`.
///
/// A quota with only `max` (min 0) has no guarantee and no share, so its pods never preempt pods
/// of other quotas (C27); after a reclaim the borrower cannot take it back (C18), because the
/// owner's pods are then in quota.
public struct QuotaPreemption: Sendable {
    /// Why a pod may not be a victim, in words for users; `nil` when it may.
    public typealias Verdict = String?

    public let usage: QuotaUsage
    public let preemptor: Pod
    /// The preemptor's charge over its quota's counted resources.
    public let charge: [String: Quantity]
    let quota: Quota?
    let capacities: [ObjectKey: Capacity]
    let membersByPod: [ObjectKey: (quota: QuotaID, member: QuotaUsage.Member)]
    /// Per resource the preemptor requests: whether its quota stays within `min` with the pod.
    let withinMin: [String: Bool]
    /// Per resource: whether the preemptor's quota stays within its fair share with the pod.
    let withinShare: [String: Bool]
    /// Per quota: the resources it borrows more than its fair share of.
    let overShare: [QuotaID: Set<String>]
    let pods: [Pod]
    let rates: GPUMemoryRates

    /// - Parameters:
    ///   - pods: the pods that count for admission (and any others; ``UsageRule/admission`` picks).
    ///     Pods whose requests cannot be charged must be left out beforehand.
    ///   - preemptor: the pending pod; its namespace names its quota.
    /// - Throws: ``QuotaError`` for an uncharged preemptor or absurd sums.
    public init(quotas: QuotaSet, pods: [Pod], rates: GPUMemoryRates, preemptor: Pod) throws(QuotaError) {
        let usage = try QuotaUsage(quotas: quotas, pods: pods, rates: rates, rule: .admission)
        self.usage = usage
        self.preemptor = preemptor
        self.pods = pods
        self.rates = rates
        let quota = quotas.quota(of: preemptor)
        self.quota = quota
        var charge: [String: Quantity] = [:]
        if let quota { charge = quota.counted(try rates.charge(of: preemptor)) }
        self.charge = charge
        capacities = try usage.capacities()
        var byPod: [ObjectKey: (quota: QuotaID, member: QuotaUsage.Member)] = [:]
        for (id, members) in usage.members { for m in members { byPod[m.pod] = (id, m) } }
        membersByPod = byPod
        var withinMin: [String: Bool] = [:]
        var withinShare: [String: Bool] = [:]
        let allShares = try usage.fairShares()
        if let quota {
            let shares = allShares[quota.id] ?? [:]
            for (resource, amount) in charge where amount > .zero {
                let after = try QuotaMath.add(usage.used(resource, by: quota.id), amount, resource: resource, context: "\(quota.id)")
                withinMin[resource] = after <= quota.minimum(of: resource)
                let borrowed = try QuotaMath.excess(after, over: quota.minimum(of: resource), resource: resource, context: "\(quota.id)")
                withinShare[resource] = borrowed <= (shares[resource] ?? .zero)
            }
        }
        self.withinMin = withinMin
        self.withinShare = withinShare
        var overShare: [QuotaID: Set<String>] = [:]
        for id in quotas.quotas.keys { overShare[id] = Set(try usage.resourcesOverFairShare(id, shares: allShares)) }
        self.overShare = overShare
    }

    /// Whether the preemptor, alone, is in quota: within `min` for every resource it requests.
    public var isInQuota: Bool { quota != nil && withinMin.values.allSatisfy { $0 } }

    /// `nil` when the quota rules allow `victim` to be preempted for the preemptor; else why not.
    public func verdict(on victim: Pod) -> Verdict {
        let victimQuota = usage.quotas.quota(of: victim)
        let namespace = victim.metadata.namespace ?? ""
        guard let victimQuota else { return "pod \(victim.key) is in namespace \(namespace), which no quota holds; n8s-scheduler does not preempt it" }
        guard let quota else {
            return "the pod's namespace \(preemptor.metadata.namespace ?? "") has no quota, so it may not preempt pods of \(victimQuota.id)"
        }
        if victimQuota.id == quota.id {
            let mine = preemptor.spec.priority ?? 0
            let theirs = victim.spec.priority ?? 0
            return theirs < mine ? nil : "pod \(victim.key) of the same quota has priority \(theirs), not lower than \(mine)"
        }
        guard capacities[victim.key] == .overQuota, let member = membersByPod[victim.key]?.member else {
            return "pod \(victim.key) runs within the guaranteed min of \(victimQuota.id)"
        }
        let borrowedByVictimQuota = (try? usage.borrowed(by: victimQuota.id)) ?? [:]
        for (resource, amount) in charge.sorted(by: { $0.key < $1.key }) where amount > .zero {
            guard (member.charge[resource] ?? .zero) > .zero, (borrowedByVictimQuota[resource] ?? .zero) > .zero else { continue }
            if withinMin[resource] == true { return nil }
            if withinShare[resource] == true, overShare[victimQuota.id]?.contains(resource) == true { return nil }
        }
        return "pod \(victim.key) borrows for \(victimQuota.id), but \(quota.id) would itself go over its min (and its fair share) of every resource the pod could free"
    }

    /// Whether the preemptor's quota admits it once `victims` are gone (``QuotaUsage/admit(_:namespace:)``
    /// on the usage without them).
    /// - Throws: ``QuotaError`` for absurd sums.
    public func admitsPreemptor(evicting victims: Set<ObjectKey>) throws(QuotaError) -> Bool {
        guard quota != nil else { return true }
        if isInQuota { return true }
        return try usage.removing(victims).admit(try rates.charge(of: preemptor), namespace: preemptor.metadata.namespace ?? "").isAdmissible
    }

    /// The counted pods that may be preempted for the preemptor.
    public var allowedVictims: [Pod] {
        pods.filter { membersByPod[$0.key] != nil && $0.key != preemptor.key && verdict(on: $0) == nil }
    }

    /// Whether any counted pod may be preempted for the preemptor.
    public var hasAnyVictim: Bool { !allowedVictims.isEmpty }

    /// Whether preemption can make a pod its quota rejects now admissible: some victims are allowed
    /// and, with all of them gone, the quota admits it. `false` means preemption cannot help (over
    /// `max` with no lower-priority pod of its own quota to make room, say).
    public var canBeAdmittedByPreemption: Bool {
        let victims = allowedVictims
        return !victims.isEmpty && (try? admitsPreemptor(evicting: Set(victims.map(\.key)))) == true
    }
}
