import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import Synchronization

/// The GPU partitioner's decision step (DESIGN.md section 5): from the pod and node caches to
/// spec annotations, node conditions and Events.
///
/// ``reconcile()`` is called by ``GPUPartitionerService`` whenever a change that matters arrives
/// or the time it asked for has come, and only while this replica leads. Each call:
///
/// 1. forgets pods that bound or vanished, and releases reservations whose plan failed
///    (`status-partitioning-outcome` `Failed` or `PartiallyApplied` for that plan id) or expired;
/// 2. tracks each node's last plan: a node whose agent has not echoed it within
///    `planAckTimeoutSeconds` is `Stalled` (condition, Event, reservations released, left out of
///    planning) and the plan is issued again under a new id with exponential backoff;
/// 3. sets the node condition `N8sMigPlanner` where it changed (`UnknownModel`,
///    `NoPlacementReport`, `Stalled`, ... or `Plannable`), with an Event when it turns False;
/// 4. selects candidate pods and updates the batch window; when it is due, plans the batch and
///    writes each changed node in one JSON Patch (``PlanPatch``), then records Events;
/// 5. adopts nodes that report MIG devices but have no spec yet (case C31).
///
/// - Returns: when to be called again at the latest (batch deadline, ack timeout, retry, expiry).
///
/// RBAC: `patch` on `nodes` and `nodes/status`; `create`/`patch` on `events` (namespaces of the
/// pods, and `default` for nodes); `list`/`watch` on `nodes` and `pods` (for the caches).
public final class GPUPartitioner: Sendable {
    struct NodeAck: Sendable, Hashable {
        var planID: String
        /// When the plan id was first seen awaiting an echo (or written by us).
        var since: Date
        var stalledAt: Date?
        var retries = 0
        var nextRetryAt: Date?
    }

    struct State: Sendable {
        var ledger = PlanLedger()
        var window: BatchWindow
        var acks: [String: NodeAck] = [:]
        /// Bumped by every node change that matters (see ``ChangeRelevance``).
        var nodesVersion = 0
        /// The last condition written per node, to skip repeats while the cache catches up.
        var conditions: [String: PlannerCondition] = [:]
        /// Calls of ``reconcile()`` so far.
        var steps = 0
    }

    public let client: KubeClient
    public let nodes: Store<Node>
    public let pods: Store<Pod>
    public let config: PartitionerConfig
    public let planner: PartitionPlanner
    public let recorder: EventRecorder
    public let quota: any QuotaGate
    let metrics: PartitionerMetrics
    let clock: any KubeClock
    let logger: Logger
    let newPlanID: @Sendable () -> String
    let state: Mutex<State>

    /// - Parameters:
    ///   - nodes, pods: caches kept by watchers (all nodes; pods of all namespaces).
    ///   - newPlanID: a fresh opaque id per node write (default: a lower-case UUID).
    public init(
        client: KubeClient,
        nodes: Store<Node>,
        pods: Store<Pod>,
        config: PartitionerConfig,
        catalog: MIGCatalog,
        recorder: EventRecorder,
        quota: any QuotaGate = QuotasOff(),
        metrics: PartitionerMetrics = PartitionerMetrics(),
        clock: (any KubeClock)? = nil,
        logger: Logger = Logger(label: "n8s.gpu-partitioner"),
        newPlanID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.client = client
        self.nodes = nodes
        self.pods = pods
        self.config = config
        self.planner = PartitionPlanner(catalog: catalog)
        self.recorder = recorder
        self.quota = quota
        self.metrics = metrics
        self.clock = clock ?? client.clock
        self.logger = logger
        self.newPlanID = newPlanID
        self.state = Mutex(State(window: BatchWindow(timeout: config.batchWindowTimeout, idle: config.batchWindowIdle)))
    }

    /// Records that a node changed in a way that matters: ends waits of unplaceable pods.
    public func noteNodeChange() { state.withLock { $0.nodesVersion += 1 } }

    /// The current batch (for tests and logs).
    public var window: BatchWindow { state.withLock { $0.window } }

    /// The current ledger (for tests and logs).
    public var ledger: PlanLedger { state.withLock { $0.ledger } }

