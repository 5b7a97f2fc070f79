import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import Synchronization

/// The quota operator's decision step (docs/design.md section 6): from the quota and pod caches
/// to `status.used`, the `Conflict` condition, the `n8s.nebuly.ai/capacity` pod label, Events
/// and metrics.
///
/// ``reconcile()`` is called by ``QuotaOperatorService`` whenever a quota or a pod changes, and
/// only while this replica leads. Each call:
///
/// 1. builds the ``QuotaSet`` (the oldest quota claiming a namespace holds it) and the
///    ``QuotaUsage`` of the Running pods (``UsageRule/running``);
/// 2. patches the `status` subresource of every quota whose `used` or `Conflict` condition differs
///    from the cache (nothing is written when nothing changed), with a Warning Event when a quota
///    starts losing a namespace;
/// 3. patches the label of every counted pod whose ``Capacity`` changed, and removes it from
///    live pods no longer counted (they left Running, or their quota went away);
/// 4. sets the metrics (before the writes, from the same computation).
///
/// A pod whose requests cannot be charged (``QuotaError``) is left out, and its quota's
/// `status.used` is left as it was (never a wrong total) until the pod is fixed or gone.
///
/// RBAC: `patch` on `elasticquotas/status`, `compositeelasticquotas/status` and `pods`;
/// `create`/`patch` on `events`; `list`/`watch` on the three kinds (for the caches).
public final class QuotaOperator: Sendable {
    struct State: Sendable {
        /// `status` written per quota, until the cache shows it (skips repeats while the watch catches up).
        var statuses: [QuotaID: ElasticQuota.Status] = [:]
        /// Label written per pod (`nil`: removed), until the cache shows it.
        var labels: [ObjectKey: String?] = [:]
        /// Calls of ``reconcile()`` so far.
        var steps = 0
    }

    public let client: KubeClient
    public let elasticQuotas: Store<ElasticQuota>
    public let compositeQuotas: Store<CompositeElasticQuota>
    public let pods: Store<Pod>
    public let rates: GPUMemoryRates
    public let recorder: EventRecorder
    let metrics: QuotaMetrics
    let clock: any KubeClock
    let logger: Logger
    let state = Mutex(State())

    public init(
        client: KubeClient,
        elasticQuotas: Store<ElasticQuota> = Store(),
        compositeQuotas: Store<CompositeElasticQuota> = Store(),
        pods: Store<Pod> = Store(),
        rates: GPUMemoryRates,
        recorder: EventRecorder,
        metrics: QuotaMetrics = QuotaMetrics(),
        clock: (any KubeClock)? = nil,
        logger: Logger = Logger(label: "n8s.operator")
    ) {
        self.client = client
        self.elasticQuotas = elasticQuotas
        self.compositeQuotas = compositeQuotas
        self.pods = pods
        self.rates = rates
        self.recorder = recorder
        self.metrics = metrics
        self.clock = clock ?? client.clock
        self.logger = logger
    }

    /// Starts a term of leadership: forgets the writes of an earlier term (another leader may
    /// have written since), so everything is compared with the caches afresh.
    public func startTerm() {
        state.withLock { s in
            s.statuses = [:]
            s.labels = [:]
        }
    }

    /// How many decision steps ran.
    public var steps: Int { state.withLock { $0.steps } }

    /// `true` once the three caches have listed.
    public var hasSynced: Bool { elasticQuotas.hasSynced && compositeQuotas.hasSynced && pods.hasSynced }

    /// One decision step; never throws (failed writes are logged and retried by the next step).
    public func reconcile() async {
        state.withLock { $0.steps += 1 }
        let eqs = elasticQuotas.list()
        let ceqs = compositeQuotas.list()
        let quotas = QuotaSet(elastic: eqs, composite: ceqs)
        let allPods = pods.list()
        let (counted, refused) = QuotaUsage.chargeable(allPods, quotas: quotas, rates: rates, rule: .running)
        let uncountable = Set(refused.map(\.quota))
        for r in refused {
            logger.warning("pod not counted: its requests cannot be charged", metadata: [
                "k8s.namespace": "\(r.pod.metadata.namespace ?? "")", "k8s.name": "\(r.pod.name)", "quota": "\(r.quota)", "error": "\(r.error)",
            ])
        }
        let usage: QuotaUsage
        let capacities: [ObjectKey: Capacity]
        do {
            usage = try QuotaUsage(quotas: quotas, pods: counted, rates: rates, rule: .running)
            capacities = try usage.capacities()
        } catch {
            logger.error("quota usage cannot be computed; nothing written", metadata: ["error": "\(error)"])
            return
        }
        metrics.update(usage: usage, capacities: capacities)
        for quota in eqs { await writeStatus(of: quota, id: Quota(quota).id, quotas: quotas, usage: usage, skipUsed: uncountable) }
        for quota in ceqs { await writeStatus(of: quota, id: Quota(quota).id, quotas: quotas, usage: usage, skipUsed: uncountable) }
        await writeLabels(pods: allPods, capacities: capacities)
    }

