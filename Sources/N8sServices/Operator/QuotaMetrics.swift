import KubeCore
import Metrics
import N8sCore
import Synchronization

/// The quota operator's metrics (swift-metrics, exported in Prometheus format by the health server):
///
/// - `n8s_quota_min`, `n8s_quota_max`, `n8s_quota_used`, `n8s_quota_borrowed`, each
///   `{kind, namespace, name, resource}` for every resource the quota counts; a resource without
///   a `max` is unlimited and reported as `+Inf` (case C24), never 0;
/// - `n8s_quota_over_quota_pods{namespace}`: Running pods labelled `over-quota`, per namespace
///   held by a quota.
///
/// Series of quotas, resources and namespaces that went away are set to 0 (not removed).
public struct QuotaMetrics: Sendable {
    let factory: any MetricsFactory
    /// Series recorded by the previous update (label, dimensions), to zero those now gone.
    private let seen = SeenSeries()

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    func update(usage: QuotaUsage, capacities: [ObjectKey: Capacity]) {
        var now: Set<Series> = []
        func record(_ label: String, _ dimensions: [(String, String)], _ value: Double) {
            Gauge(label: label, dimensions: dimensions, factory: factory).record(value)
            now.insert(Series(label: label, dimensions: dimensions.map { [$0.0, $0.1] }))
        }
        for quota in usage.quotas.sorted {
            let borrowed = (try? usage.borrowed(by: quota.id)) ?? [:]
            for resource in quota.countedResources.sorted() {
                let dimensions = [
                    ("kind", quota.id.kind.rawValue), ("namespace", quota.id.namespace), ("name", quota.id.name), ("resource", resource),
                ]
                record("n8s_quota_min", dimensions, Self.number(quota.minimum(of: resource)))
                record("n8s_quota_max", dimensions, quota.maximum(of: resource).map(Self.number) ?? .infinity)
                record("n8s_quota_used", dimensions, Self.number(usage.used(resource, by: quota.id)))
                record("n8s_quota_borrowed", dimensions, Self.number(borrowed[resource] ?? .zero))
            }
        }
        var over: [String: Int] = [:]
        for namespace in usage.quotas.owners.keys { over[namespace] = 0 }
        for (key, capacity) in capacities where capacity == .overQuota { over[key.namespace ?? "", default: 0] += 1 }
        for (namespace, count) in over { record("n8s_quota_over_quota_pods", [("namespace", namespace)], Double(count)) }
        for gone in seen.replace(with: now) {
            Gauge(label: gone.label, dimensions: gone.dimensions.map { ($0[0], $0[1]) }, factory: factory).record(0)
        }
    }

    /// A quantity as a floating-point number of units (exact up to 2⁵³ nano-units, then rounded).
    static func number(_ q: Quantity) -> Double { Double(q.nanos) / 1e9 }
}

struct Series: Hashable, Sendable {
    var label: String
    var dimensions: [[String]]
}

final class SeenSeries: Sendable {
    private let series = Mutex(Set<Series>())

    /// Stores `now`; returns the series of the previous call that are not in `now`.
    func replace(with now: Set<Series>) -> Set<Series> {
        series.withLock { old in
            defer { old = now }
            return old.subtracting(now)
        }
    }
}
