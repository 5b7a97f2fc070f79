import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import Synchronization

/// The GPU partitioner's decision step (design.md section 5): from the pod and node caches to
/// spec annotations, node conditions and Events.
///
/// ``reconcile()`` is called by ``GPUPartitionerService`` whenever a change that matters arrives
/// or the time it asked for has come, and only while this replica leads. Each call:
///
/// 1. forgets pods that bound or vanished, and releases reservations whose plan failed
///    (`status-partitioning-outcome` `Failed` or `PartiallyApplied` for that plan id) or expired;
///    a failed plan is not counted against its pods, and its node backs off (not planned for
///    `failedPlanRetryInitialSeconds`, doubling per failure in a row up to
///    `failedPlanRetryMaxSeconds`, reset by an `Applied` echo);
/// 2. reads each node's `N8sMigAgent` condition (``AgentReadiness``): a node whose agent says it
///    cannot act is not planned (`N8sMigPlanner=False`, reason `AgentNotReady`, with the agent's
///    message) and the pods reserved for it are released, refunded and told with an Event;
/// 3. tracks each node's last plan: a node whose agent has not echoed it within
///    `planAckTimeoutSeconds` is `Stalled` (condition, Event, reservations released, left out of
///    planning) and the plan is issued again under a new id with exponential backoff;
/// 4. sets the node condition `N8sMigPlanner` where it changed (`AgentNotReady`, `Stalled`,
///    `PlanFailed`, `UnknownModel`, `NoPlacementReport`, ... or `Plannable`; True with
///    `MigDevicesNotAdvertised` once the agent has reported free instances the node does not
///    advertise for `PlannerCondition.notAdvertisedGrace`), with an Event when it turns False or to `MigDevicesNotAdvertised`; each write is a JSON Patch whose `test`s refuse it when the condition
///    changed since it was read (a deposed leader's write fails like its plan writes);
/// 5. selects candidate pods and updates the batch window; when it is due, plans the batch and
///    writes each changed node in one JSON Patch (``PlanPatch``), then records Events;
/// 6. adopts nodes that report MIG devices but have no spec yet (case C31).
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

    /// A node backing off after its agent did not apply a plan (`Failed` or `PartiallyApplied`).
    struct NodeFailure: Sendable, Hashable {
        /// Failed plans in a row (reset by an `Applied` echo).
        var count: Int
        /// The last failed plan (each plan id counts once).
        var planID: String
        /// Not planned before this instant.
        var until: Date
        /// `true` once `until` passed and waiting pods were told (by a node-change bump).
        var isOver = false
    }

    struct State: Sendable {
        var ledger = PlanLedger()
        /// Nodes whose agent says it cannot act, as last seen (``AgentReadiness``).
        var agentBlocks: [String: AgentReadiness.Block] = [:]
        var failures: [String: NodeFailure] = [:]
        /// Per node, the plan last seen echoed `Applied` and when it was first seen so.
        var applied: [String: (planID: String, at: Date)] = [:]
        var window: BatchWindow
        var acks: [String: NodeAck] = [:]
        /// Bumped by every node change that matters (see ``ChangeRelevance``).
        var nodesVersion = 0
        /// The last condition written per node, to skip repeats while the cache catches up.
        var conditions: [String: PlannerCondition] = [:]
        /// When to try again a condition write that failed (refused by its `test`s, or an API error).
        var conditionRetryAt: Date?
        /// Plan or adoption writes refused in a row, and when to reconcile again for them: nothing
        /// else may change in the cluster to wake the partitioner (the pods stay candidates).
        var writeRetry: (failures: Int, at: Date)?
        /// Since when each node's agent report and allocatable have disagreed (``Plan/Disagreement``).
        var disagreeingSince: [String: Date] = [:]
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

    /// Starts a term of leadership from nothing: the ledger, plan tracking, backoffs, the batch
    /// and the memory of written conditions of an earlier term are dropped (another leader may
    /// have changed everything since), so every pending pod is a candidate again.
    public func startTerm() {
        state.withLock { s in
            let steps = s.steps
            s = State(window: BatchWindow(timeout: config.batchWindowTimeout, idle: config.batchWindowIdle))
            s.steps = steps
        }
    }

    /// The current batch (for tests and logs).
    public var window: BatchWindow { state.withLock { $0.window } }

    /// The current ledger (for tests and logs).
    public var ledger: PlanLedger { state.withLock { $0.ledger } }

    /// How many decision steps ran (each watch change that matters, or timer, causes one).
    public var steps: Int { state.withLock { $0.steps } }

    /// Nodes backing off after a failed plan, with the instant they are planned again.
    public var backingOff: [String: Date] {
        state.withLock { s in s.failures.filter { !$0.value.isOver }.mapValues(\.until) }
    }

    /// Names of nodes now `Stalled`.
    public var stalledNodes: Set<String> { state.withLock { Set($0.acks.filter { $0.value.stalledAt != nil }.keys) } }

    /// One decision step; never throws (failed writes are logged and retried by later steps).
    public func reconcile() async -> Action {
        let now = clock.now
        state.withLock { $0.steps += 1 }
        let allNodes = nodes.list().sorted { $0.name < $1.name }
        let allPods = pods.list()
        let podsByKey = Dictionary(allPods.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let views = NodeView.views(of: allNodes.filter { $0.metadata.labels?[MIGAnnotations.autoMIGEnabled] == "true" }, catalog: planner.catalog)
        releaseFinishedPlans(views: views, nodes: allNodes, pods: podsByKey, now: now)
        await noteAgentReadiness(allNodes, pods: podsByKey, now: now)
        await trackAcks(views: views, nodes: allNodes, now: now)
        await updateConditions(views: views, nodes: allNodes, pods: podsByKey, now: now)
        let candidates = await selectCandidates(allPods, now: now)
        let due = state.withLock { s -> Bool in
            s.window.update(candidates: candidates, now: now)
            return s.window.isDue(at: now)
        }
        var batch = (written: Set<String>(), refused: Set<String>())
        if due { batch = await planBatch(views: views, nodes: allNodes, pods: podsByKey, now: now) }
        let adoption = await adopt(views: views, nodes: allNodes, skipping: batch.written, now: now)
        noteWrites(refused: !batch.refused.isEmpty || adoption.refused, accepted: !batch.written.isEmpty || adoption.adopted, now: now)
        return nextAction(now: now)
    }

    /// Releases reservations of pods whose plan the agent reported as failed (refunded: the node,
    /// not the pod, was the problem) and backs the node off; forgets bound and gone pods; ends
    /// backoffs on an `Applied` echo or when their time is over (a node change for waiting pods).
    private func releaseFinishedPlans(views: [NodeView], nodes: [Node], pods: [ObjectKey: Pod], now: Date) {
        let nodesByName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        state.withLock { s in
            s.ledger.prune(pods: pods, now: now, ttl: config.plannedPodTTL)
            for (name, failure) in s.failures where !failure.isOver && now >= failure.until {
                s.failures[name]?.isOver = true
                s.nodesVersion += 1
            }
            for view in views {
                guard let echoed = view.annotations.statusPlanID, let outcome = view.annotations.outcome else { continue }
                if outcome == .applied {
                    if !view.isAwaitingEcho { s.failures[view.name] = nil }
                    if s.applied[view.name]?.planID != echoed { s.applied[view.name] = (echoed, now) }
                    continue
                }
                if s.failures[view.name]?.planID != echoed {
                    let count = (s.failures[view.name]?.count ?? 0) + 1
                    let wait = Self.failedPlanBackoff(config).delay(afterFailures: count)
                    // A failure an earlier term (or replica) already backed off for counts from
                    // then, not from now: else every new term would keep the node out again.
                    let earlier = s.failures[view.name] == nil ? nodesByName[view.name].flatMap { PlannerCondition.backoffStart(of: echoed, on: $0) } : nil
                    let until = (earlier ?? now).addingTimeInterval(wait.seconds)
                    s.failures[view.name] = NodeFailure(count: count, planID: echoed, until: until, isOver: until <= now)
                    if until > now {
                        logger.warning("the MIG agent did not apply a plan; node backs off", metadata: [
                            "k8s.name": "\(view.name)", "plan": "\(echoed)", "outcome": "\(outcome.rawValue)", "retry.in": "\(until.timeIntervalSince(now)) seconds",
                        ])
                    }
                }
                let released = s.ledger.release(refund: true) { _, r in r.node == view.name && r.planID == echoed }
                if !released.isEmpty {
                    logger.info("plan not applied; pods released", metadata: [
                        "k8s.name": "\(view.name)", "plan": "\(echoed)", "outcome": "\(outcome.rawValue)", "pods": "\(released)",
                    ])
                }
            }
            // Applied (or already there), yet the pod did not bind within the grace: released, so
            // the next round plans from the cluster as it is now instead of waiting out the TTL.
            let grace = config.unboundAfterApplied.seconds
            let applied = s.applied
            let late = s.ledger.release { _, r in
                guard let since = Self.appliedSince(r, applied: applied) else { return false }
                return now.timeIntervalSince(since) >= grace
            }
            if !late.isEmpty {
                logger.info("applied plan did not bind its pods; pods released", metadata: ["pods": "\(late)", "after": "\(config.unboundAfterApplied)"])
            }
        }
    }

    /// When `reservation`'s devices became available: the reservation itself when it is for
    /// devices that existed already, the first `Applied` echo of its plan otherwise; `nil` while
    /// the plan is not applied.
    static func appliedSince(_ reservation: Reservation, applied: [String: (planID: String, at: Date)]) -> Date? {
        if reservation.planID == existingDevicesPlan { return reservation.at }
        guard let a = applied[reservation.node], a.planID == reservation.planID else { return nil }
        return max(a.at, reservation.at)
    }

    /// The plan id of reservations for devices that exist already (no node change).
    static let existingDevicesPlan = "(existing devices)"

    /// Picks the candidates (design.md section 5); Events for pods left alone after `maxPlansPerPod`.
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
            for failure in s.failures.values where !failure.isOver { times.append(failure.until) }
            if let retry = s.conditionRetryAt { times.append(retry) }
            if let retry = s.writeRetry { times.append(retry.at) }
            for since in s.disagreeingSince.values where now < since.addingTimeInterval(PlannerCondition.notAdvertisedGrace.seconds) {
                times.append(since.addingTimeInterval(PlannerCondition.notAdvertisedGrace.seconds))
            }
            for ack in s.acks.values {
                if ack.stalledAt == nil { times.append(ack.since.addingTimeInterval(config.planAckTimeout.seconds)) }
                if let r = ack.nextRetryAt { times.append(r) }
            }
            for r in s.ledger.records.values {
                if let res = r.reservation { times.append(res.at.addingTimeInterval(ttl)) }
                if let res = r.reservation, let since = Self.appliedSince(res, applied: s.applied) {
                    times.append(since.addingTimeInterval(config.unboundAfterApplied.seconds))
                }
                if let held = r.heldAt { times.append(held.at.addingTimeInterval(ttl)) }
            }
            return times.min()
        }
        guard let next else { return .awaitChange }
        return .requeue(after: .seconds(max(0, next.timeIntervalSince(now))))
    }
}

