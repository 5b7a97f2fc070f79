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
    /// The usage of the bound pods, computed once and kept until a pod or quota change can move it
    /// (``observe(_:)``, ``invalidateUsage()``): a `filter` then costs the assumed pods and the
    /// quotas, not every pod of the cluster.
    let base = Mutex(CachedUsage())

    struct CachedUsage: Sendable {
        /// Bumped by every invalidation, so a computation that raced with one is not kept.
        var generation = 0
        var usage: BaseUsage?
    }

    struct BaseUsage: Sendable {
        var quotas: QuotaSet
        /// The pods that count (bound, not terminated, chargeable), and those outside every quota.
        var counted: [Pod]
        var usage: Result<QuotaUsage, QuotaError>
    }

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

    /// Takes in pod changes the pod cache has applied: releases assumed requests of pods seen bound,
    /// terminal or deleted, and drops the cached usage when a change can move it.
    public func observe(_ changes: [StoreChange<Pod>]) {
        if changes.contains(where: Self.movesUsage) { invalidateUsage() }
        assumed.withLock { a in
            for change in changes {
                switch change {
                case .applied(let pod, _): a.observe(pod, deleted: false)
                case .deleted(let pod): a.observe(pod, deleted: true)
                }
            }
        }
    }

    /// Drops the cached usage; the quota watchers call it on every change.
    public func invalidateUsage() {
        base.withLock { c in
            c.generation += 1
            c.usage = nil
        }
    }

    /// Whether a pod change can move the usage: a pod starting or stopping to count
    /// (``UsageRule/admission``), or a counted pod's spec (requests, priority) changing.
    static func movesUsage(_ change: StoreChange<Pod>) -> Bool {
        switch change {
        case .deleted(let pod): return UsageRule.admission.counts(pod)
        case .applied(let new, let old):
            let counts = UsageRule.admission.counts(new)
            guard let old else { return counts }
            return counts != UsageRule.admission.counts(old) || (counts && (old.spec != new.spec || old.metadata.creationTimestamp != new.metadata.creationTimestamp))
        }
    }

    /// The cached usage of the bound pods, computed when missing.
    func baseUsage() -> BaseUsage {
        let (cached, generation) = base.withLock { ($0.usage, $0.generation) }
        if let cached { return cached }
        let (quotas, counted) = QuotaInputs.admission(
            pods: pods.list(), elastic: elasticQuotas.list(), composite: compositeQuotas.list(), rates: rates, logger: logger)
        let usage = Result { () throws(QuotaError) -> QuotaUsage in try QuotaUsage(quotas: quotas, pods: counted, rates: rates, rule: .admission) }
        let fresh = BaseUsage(quotas: quotas, counted: counted, usage: usage)
        base.withLock { c in if c.generation == generation { c.usage = fresh } }
        return fresh
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
        let base = baseUsage()
        return (base.quotas, base.counted.filter { $0.metadata.uid != uid } + assumedNow.podsCounted(except: uid))
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
