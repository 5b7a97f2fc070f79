import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import N8sCore

extension GPUPartitioner {
    /// Follows each node's last plan until its agent echoes it; marks `Stalled` after
    /// `planAckTimeoutSeconds`, releases its pods, and re-issues the plan with backoff.
    func trackAcks(views: [NodeView], nodes: [Node], now: Date) async {
        let byName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for view in views {
            guard let node = byName[view.name] else { continue }
            let awaiting = view.isAwaitingEcho ? view.annotations.specPlanID : nil
            enum Step { case none, stalled(String, [ObjectKey]), retry(Int), recovered }
            let step = state.withLock { s -> Step in
                guard let planID = awaiting else {
                    let wasStalled = s.acks[view.name]?.stalledAt != nil
                    s.acks[view.name] = nil
                    return wasStalled ? .recovered : .none
                }
                var ack = s.acks[view.name] ?? NodeAck(planID: planID, since: now)
                if ack.planID != planID { ack = NodeAck(planID: planID, since: now, stalledAt: ack.stalledAt, retries: ack.retries, nextRetryAt: ack.nextRetryAt) }
                defer { s.acks[view.name] = ack }
                if ack.stalledAt == nil, now.timeIntervalSince(ack.since) >= config.planAckTimeout.seconds {
                    ack.stalledAt = now
                    ack.nextRetryAt = now.addingTimeInterval(config.stalledRetryInitial.seconds)
                    let released = s.ledger.release { _, r in r.node == view.name }
                    return .stalled(planID, released)
                }
                if ack.stalledAt != nil, let retry = ack.nextRetryAt, now >= retry { return .retry(ack.retries) }
                return .none
            }
            switch step {
            case .none: break
            case .recovered:
                logger.info("agent echoed the plan; node no longer stalled", metadata: ["k8s.name": "\(view.name)"])
                await recorder.record(node, reason: PlanNotes.recoveredReason, message: "the MIG agent echoed plan \(view.annotations.statusPlanID ?? ""); planning resumes")
            case .stalled(let planID, let released):
                logger.warning("node stalled", metadata: ["k8s.name": "\(view.name)", "plan": "\(planID)", "pods.released": "\(released)"])
                await recorder.record(
                    node, type: .warning, reason: PlanNotes.stalledReason,
                    message: "the MIG agent has not echoed plan \(planID) within \(config.planAckTimeoutSeconds) s; \(released.count) pod(s) released, retrying with backoff")
            case .retry(let retries):
                // Re-issuing to an agent that says it cannot act changes nothing; wait for it.
                if state.withLock({ $0.agentBlocks[view.name] }) == nil { await reissue(node, retries: retries, now: now) }
            }
        }
        let stalled = state.withLock { s in s.acks.values.filter { $0.stalledAt != nil }.count }
        metrics.stalledNodes.record(stalled)
    }

    /// Issues the spec again under a new plan id (the spec itself unchanged), so an agent that
    /// missed it acts; the next retry waits twice as long, up to `stalledRetryMaxSeconds`.
    private func reissue(_ node: Node, retries: Int, now: Date) async {
        let planID = newPlanID()
        let wait = min(config.stalledRetryInitial.seconds * pow(2, Double(retries + 1)), config.stalledRetryMax.seconds)
        do {
            _ = try await client.resource(Node.self).patch(node.name, .json(PlanPatch.reissue(for: node, planID: planID)))
            logger.info("re-issued plan to a stalled node", metadata: ["k8s.name": "\(node.name)", "plan": "\(planID)", "retry.in": "\(wait)s"])
            state.withLock { s in
                s.acks[node.name]?.planID = planID
                s.acks[node.name]?.retries = retries + 1
                s.acks[node.name]?.nextRetryAt = now.addingTimeInterval(wait)
            }
        } catch {
            logger.warning("could not re-issue plan", metadata: ["k8s.name": "\(node.name)", "error": "\(error)"])
            state.withLock { s in s.acks[node.name]?.nextRetryAt = now.addingTimeInterval(config.stalledRetryInitial.seconds) }
        }
    }

    /// Follows each labelled node's `N8sMigAgent` condition (``AgentReadiness``). When a node's
    /// agent starts saying it cannot act, the pods reserved for it are released (refunded: the
    /// node was the problem) and each gets a Warning Event naming the node and the agent's words.
    func noteAgentReadiness(_ nodes: [Node], pods: [ObjectKey: Pod], now: Date) async {
        var blocks: [String: AgentReadiness.Block] = [:]
        for node in nodes where node.metadata.labels?[MIGAnnotations.autoMIGEnabled] == "true" {
            if let block = AgentReadiness.block(of: node) { blocks[node.name] = block }
        }
        let released = state.withLock { s -> [(String, AgentReadiness.Block, [ObjectKey])] in
            var out: [(String, AgentReadiness.Block, [ObjectKey])] = []
            for (name, block) in blocks.sorted(by: { $0.key < $1.key }) where s.agentBlocks[name] == nil {
                out.append((name, block, s.ledger.release(refund: true) { _, r in r.node == name }))
            }
            if s.agentBlocks != blocks { s.nodesVersion += 1 }
            s.agentBlocks = blocks
            return out
        }
        for (name, block, keys) in released {
            logger.warning("the MIG agent cannot act; node not planned", metadata: [
                "k8s.name": "\(name)", "reason": "\(block.reason)", "pods.released": "\(keys)",
            ])
            for key in keys {
                guard let pod = pods[key] else { continue }
                await recorder.record(
                    pod, type: .warning, reason: PlannerCondition.agentNotReady,
                    message: "node \(name) was planned for this pod, but \(block); the pod is planned again elsewhere or once the agent recovers")
            }
        }
    }

