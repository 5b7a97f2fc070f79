import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import N8sCore

extension SimScheduler {
    /// The outcome of scheduling one pod.
    enum Outcome: Sendable, Equatable {
        case bound(node: String)
        case unschedulable(message: String)
        case failed(message: String)
        /// The binding met a conflict: not assumed, no condition written; the next pass sees
        /// whether the pod was bound meanwhile.
        case requeued
    }

    /// `true` when this scheduler should place `pod` now.
    func isQueued(_ pod: Pod) -> Bool {
        (pod.spec.nodeName ?? "").isEmpty && pod.metadata.deletionTimestamp == nil && !(pod.status?.isTerminal ?? false)
            && configuration.schedulerNames.contains(pod.spec.schedulerName ?? "default-scheduler")
    }

    /// Queue order: priority high to low, then creationTimestamp old to new, then key.
    static func precedes(_ a: Pod, _ b: Pod) -> Bool {
        let (pa, pb) = (a.spec.priority ?? 0, b.spec.priority ?? 0)
        if pa != pb { return pa > pb }
        let (ta, tb) = (a.metadata.creationTimestamp ?? .distantPast, b.metadata.creationTimestamp ?? .distantPast)
        if ta != tb { return ta < tb }
        return a.key < b.key
    }

    /// One pass over every queued pod, in queue order, against the stores' current view. The
    /// nodes are read again for each pod, as kube-scheduler updates its snapshot every scheduling
    /// cycle: a pass can outlast a device plugin's pause (extender calls, status writes), and a
    /// node view taken when the pass began would bind pods to MIG devices the node had already
    /// stopped advertising, which no real scheduler does that late.
    func pass(pods: Store<Pod>, nodes: Store<Node>, assumed: AssumedPods) async {
        let allPods = pods.list()
        var usage: [String: NodeUsage] = [:]
        for pod in allPods {
            guard let node = pod.spec.nodeName, !node.isEmpty, !(pod.status?.isTerminal ?? false) else { continue }
            usage[node, default: NodeUsage()].add(PodRequests(pod.spec))
        }
        let inFlight = assumed.pending(in: allPods)
        for (_, entry) in inFlight { usage[entry.node, default: NodeUsage()].add(entry.requests) }
        let queue = allPods.filter { isQueued($0) && inFlight[$0.key] == nil }.sorted(by: Self.precedes)
        // Pods alike (same requests and placement constraints) get the same verdict until a
        // binding changes the usage: the unschedulable ones are diagnosed once per pass.
        // Not with extenders, whose verdict may depend on anything in the pod.
        var unschedulable: [EquivalenceKey: String] = [:]
        for pod in queue {
            if Task.isCancelled { return }
            let allNodes = nodes.list().sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
            let requests = PodRequests(pod.spec)
            let key = EquivalenceKey(pod.spec, requests)
            let outcome: Outcome
            if configuration.extenders.isEmpty, let message = unschedulable[key] {
                outcome = .unschedulable(message: message)
            } else {
                outcome = await schedule(pod, requests: requests, nodes: allNodes, usage: usage)
            }
            switch outcome {
            case .bound(let node):
                unschedulable.removeAll()
                usage[node, default: NodeUsage()].add(requests)
                assumed.assume(pod.key, on: node, requests: requests)
                logger.debug("bound", metadata: ["k8s.namespace": "\(pod.metadata.namespace ?? "")", "k8s.name": "\(pod.name)", "k8s.node": "\(node)"])
            case .unschedulable(let message):
                unschedulable[key] = message
                await writeCondition(pod, reason: "Unschedulable", message: message)
            case .failed(let message):
                await writeCondition(pod, reason: "SchedulerError", message: message)
            case .requeued:
                break
            }
        }
    }