    /// How many decision steps ran (each watch change that matters, or timer, causes one).
    public var steps: Int { state.withLock { $0.steps } }

    /// Names of nodes now `Stalled`.
    public var stalledNodes: Set<String> { state.withLock { Set($0.acks.filter { $0.value.stalledAt != nil }.keys) } }

    /// One decision step; never throws (failed writes are logged and retried by later steps).
    public func reconcile() async -> Action {
        let now = clock.now
        state.withLock { $0.steps += 1 }
        let allNodes = nodes.list().sorted { $0.name < $1.name }
        let allPods = pods.list()
        let podsByKey = Dictionary(allPods.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let views = allNodes.filter { $0.metadata.labels?[MIGAnnotations.autoMIGEnabled] == "true" }
            .map { NodeView($0, catalog: planner.catalog) }
        releaseFinishedPlans(views: views, pods: podsByKey, now: now)
        await trackAcks(views: views, nodes: allNodes, now: now)
        await updateConditions(views: views, nodes: allNodes, now: now)
        let candidates = await selectCandidates(allPods, now: now)
        let due = state.withLock { s -> Bool in
            s.window.update(candidates: candidates, now: now)
            return s.window.isDue(at: now)
        }
        var written: Set<String> = []
        if due { written = await planBatch(views: views, nodes: allNodes, pods: podsByKey, now: now) }
        await adopt(views: views, nodes: allNodes, skipping: written, now: now)
        return nextAction(now: now)
    }

    /// Releases reservations of pods whose plan the agent reported as failed, forgets bound and gone pods.
    private func releaseFinishedPlans(views: [NodeView], pods: [ObjectKey: Pod], now: Date) {
        state.withLock { s in
            s.ledger.prune(pods: pods, now: now, ttl: config.plannedPodTTL)
            for view in views {
                guard let echoed = view.annotations.statusPlanID, let outcome = view.annotations.outcome, outcome != .applied else { continue }
                let released = s.ledger.release { _, r in r.node == view.name && r.planID == echoed }
                if !released.isEmpty {
                    logger.info("plan not applied; pods released", metadata: [
                        "k8s.name": "\(view.name)", "plan": "\(echoed)", "outcome": "\(outcome.rawValue)", "pods": "\(released)",
                    ])
                }
            }
        }
    }

    /// Picks the candidates (DESIGN.md section 5); Events for pods left alone after `maxPlansPerPod`.
    private func selectCandidates(_ pods: [Pod], now: Date) async -> Set<ObjectKey> {
        var candidates: Set<ObjectKey> = []
        var exhausted: [(Pod, Int)] = []
        state.withLock { s in
            for pod in pods {
                switch s.ledger.decide(pod, now: now, nodesVersion: s.nodesVersion, config: config, quota: quota) {
                case .candidate: candidates.insert(pod.key)
                case .exhausted(let n): if s.ledger.markExhaustedNotified(pod.key) { exhausted.append((pod, n)) }
                default: break
                }
            }
        }
        for (pod, n) in exhausted {
            await recorder.record(
                pod, type: .warning, reason: PlanNotes.leftAloneReason,
                message: "n8s planned MIG devices for this pod \(n) times (maxPlansPerPod \(config.maxPlansPerPod)) and it is still unschedulable; the partitioner leaves it alone")
        }
        return candidates
    }

    /// The latest time to run again: batch deadline, ack timeouts, stalled retries, expiries.
    private func nextAction(now: Date) -> Action {
        let ttl = config.plannedPodTTL.seconds
        let next: Date? = state.withLock { s in
            var times: [Date] = []
            if let d = s.window.deadline { times.append(d) }
            for ack in s.acks.values {
                if ack.stalledAt == nil { times.append(ack.since.addingTimeInterval(config.planAckTimeout.seconds)) }
                if let r = ack.nextRetryAt { times.append(r) }
            }
            for r in s.ledger.records.values {
                if let res = r.reservation { times.append(res.at.addingTimeInterval(ttl)) }
                if let held = r.heldAt { times.append(held.at.addingTimeInterval(ttl)) }
            }
            return times.min()
        }
        guard let next else { return .awaitChange }
        return .requeue(after: .seconds(max(0, next.timeIntervalSince(now))))
    }
}