    /// The `status` `quota` should have: `used` from `usage` (kept as it is for `skipUsed`), and
    /// the `Conflict` condition from `quotas` (other conditions kept).
    static func desiredStatus(
        current: ElasticQuota.Status?, id: QuotaID, quotas: QuotaSet, usage: QuotaUsage, skipUsed: Set<QuotaID>, now: Date
    ) -> ElasticQuota.Status {
        var status = current ?? ElasticQuota.Status()
        if !skipUsed.contains(id) { status.used = usage.used[id] ?? [:] }
        var conditions = status.conditions ?? []
        let old = conditions.first { $0.type == QuotaNames.conflictCondition }
        conditions.removeAll { $0.type == QuotaNames.conflictCondition }
        if let lost = quotas.conflicts[id], !lost.isEmpty {
            let message = lost.map { "namespace \($0.namespace) is held by \($0.heldBy), which is older" }.joined(separator: "; ")
                + "; pods of these namespaces count in the older quota"
            let since = old?.status == "True" ? old?.lastTransitionTime : now
            conditions.append(QuotaCondition(type: QuotaNames.conflictCondition, status: "True", reason: "NamespaceClaimed", message: message, lastTransitionTime: since))
        } else if let old, old.status == "True" {
            conditions.append(QuotaCondition(type: QuotaNames.conflictCondition, status: "False", reason: "NoConflict", message: "every namespace of this quota is held by it", lastTransitionTime: now))
        } else if let old {
            conditions.append(old)
        }
        status.conditions = conditions.isEmpty ? nil : conditions
        return status
    }

    /// Whether two statuses say the same (quantities compared by value, transition times ignored).
    static func same(_ a: ElasticQuota.Status?, _ b: ElasticQuota.Status?) -> Bool {
        let usedA = a?.used ?? [:]
        let usedB = b?.used ?? [:]
        guard usedA == usedB else { return false }
        func key(_ s: ElasticQuota.Status?) -> [String] {
            (s?.conditions ?? []).map { "\($0.type)|\($0.status)|\($0.reason ?? "")|\($0.message ?? "")" }.sorted()
        }
        return key(a) == key(b)
    }

    private func writeStatus<R: Resource>(of quota: R, id: QuotaID, quotas: QuotaSet, usage: QuotaUsage, skipUsed: Set<QuotaID>) async {
        let current = (quota as? ElasticQuota)?.status ?? (quota as? CompositeElasticQuota)?.status
        let desired = Self.desiredStatus(current: current, id: id, quotas: quotas, usage: usage, skipUsed: skipUsed, now: clock.now)
        let pending = state.withLock { s -> Bool in
            if let written = s.statuses[id] {
                if Self.same(written, current) { s.statuses[id] = nil } else if Self.same(written, desired) { return true }
            }
            return false
        }
        guard !pending, !Self.same(current, desired) else { return }
        let patch: Patch
        do {
            let used: JSONValue = try KubeJSON.value(of: desired.used ?? [:])
            var usedPatch = used.objectValue ?? [:]
            for key in (current?.used ?? [:]).keys where desired.used?[key] == nil { usedPatch[key] = .null }
            let conditions: JSONValue = try desired.conditions.map { try KubeJSON.value(of: $0) } ?? .null
            patch = .merge(["status": ["used": .object(usedPatch), "conditions": conditions]])
        } catch {
            logger.error("cannot encode a quota status", metadata: ["quota": "\(id)", "error": "\(error)"])
            return
        }
        do {
            _ = try await client.resource(R.self, in: id.namespace).patch(id.name, patch, subresource: "status")
            state.withLock { $0.statuses[id] = desired }
            logger.info("status written", metadata: ["quota": "\(id)", "used": "\(Self.describe(desired.used ?? [:]))"])
        } catch {
            logger.warning("status not written; retried at the next change", metadata: ["quota": "\(id)", "error": "\(error)"])
            return
        }
        let wasConflict = current?.conditions?.contains { $0.type == QuotaNames.conflictCondition && $0.status == "True" } ?? false
        if let lost = quotas.conflicts[id], !lost.isEmpty, !wasConflict {
            let message = desired.conditions?.first { $0.type == QuotaNames.conflictCondition }?.message ?? ""
            await recorder.record(quota, type: .warning, reason: "NamespaceConflict", message: message)
        }
    }

    private func writeLabels(pods: [Pod], capacities: [ObjectKey: Capacity]) async {
        for pod in pods.sorted(by: { $0.key < $1.key }) {
            let current = pod.metadata.labels?[QuotaNames.capacityLabel]
            let desired = capacities[pod.key]
            let finished = pod.status?.phase == "Succeeded" || pod.status?.phase == "Failed" || pod.metadata.deletionTimestamp != nil
            let skip = state.withLock { s -> Bool in
                if current == desired?.rawValue || (desired == nil && finished) {
                    s.labels[pod.key] = nil
                    return true
                }
                return s.labels[pod.key] == desired?.rawValue  // written; the cache catches up
            }
            if skip { continue }
            let value: JSONValue = desired.map { .string($0.rawValue) } ?? .null
            do {
                _ = try await client.resource(Pod.self, in: pod.metadata.namespace ?? "").patch(
                    pod.name, .merge(["metadata": ["labels": .object([QuotaNames.capacityLabel: value])]]))
                state.withLock { $0.labels[pod.key] = .some(desired?.rawValue) }
            } catch {
                logger.warning("label not written; retried at the next change", metadata: [
                    "k8s.namespace": "\(pod.metadata.namespace ?? "")", "k8s.name": "\(pod.name)", "error": "\(error)",
                ])
                continue
            }
            if desired == .overQuota {
                await recorder.record(pod, reason: "OverQuota", message: "the pod borrows capacity beyond its quota's min; it may be preempted to give it back")
            }
        }
    }

    static func describe(_ amounts: [String: Quantity]) -> String {
        amounts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}
