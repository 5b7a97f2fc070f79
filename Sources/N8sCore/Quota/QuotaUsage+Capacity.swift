import Foundation
import KubeCore

extension QuotaUsage {
    /// The `n8s.nebuly.ai/capacity` label of every counted pod.
    ///
    /// Per quota, pods are taken in order — creation time (oldest first), then priority (highest
    /// first), then smaller request, then namespace/name — and each is `in-quota` when it still
    /// fits within `min`, for every counted resource, on top of the in-quota pods before it;
    /// otherwise it is `over-quota` (it borrows). The in-quota pods of a quota therefore never sum
    /// above its `min`; a quota with only `max` (min 0) has every pod that uses a counted resource
    /// over quota (C27), and a pod that uses none of them is in quota.
    ///
    /// "Smaller request" compares the counted resources in name order; the first that differs decides.
    /// - Throws: ``QuotaError/overflow(resource:context:)`` (absurd requests).
    public func capacities() throws(QuotaError) -> [ObjectKey: Capacity] {
        var result: [ObjectKey: Capacity] = [:]
        for (id, pods) in members {
            guard let quota = quotas.quotas[id] else { continue }
            let resources = quota.countedResources.sorted()
            var inQuota: [String: Quantity] = [:]
            for member in pods.sorted(by: { Self.labelsBefore($0, $1, resources: resources) }) {
                var next = inQuota
                try QuotaMath.add(member.charge, into: &next, context: "\(id)")
                let fits = resources.allSatisfy { (next[$0] ?? .zero) <= quota.minimum(of: $0) }
                if fits { inQuota = next }
                result[member.pod] = fits ? .inQuota : .overQuota
            }
        }
        return result
    }

    /// The labelling order of two pods of one quota.
    static func labelsBefore(_ a: Member, _ b: Member, resources: [String]) -> Bool {
        let ta = a.creationTimestamp ?? .distantFuture
        let tb = b.creationTimestamp ?? .distantFuture
        if ta != tb { return ta < tb }
        if a.priority != b.priority { return a.priority > b.priority }
        for r in resources {
            let x = a.charge[r] ?? .zero
            let y = b.charge[r] ?? .zero
            if x != y { return x < y }
        }
        return a.pod < b.pod
    }
}