extension GPUPartitioner {
    /// The wait before reconciling again after refused plan or adoption writes: 2 s doubling to 5 min.
    static let refusedWriteBackoff = Backoff(initial: .seconds(2), maximum: .seconds(300))

    /// Records the outcome of this step's plan and adoption writes: a refused one schedules a
    /// reconcile (backing off while they keep failing); all accepted ends the backoff.
    func noteWrites(refused: Bool, accepted: Bool, now: Date) {
        state.withLock { s in
            if refused {
                let failures = (s.writeRetry?.failures ?? 0) + 1
                s.writeRetry = (failures, now.addingTimeInterval(Self.refusedWriteBackoff.delay(afterFailures: failures).seconds))
            } else if accepted || s.writeRetry.map({ now >= $0.at }) == true {
                s.writeRetry = nil
            }
        }
    }

    /// The per-node backoff after failed plans (no jitter: tests on a manual clock know every wait).
    static func failedPlanBackoff(_ config: PartitionerConfig) -> Backoff {
        Backoff(initial: .seconds(config.failedPlanRetryInitialSeconds), maximum: .seconds(config.failedPlanRetryMaxSeconds))
    }

    /// Nodes left out of planning now, with why (for the snapshot, adoption and pods' Events):
    /// the agent cannot act, or the node backs off after a failed plan.
    func excludedNodes(now: Date) -> [String: String] {
        state.withLock { s in
            var out: [String: String] = [:]
            for (name, failure) in s.failures where !failure.isOver && now < failure.until {
                out[name] = "node \(name) backs off after its MIG agent did not apply plan \(failure.planID) (planned again from \(RFC3339.format(failure.until)))"
            }
            for (name, block) in s.agentBlocks { out[name] = "node \(name) is not planned: \(block)" }
            return out
        }
    }
}