    /// Writes `N8sMigPlanner` where it differs, with a Warning Event on the node when it turns
    /// False or to `MigDevicesNotAdvertised`. Each write is fenced (``PlannerCondition/fencedPatch(on:now:)``): refused when the
    /// node's condition changed since it was read, as a deposed leader's would be.
    /// A node whose agent reports more free instances than it advertises (by the partitioner's
    /// snapshot rule) for ``PlannerCondition/notAdvertisedGrace`` carries `MigDevicesNotAdvertised`
    /// (True: still planned); not while it awaits the agent's echo (its layout is then the spec's,
    /// which the device plugin cannot advertise yet).
    func updateConditions(views: [NodeView], nodes: [Node], pods: [ObjectKey: Pod], now: Date) async {
        let snap = snapshot(nodes: nodes, pods: pods, now: now)
        let found = Dictionary(grouping: planner.disagreements(nodes: snap.nodes, pods: snap.pods), by: \.node)
            .filter { name, _ in views.first { $0.name == name }?.isAwaitingEcho != true }
        let disagreements = state.withLock { s -> [String: [Plan.Disagreement]] in
            s.disagreeingSince = s.disagreeingSince.filter { found[$0.key] != nil }
            for name in found.keys where s.disagreeingSince[name] == nil { s.disagreeingSince[name] = now }
            return found.filter { name, _ in
                guard let since = s.disagreeingSince[name] else { return false }
                return now.timeIntervalSince(since) >= PlannerCondition.notAdvertisedGrace.seconds
            }
        }
        let byName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        state.withLock { $0.conditionRetryAt = nil }
        for view in views {
            guard let node = byName[view.name] else { continue }
            let (stalledPlan, agent, failure) = state.withLock { s in
                (s.acks[view.name].flatMap { $0.stalledAt != nil ? $0.planID : nil }, s.agentBlocks[view.name], s.failures[view.name])
            }
            var backoff: (planID: String, until: Date)?
            if let f = failure, !f.isOver, now < f.until { backoff = (f.planID, f.until) }
            guard
                let desired = PlannerCondition.desired(
                    for: view, agent: agent, stalledPlan: stalledPlan, planAckTimeout: config.planAckTimeout, backoff: backoff,
                    disagreements: disagreements[view.name] ?? []),
                !desired.isCurrent(on: node)
            else { continue }
            let isRepeat = state.withLock { $0.conditions[view.name] == desired }
            if isRepeat { continue }
            do {
                _ = try await client.resource(Node.self).patch(node.name, .json(desired.fencedPatch(on: node, now: now)), subresource: "status")
                state.withLock { $0.conditions[view.name] = desired }
                logger.info("node condition", metadata: [
                    "k8s.name": "\(view.name)", "condition": "\(PlannerCondition.type)", "reason": "\(desired.reason)",
                ])
                if !desired.isPlannable && desired.reason != "Stalled" || desired.reason == PlannerCondition.notAdvertised {
                    await recorder.record(node, type: .warning, reason: desired.reason, message: desired.message)
                }
            } catch {
                // Refused (the node changed since it was read, or a newer leader wrote) or failed:
                // tried again from a fresher cache shortly.
                state.withLock { $0.conditionRetryAt = now.addingTimeInterval(2) }
                logger.warning("could not set node condition", metadata: ["k8s.name": "\(view.name)", "error": "\(error)"])
            }
        }
    }

    /// Adoption (case C31): writes the current layout as spec on nodes that report MIG devices
    /// but have no spec yet, except nodes this step already wrote or that are stalled.
    /// - Returns: whether a node was adopted, and whether an adoption write was refused.
    @discardableResult
    func adopt(views: [NodeView], nodes: [Node], skipping written: Set<String>, now: Date) async -> (adopted: Bool, refused: Bool) {
        var outcome = (adopted: false, refused: false)
        let byName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let excluded = excludedNodes(now: now)
        for view in views where !written.contains(view.name) && view.isReady && !view.isCordoned && excluded[view.name] == nil {
            guard let node = byName[view.name], let gpus = PlanPatch.adoptionSpec(of: view) else { continue }
            let planID = newPlanID()
            do {
                _ = try await client.resource(Node.self).patch(node.name, .json(PlanPatch.build(for: node, gpus: gpus, planID: planID)))
                state.withLock { $0.acks[view.name] = NodeAck(planID: planID, since: now) }
                outcome.adopted = true
                logger.info("adopted the node's current MIG layout as its spec", metadata: ["k8s.name": "\(view.name)", "plan": "\(planID)"])
                await recorder.record(
                    node, reason: "MigLayoutAdopted",
                    message: "n8s manages this node's MIG layout from now on, starting from the current one: "
                        + gpus.map { "GPU \($0.index): \(Geometries.describe($0.counts))" }.joined(separator: "; "))
            } catch {
                outcome.refused = true
                logger.warning("could not adopt node", metadata: ["k8s.name": "\(view.name)", "error": "\(error)"])
            }
        }
        return outcome
    }
}
