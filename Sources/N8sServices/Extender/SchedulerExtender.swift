import Foundation
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import Synchronization

/// The decisions of `n8s scheduler-extender` (docs/design.md section 6, docs/quotas.md): quota
/// admission for kube-scheduler's `filter`, and the narrowing of its default preemption for
/// `preempt`. Transport-free: ``SchedulerExtenderServer`` feeds it request bodies.
///
/// Reads pods, nodes, ElasticQuotas and CompositeElasticQuotas from caches that
/// ``SchedulerExtenderService`` keeps with watchers. Usage counts pods bound to a node and not
/// terminated (``UsageRule/admission``) plus the ``AssumedRequests`` of pods that passed `filter`
/// and are not seen bound yet. A pod whose requests cannot be charged is left out of the usage
/// (and logged), as the operator does.
///
/// Never throws and never answers a node that was not asked about: bad input becomes the
/// answer's `Error`.
public final class SchedulerExtender: Sendable {
    public let pods: Store<Pod>
    public let nodes: Store<Node>
    public let elasticQuotas: Store<ElasticQuota>
    public let compositeQuotas: Store<CompositeElasticQuota>
    public let rates: GPUMemoryRates
    /// How long an admitted pod's request is held while its binding is not seen.
    public let assumeTimeout: Duration
    let clock: any KubeClock
    let logger: Logger
    let assumed = Mutex(AssumedRequests())

    public init(
        pods: Store<Pod> = Store(indexes: [.byNamespace, .byNodeName]),
        nodes: Store<Node> = Store(),
        elasticQuotas: Store<ElasticQuota> = Store(),
        compositeQuotas: Store<CompositeElasticQuota> = Store(),
        rates: GPUMemoryRates,
        assumeTimeout: Duration = ExtenderConfig.defaultAssumeTimeout,
        clock: any KubeClock,
        logger: Logger = Logger(label: "n8s.scheduler-extender")
    ) {
        self.pods = pods
        self.nodes = nodes
        self.elasticQuotas = elasticQuotas
        self.compositeQuotas = compositeQuotas
        self.rates = rates
        self.assumeTimeout = assumeTimeout
        self.clock = clock
        self.logger = logger
    }

    /// `true` once the four caches have listed.
    public var hasSynced: Bool { pods.hasSynced && nodes.hasSynced && elasticQuotas.hasSynced && compositeQuotas.hasSynced }

    /// UIDs of the pods whose requests are held as assumed now.
    public var assumedUIDs: Set<String> {
        let now = clock.now
        let timeout = assumeTimeout
        return assumed.withLock { a in
            a.expire(now: now, timeout: timeout)
            return Set(a.entries.keys)
        }
    }

    /// Releases assumed requests of pods the watch shows bound, terminal or deleted.
    public func observe(_ changes: [StoreChange<Pod>]) {
        assumed.withLock { a in
            for change in changes {
                switch change {
                case .applied(let pod, _): a.observe(pod, deleted: false)
                case .deleted(let pod): a.observe(pod, deleted: true)
                }
            }
        }
    }

    /// Why a pod in a request cannot be judged, or `nil`.
    static func problem(with pod: Pod) -> String? {
        if (pod.metadata.namespace ?? "").isEmpty { return "the pod \(pod.name) has no metadata.namespace, so its quota is unknown" }
        if (pod.metadata.uid ?? "").isEmpty { return "the pod \(pod.metadata.namespace ?? "")/\(pod.name) has no metadata.uid" }
        return nil
    }

    /// The quotas and the pods that count now, without the pod with `uid` (it is the one asking).
    /// Call with the assumed lock held (`assumedNow`).
    func snapshot(excluding uid: String, assumedNow: AssumedRequests) -> (quotas: QuotaSet, pods: [Pod]) {
        QuotaInputs.admission(
            pods: pods.list { $0.metadata.uid != uid } + assumedNow.podsCounted(except: uid), elastic: elasticQuotas.list(),
            composite: compositeQuotas.list(), rates: rates, logger: logger)
    }
}

/// Settings of `n8s scheduler-extender`.
public struct ExtenderConfig: Sendable, Hashable {
    /// Longer than kube-scheduler's default bind timeout (`bindTimeoutSeconds: 600`).
    public static let defaultAssumeTimeout: Duration = .seconds(660)

    /// Address of the extender; kube-scheduler calls it from the same pod.
    public var host = "127.0.0.1"
    public var port = 8888
    /// Port of `/healthz`, `/readyz` and `/metrics` (all interfaces, for the kubelet's probes).
    public var healthPort = 8082
    public var gpuMemoryPerGPU = 32
    public var assumeTimeout = ExtenderConfig.defaultAssumeTimeout

    public init() {}

    /// - Throws: ``ExtenderError/invalidConfig(field:reason:)`` naming the first bad setting.
    public func validate() throws(ExtenderError) {
        if let bad = QuotaSettingRules.badPort([("port", port), ("healthPort", healthPort)]) ?? QuotaSettingRules.badGPUMemoryPerGPU(gpuMemoryPerGPU) {
            throw .invalidConfig(field: bad.field, reason: bad.reason)
        }
        guard assumeTimeout > .seconds(600) else {
            throw .invalidConfig(field: "assumeTimeout", reason: "must be longer than kube-scheduler's bind timeout (600 s), got \(assumeTimeout)")
        }
    }
}

/// Why `n8s scheduler-extender` cannot start.
public enum ExtenderError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidConfig(field: String, reason: String)

    public var description: String {
        switch self {
        case .invalidConfig(let f, let r): "\(f): \(r)"
        }
    }
}