    /// Filters, scores and binds one pod.
    func schedule(_ pod: Pod, requests: PodRequests, nodes: [Node], usage: [String: NodeUsage]) async -> Outcome {
        var verdicts: [String: FitDiagnosis.NodeVerdict] = [:]
        var feasible: [Node] = []
        for node in nodes {
            let name = node.metadata.name ?? ""
            if let verdict = SchedulingPredicates.verdict(for: pod.spec, requests: requests, on: node, usage: usage[name] ?? NodeUsage()) {
                verdicts[name] = verdict
            } else {
                feasible.append(node)
            }
        }
        for extender in configuration.extenders where !feasible.isEmpty && extender.filterVerb != nil {
            guard extender.isInterested(requesting: requests.resources) else { continue }
            let result: ExtenderFilterResult
            do { result = try await ExtenderCaller(config: extender, http: httpClient).filter(pod, nodes: feasible) } catch {
                if extender.ignorable {
                    logger.warning("ignorable extender failed; skipped", metadata: ["error": "\(error)"])
                    continue
                }
                return .failed(message: Self.text(of: error))
            }
            let passing = Set(result.nodeNames ?? [])
            for (name, reason) in result.failedNodes ?? [:] { verdicts[name] = FitDiagnosis.NodeVerdict(reasons: [reason], isUnresolvable: false) }
            for (name, reason) in result.failedAndUnresolvableNodes ?? [:] {
                verdicts[name] = FitDiagnosis.NodeVerdict(reasons: [reason], isUnresolvable: true)
            }
            feasible = feasible.filter { passing.contains($0.metadata.name ?? "") }
        }
        guard !feasible.isEmpty else {
            return .unschedulable(message: FitDiagnosis(nodeCount: nodes.count, verdicts: verdicts).message)
        }
        let best = feasible.max { a, b in
            let sa = SchedulingPredicates.leastAllocatedScore(requests: requests, on: a, usage: usage[a.metadata.name ?? ""] ?? NodeUsage())
            let sb = SchedulingPredicates.leastAllocatedScore(requests: requests, on: b, usage: usage[b.metadata.name ?? ""] ?? NodeUsage())
            return sa != sb ? sa < sb : (a.metadata.name ?? "") > (b.metadata.name ?? "")
        }!
        let node = best.metadata.name ?? ""
        do {
            if let binder = configuration.extenders.first(where: { $0.bindVerb != nil && $0.isInterested(requesting: requests.resources) }) {
                try await ExtenderCaller(config: binder, http: httpClient).bind(pod, to: node)
            } else {
                try await client.resource(Pod.self, in: pod.metadata.namespace).bind(pod.name, to: node)
            }
            return .bound(node: node)
        } catch let error as KubeClientError where error.isConflict {
            // As kube-scheduler, a failed binding is forgotten and the pod requeued; if it was
            // bound meanwhile, the watch shows it and it leaves the queue. (Taking a 409 for
            // "bound" kept a pod whose binding had failed out of the queue for good.)
            return .requeued
        } catch {
            return .failed(message: "Binding rejected: \(Self.text(of: error))")
        }
    }

    /// Sets `PodScheduled=False` with `reason` and `message` unless the pod already says so.
    /// A write that loses a race (409) is dropped: the next pass writes it again if still needed.
    func writeCondition(_ pod: Pod, reason: String, message: String) async {
        if let current = pod.status?.condition("PodScheduled"), current.status == "False", current.reason == reason, current.message == message {
            return
        }
        var updated = pod
        var status = updated.status ?? PodStatus(phase: "Pending")
        if status.phase == nil { status.phase = "Pending" }
        // As kube-scheduler (UpdatePodCondition): the transition time moves only when the status does.
        let previous = status.condition("PodScheduled")
        let since = previous?.status == "False" ? previous?.lastTransitionTime ?? clock.now : clock.now
        status.setCondition(PodCondition(type: "PodScheduled", status: "False", reason: reason, message: message, lastTransitionTime: since))
        updated.status = status
        do {
            _ = try await client.resource(Pod.self, in: pod.metadata.namespace).updateStatus(updated)
        } catch {
            logger.debug("condition not written", metadata: ["k8s.name": "\(pod.name)", "error": "\(error)"])
        }
    }

    /// What the predicates read of a pod: pods with equal keys fit the same nodes.
    struct EquivalenceKey: Hashable {
        var requests: PodRequests
        var nodeSelector: [String: String]?
        var affinity: Affinity?
        var tolerations: [Toleration]?

        init(_ spec: PodSpec, _ requests: PodRequests) {
            self.requests = requests
            nodeSelector = spec.nodeSelector
            affinity = spec.affinity
            tolerations = spec.tolerations
        }
    }

    static func text(of error: any Error) -> String {
        if let error = error as? SimulationError, case .extender(_, let reason) = error { return reason }
        return "\(error)"
    }
}
