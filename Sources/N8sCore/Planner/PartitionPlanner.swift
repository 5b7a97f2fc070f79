import KubeCore

/// Chooses new MIG layouts so that as many pending pods as possible can run (DESIGN.md section 5).
///
/// Objective, in order: (1) pods fitted, compared lexicographically from the highest priority
/// down; (2) fewest free instances destroyed, then fewest GPUs changed; (3) the largest run of
/// free-or-idle units per GPU, summed. Never removes a used (or reserved) instance; never leaves a
/// MIG-enabled GPU empty; unknown models and malformed nodes are skipped with a reason.
///
/// Method: pods in order of priority (high first), then fewest grid units, then name; each goes to
/// the node and GPUs of least cost (existing free instance < adding to a GPU already changing <
/// changing a new GPU < destroying free instances), nodes in name order on ties. Layout search
/// keeps every existing instance at its start and prefers long free runs. Pure and deterministic.
///
/// Complexity: near-linear in nodes and pods. Each kind of pod (constraints and MIG devices) keeps
/// a ``PlacementIndex`` of nodes by cost bound, refined lazily and re-bounded only for the node a
/// placement changed, so a pod does not scan every node (see ``Engine``).
public struct PartitionPlanner: Sendable {
    public var catalog: MIGCatalog

    public init(catalog: MIGCatalog) { self.catalog = catalog }

    /// Plans from a snapshot.
    /// - Parameters:
    ///   - nodes: the cluster's nodes (unlabelled, unready, cordoned or unknown ones are skipped).
    ///   - pods: every pod; bound, non-terminal ones count against their node.
    ///   - pending: the pods to plan for (see ``PendingPod/notCandidateReason(_:)``).
    ///   - planID: the id written into the spec annotations.
    public func plan(nodes: [Node], pods: [Pod], pending: [PendingPod], planID: String) -> Plan {
        let state = PlanningState(nodes: nodes, pods: pods, catalog: catalog)
        var best: Plan?
        // Small batches also try seeded shuffles within each priority level (cheap, and closes most
        // of the gap to the exhaustive optimum); large ones keep the three fixed orders.
        let orders: [Order] = pending.count <= 64
            ? [.smallFirst, .largeFirst, .constrainedFirst] + (1...16).map { Order.shuffled(seed: UInt64($0)) }
            : pending.count <= 1_000 ? [.smallFirst, .largeFirst, .constrainedFirst] : [.smallFirst]
        let shapes = shapes(of: pending)
        for order in orders {
            let plan = run(state, pending: pending, shapes: shapes, order: order, planID: planID)
            if best == nil || plan.score.isBetter(than: best!.score) { best = plan }
            if best!.score.fitted == pending.count && best!.score.freeInstancesDestroyed == 0 { break }
        }
        return best!
    }

    /// Orders tried within one priority level; the best plan by the objective wins. Batches over 1,000 pods use small-first only.
    enum Order { case smallFirst, largeFirst, constrainedFirst, shuffled(seed: UInt64) }

    private func run(
        _ initial: PlanningState, pending: [PendingPod], shapes: [(units: Int, flexibility: Int)], order: Order, planID: String
    ) -> Plan {
        var state = initial
        var engine = Engine(nodes: state.nodes, pending: pending)
        var rng = SplitMix64(seed: { if case .shuffled(let s) = order { s } else { 0 } }())
        let keys = shapes.map { (units: $0.units, flexibility: $0.flexibility, random: rng.next()) }
        let sorted = pending.indices.sorted { a, b in
            let (pa, pb) = (pending[a], pending[b])
            if pa.priority != pb.priority { return pa.priority > pb.priority }
            switch order {
            case .smallFirst: if keys[a].units != keys[b].units { return keys[a].units < keys[b].units }
            case .largeFirst: if keys[a].units != keys[b].units { return keys[a].units > keys[b].units }
            case .constrainedFirst:
                if keys[a].flexibility != keys[b].flexibility { return keys[a].flexibility < keys[b].flexibility }
            case .shuffled: if keys[a].random != keys[b].random { return keys[a].random < keys[b].random }
            }
            return (pa.namespace, pa.name, a) < (pb.namespace, pb.name, b)
        }
        var outcomes = [Plan.PodOutcome?](repeating: nil, count: pending.count)
        var fitted: [Int32: Int] = [:]
        for i in sorted {
            let result = engine.place(pending[i])
            outcomes[i] = result
            fitted[pending[i].priority, default: 0] += result.fits ? 1 : 0
        }
        state.nodes = engine.nodes
        return finish(state, outcomes: outcomes.compactMap { $0 }, fitted: fitted, planID: planID)
    }

    /// Grid units and flexibility of each pod, the keys of the fixed orders.
    /// - Complexity: O(pods × devices), plus O(models × profiles) per distinct profile.
    private func shapes(of pending: [PendingPod]) -> [(units: Int, flexibility: Int)] {
        var known: [String: Int] = [:]
        return pending.map { pod in
            var best = Int.max
            for profile in pod.devices.keys {
                if known[profile] == nil { known[profile] = flexibility(profile) }
                best = min(best, known[profile] ?? Int.max)
            }
            return (units(pod), best)
        }
    }

    /// Fewest allowed starts of `profile` on any catalog model (4g/7g: 1, 3g: 2, 1g: 7).
    private func flexibility(_ profile: String) -> Int {
        var best = Int.max
        for m in catalog.models { if let p = m.profile(named: profile), p.isPlaceable { best = min(best, p.placements.count) } }
        return best
    }

    private func units(_ pod: PendingPod) -> Int {
        pod.devices.reduce(0) { sum, d in
            let gb = ProfileGrammar.parse(d.key[...])?.g ?? 1
            return sum + gb * d.value
        }
    }

    private func finish(_ state: PlanningState, outcomes: [Plan.PodOutcome], fitted: [Int32: Int], planID: String) -> Plan {
        var changes: [Plan.NodeChange] = []
        var destroyed = 0
        var changed = 0
        var runSum = 0
        for node in state.nodes {
            var gpus: [Plan.GPUChange] = []
            for g in node.gpus {
                let layout = g.finalLayout()
                let before = g.original.map(\.placed).sorted()
                var occupied: UInt32 = 0
                let idle = Set(g.kept.indices.filter { !g.claimed[$0] && !g.kept[$0].isUsed }.map { g.kept[$0].placed })
                for i in layout where !idle.contains(i) { occupied |= g.space.mask(g.space.profileIndex(i.profile) ?? 0, i.start) }
                runSum += g.space.longestFreeRun(occupied)
                guard layout != before else { continue }
                changed += 1
                destroyed += g.destroyed.count
                gpus.append(Plan.GPUChange(
                    index: g.index, from: Geometries.of(before), to: Geometries.of(layout), placements: layout,
                    destroyed: g.destroyed.sorted()))
            }
            if !gpus.isEmpty { changes.append(Plan.NodeChange(name: node.name, gpus: gpus)) }
        }
        return Plan(
            planID: planID, nodes: changes, pods: outcomes, skippedNodes: state.skipped,
            score: Plan.Score(fittedByPriority: fitted, freeInstancesDestroyed: destroyed, gpusChanged: changed, freeRunSum: runSum))
    }
}
