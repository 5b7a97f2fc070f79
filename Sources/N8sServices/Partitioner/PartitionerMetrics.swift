import Metrics

/// The partitioner's metrics (swift-metrics, exported in Prometheus format by the health server):
///
/// - `n8s_partitioner_batches_total`: batches planned;
/// - `n8s_partitioner_pods_planned_total`: pods a written plan made room for;
/// - `n8s_partitioner_pods_unplaceable_total{reason}`: pods no layout could help, by reason
///   (`predicates`, `no_plannable_node`, `no_layout`, `invalid_request`, `other`);
/// - `n8s_partitioner_nodes_changed_total`: node plans written;
/// - `n8s_partitioner_planning_duration_seconds`: time to compute one plan (CPU time, real clock);
/// - `n8s_partitioner_stalled_nodes`: nodes whose agent has not echoed within `planAckTimeoutSeconds`.
public struct PartitionerMetrics: Sendable {
    let factory: any MetricsFactory
    let batches: Counter
    let podsPlanned: Counter
    let nodesChanged: Counter
    let planningDuration: Metrics.Timer
    let stalledNodes: Gauge

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        batches = Counter(label: "n8s_partitioner_batches_total", factory: factory)
        podsPlanned = Counter(label: "n8s_partitioner_pods_planned_total", factory: factory)
        nodesChanged = Counter(label: "n8s_partitioner_nodes_changed_total", factory: factory)
        planningDuration = Metrics.Timer(label: "n8s_partitioner_planning_duration_seconds", preferredDisplayUnit: .seconds, factory: factory)
        stalledNodes = Gauge(label: "n8s_partitioner_stalled_nodes", factory: factory)
    }

    func unplaceable(reason: String) {
        Counter(label: "n8s_partitioner_pods_unplaceable_total", dimensions: [("reason", PlanNotes.reasonLabel(reason))], factory: factory)
            .increment()
    }
}
