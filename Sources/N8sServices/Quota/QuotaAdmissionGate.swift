import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import ServiceLifecycle
import Synchronization

/// The partitioner's ``QuotaGate`` with `quotaChecks: true`: a pod is planned for only when its
/// quota admits it by the scheduler extender's rule (``QuotaUsage/admit(_:namespace:)`` over the
/// pods bound and not terminated), so MIG devices are not created for pods `n8s-scheduler` will
/// refuse. Pods of namespaces without a quota pass.
///
/// Reads the partitioner's pod cache and its own quota caches (``watchers(client:clock:logger:)``).
/// Fails closed: until the quota caches have synced, every pod is refused with a reason saying so.
/// The usage is computed at most once per ``reuse`` of the injected clock and shared by the pods
/// of a round (the partitioner asks once per pending pod; a batch window lasts seconds).
public final class QuotaAdmissionGate: QuotaGate {
    public let pods: Store<Pod>
    public let elasticQuotas: Store<ElasticQuota>
    public let compositeQuotas: Store<CompositeElasticQuota>
    public let rates: GPUMemoryRates
    /// How long one computed usage answers.
    public let reuse: Duration
    let clock: any KubeClock
    let logger: Logger
    private let cached = Mutex<(at: Date, usage: Result<QuotaUsage, QuotaError>)?>(nil)

    public init(
        pods: Store<Pod>, elasticQuotas: Store<ElasticQuota> = Store(), compositeQuotas: Store<CompositeElasticQuota> = Store(),
        rates: GPUMemoryRates, reuse: Duration = .seconds(1), clock: any KubeClock, logger: Logger = Logger(label: "n8s.gpu-partitioner")
    ) {
        self.pods = pods
        self.elasticQuotas = elasticQuotas
        self.compositeQuotas = compositeQuotas
        self.rates = rates
        self.reuse = reuse
        self.clock = clock
        self.logger = logger
    }

    /// `true` once both quota caches have listed.
    public var hasSynced: Bool { elasticQuotas.hasSynced && compositeQuotas.hasSynced }

    public func rejection(of pod: Pod) -> String? {
        guard hasSynced else { return "the quota caches have not synced yet" }
        do {
            let decision = try usage().get().admit(try rates.charge(of: pod), namespace: pod.metadata.namespace ?? "")
            if case .rejected(_, let reason) = decision { return reason }
            return nil
        } catch {
            return "its quota cannot be computed: \(error)"
        }
    }

    /// The usage now, computed again when the last one is older than ``reuse``.
    func usage() -> Result<QuotaUsage, QuotaError> {
        let now = clock.now
        if let last = cached.withLock({ $0 }), now.timeIntervalSince(last.at) < reuse.seconds, now >= last.at { return last.usage }
        let (quotas, counted) = QuotaInputs.admission(
            pods: pods.list(), elastic: elasticQuotas.list(), composite: compositeQuotas.list(), rates: rates, logger: logger)
        let usage = Result { () throws(QuotaError) -> QuotaUsage in try QuotaUsage(quotas: quotas, pods: counted, rates: rates, rule: .admission) }
        cached.withLock { $0 = (now, usage) }
        return usage
    }

    /// Watchers that keep the two quota caches (the pod cache is the partitioner's).
    public func watchers(client: KubeClient, logger: Logger) -> [any Service] {
        [
            Watcher(api: client.resource(ElasticQuota.self), store: elasticQuotas, clock: clock, logger: logger),
            Watcher(api: client.resource(CompositeElasticQuota.self), store: compositeQuotas, clock: clock, logger: logger),
        ]
    }
}
