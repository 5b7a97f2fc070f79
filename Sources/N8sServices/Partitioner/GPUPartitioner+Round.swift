import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import N8sCore

extension GPUPartitioner {
    /// The planner's input, from the caches: N8sCore's ``PlanningSnapshot`` rule (shared with
    /// `n8s plan`), with this replica's stalled nodes and in-flight reservations.
    func snapshot(nodes: [Node], pods: [ObjectKey: Pod], now: Date) -> PlanningSnapshot {
        let (stalled, reservations) = state.withLock { s in
            (Set(s.acks.filter { $0.value.stalledAt != nil }.keys), s.ledger.reservations(now: now, ttl: config.plannedPodTTL))
        }
        return PlanningSnapshot(
            nodes: nodes, pods: pods.values, stalled: stalled, excluded: excludedNodes(now: now),
            reservations: reservations.mapValues(\.node))
    }

    /// Plans the batch, writes each changed node, records reservations, Events and metrics.
    /// - Returns: the nodes written, and those whose write the API refused (their pods stay
    ///   candidates; the caller schedules a retry).
    func planBatch(views: [NodeView], nodes: [Node], pods: [ObjectKey: Pod], now: Date) async -> (written: Set<String>, refused: Set<String>) {
        let (members, nodesVersion) = state.withLock { s in (s.window.members.sorted(), s.nodesVersion) }
        var pending: [PendingPod] = []
        var pendingPods: [Pod] = []
        var invalid: [(Pod, String)] = []
        for key in members {
            guard let pod = pods[key] else { continue }
            do {
                pending.append(try PendingPod(pod))
                pendingPods.append(pod)
            } catch { invalid.append((pod, error.description)) }
        }
        let snap = snapshot(nodes: nodes, pods: pods, now: now)
        let started = ContinuousClock.now
        let plan = planner.plan(nodes: snap.nodes, pods: snap.pods, pending: pending, planID: newPlanID())
        metrics.planningDuration.recordNanoseconds(Int64((ContinuousClock.now - started).seconds * 1e9))
        metrics.batches.increment()
        logger.info("planned a batch", metadata: [
            "pods": "\(pending.count)", "pods.fit": "\(plan.score.fitted)", "nodes.changed": "\(plan.nodes.count)",
            "instances.destroyed": "\(plan.score.freeInstancesDestroyed)",
        ])

        let viewsByName = Dictionary(views.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let nodesByName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for d in plan.disagreements {
            // A node awaiting the agent's echo is read from its spec, not advertised yet: no alarm.
            guard let node = nodesByName[d.node], viewsByName[d.node]?.isAwaitingEcho != true else { continue }
            await recorder.record(node, type: .warning, reason: PlanNotes.notAdvertisedReason, message: "\(d); its free instances are held back until they agree")
        }
        var written: [String: String] = [:]
        var refused: Set<String> = []
        var layouts: [String: [Int: [InstanceState]]] = [:]
        for change in plan.nodes {
            guard let node = nodesByName[change.name], let view = viewsByName[change.name] else { continue }
            let planID = newPlanID()
            let patch = PlanPatch.build(for: node, gpus: PlanPatch.fullSpec(of: view, changes: change.gpus), planID: planID)
            do {
                _ = try await client.resource(Node.self).patch(change.name, .json(patch))
                written[change.name] = planID
                metrics.nodesChanged.increment()
                state.withLock { $0.acks[change.name] = NodeAck(planID: planID, since: now) }
                logger.info("wrote plan", metadata: [
                    "k8s.name": "\(change.name)", "plan": "\(planID)",
                    "gpus": "\(change.gpus.map { "\($0.index): \(Geometries.describe($0.from)) -> \(Geometries.describe($0.to))" })",
                ])
            } catch {
                // A failed `test` (422) means the node changed since it was read, or another writer
                // (a newer leader) planned it: its pods stay candidates for the next batch.
                refused.insert(change.name)
                logger.warning("plan refused; its pods stay candidates and are planned again after a backoff", metadata: ["k8s.name": "\(change.name)", "error": "\(error)"])
            }
            layouts[change.name] = Self.layout(of: view, after: change)
        }

        // Nodes that cannot change now because their agent has not echoed the last plan: said in
        // the Event, since the pod is planned again once they report.
        let snapshotNames = Set(snap.nodes.map(\.name))
        let awaiting = views.filter { $0.isAwaitingEcho && snapshotNames.contains($0.name) }.map(\.name).sorted()
        var waitNote = awaiting.isEmpty ? "" : "; node(s) \(awaiting.joined(separator: ", ")) wait for their MIG agent to apply the last plan and are planned again once it reports"
        let excluded = excludedNodes(now: now)
        for name in excluded.keys.sorted() where viewsByName[name]?.isReady == true { waitNote += "; " + excluded[name]! }
        var fittedByNode: [String: [(Pod, PendingPod)]] = [:]
        for (i, outcome) in plan.pods.enumerated() where i < pendingPods.count {
            let pod = pendingPods[i]
            if outcome.fits, let node = outcome.node {
                if refused.contains(node) { continue }
                fittedByNode[node, default: []].append((pod, pending[i]))
            } else {
                let reason = outcome.reason ?? "no layout fits"
                state.withLock { $0.ledger.recordUnplaceable(pod, at: now, nodesVersion: nodesVersion) }
                metrics.unplaceable(reason: reason)
                await recorder.record(pod, type: .warning, reason: PlanNotes.unplaceableReason, message: "no MIG layout can make room for this pod: \(reason)\(waitNote)")
            }
        }
        for (pod, reason) in invalid {
            state.withLock { $0.ledger.recordUnplaceable(pod, at: now, nodesVersion: nodesVersion) }
            metrics.unplaceable(reason: reason)
            await recorder.record(pod, type: .warning, reason: PlanNotes.unplaceableReason, message: "n8s cannot plan for this pod: \(reason)")
        }
        for (node, fitted) in fittedByNode.sorted(by: { $0.key < $1.key }) {
            let view = viewsByName[node]
            // Pods fitting devices that exist already are tied to the plan still awaited, if any,
            // so that its failure releases them; else to no plan (an old plan's outcome is no news).
            let awaited = view?.isAwaitingEcho == true ? view?.annotations.specPlanID : nil
            let planID = written[node] ?? awaited ?? Self.existingDevicesPlan
            let layout = layouts[node] ?? view.map { Self.layout(of: $0, after: nil) } ?? [:]
            let notes = PlanNotes.gpus(layout: layout, pods: fitted.map(\.1.devices))
            for ((pod, _), devices) in zip(fitted, notes) {
                state.withLock { $0.ledger.reserve(pod, node: node, planID: planID, at: now) }
                metrics.podsPlanned.increment()
                await recorder.record(pod, reason: PlanNotes.plannedReason, message: PlanNotes.plannedMessage(node: node, devices: devices, planID: planID))
            }
        }
        state.withLock { $0.window.close() }
        return (Set(written.keys), refused)
    }

    /// A node's GPUs as the plan leaves them: changed GPUs get the target layout (instances in use
    /// stay used), the others keep their current instances.
    static func layout(of view: NodeView, after change: Plan.NodeChange?) -> [Int: [InstanceState]] {
        var out: [Int: [InstanceState]] = [:]
        for gpu in view.gpus where gpu.unplannable == nil {
            out[gpu.index] = gpu.instances ?? []
        }
        for g in change?.gpus ?? [] {
            let used = Set((out[g.index] ?? []).filter(\.isUsed).map(\.placed))
            out[g.index] = g.placements.map { InstanceState($0, isUsed: used.contains($0)) }
        }
        return out
    }
}
