import KubeCore

/// Chooses new MIG layouts so that as many pending pods as possible can run (design.md section 5).
///
/// Objective, in order: (1) pods fitted, compared lexicographically from the highest priority
/// down; (2) fewest free instances destroyed, then fewest GPUs changed, minimal for the pods
/// chosen; (3) the most room left for demand (``RoomMeasure``: what the free and idle units can
/// still hold, per profile at its allowed starts, weighted by recently seen demand). Never
/// removes a used (or reserved, or unadvertised) instance; never leaves a MIG-enabled GPU empty;
/// unknown models and malformed nodes are skipped with a reason.
///
/// Method: (a) which pods fit, and where: pods in order of priority (high first), then one of a
/// few orders within a priority; each goes to the node and GPUs of least cost (existing free
/// instance < adding to a GPU already changing < changing a new GPU < destroying free instances),
/// nodes in name order on ties, with a look-ahead when the least cost destroys. (b) For each
/// node that changes, the exact cheapest change of its GPUs for the devices of the pods it got
/// (``CheapestChange``). (c) New instances go where they leave the most room. The best plan over
/// the orders wins by the objective. Pure and deterministic.
///
/// Complexity: near-linear in nodes and pods. Each kind of pod (constraints and MIG devices) keeps
/// a ``PlacementIndex`` of nodes by cost bound, refined lazily and re-bounded only for the node a
/// placement changed, so a pod does not scan every node (see ``Engine``); step (b) is bounded per
/// node.
public struct PartitionPlanner: Sendable {
    public var catalog: MIGCatalog
    /// Whether step (a') runs (``Engine/repair(pending:initial:lean:outcomes:)``); tests turn it
    /// off to show what the greedy pass alone gives.
    var isRepairing = true

    public init(catalog: MIGCatalog) { self.catalog = catalog }

    /// Plans from a snapshot.
    /// - Parameters:
    ///   - nodes: the cluster's nodes (unlabelled, unready, cordoned or unknown ones are skipped).
    ///   - pods: every pod; bound, non-terminal ones count against their node.
    ///   - pending: the pods to plan for (see ``PendingPod/notCandidateReason(_:)``).
    ///   - planID: the id written into the spec annotations.
    public func plan(nodes: [Node], pods: [Pod], pending: [PendingPod], planID: String) -> Plan {
        var demand = DemandWeights()
        for p in pending { demand.add(p.devices) }
        let state = PlanningState(nodes: nodes, pods: pods, catalog: catalog, demand: demand)
        var best: (plan: Plan, nodes: [PlanningNode])?
        // Small batches also try seeded shuffles within each priority level (cheap, and closes most
        // of the gap to the exhaustive optimum); large ones keep the three fixed orders.
        let orders: [Order] = pending.count <= 64
            ? [.smallFirst, .leanFirst, .scarceFirst, .largeFirst, .constrainedFirst] + (1...16).map { Order.shuffled(seed: UInt64($0)) }
            : pending.count <= 1_000 ? [.smallFirst, .leanFirst, .scarceFirst, .largeFirst, .constrainedFirst] : [.smallFirst]
        let shapes = shapes(of: pending)
        let (lean, scarce) = footprints(of: pending, on: state.nodes)
        // Pods that fit no node even alone, counted once the first order has left them out: when
        // every other pod fits without a destroy, the other orders cannot do better.
        var cannotFit: Int?
        var bestOrder = orders[0]
        // Small batches repair the placement of every order (cheap); larger ones only the best.
        let repairsEach = isRepairing && pending.count <= 64
        for order in orders {
            let result = run(state, pending: pending, shapes: shapes, lean: lean, scarce: scarce, order: order, repair: repairsEach, planID: planID)
            if best == nil || result.plan.score.isBetter(than: best!.plan.score) { (best, bestOrder) = (result, order) }
            // Only worth counting when another order or the repair could still run.
            if cannotFit == nil && (orders.count > 1 || isRepairing && pending.count <= Self.repairLimit) {
                var statics: [ConstraintKey: [Bool]] = [:]
                cannotFit = result.plan.pods.indices.filter { i in
                    guard !result.plan.pods[i].fits else { return false }
                    let key = ConstraintKey(pending[i].spec)
                    if statics[key] == nil { statics[key] = state.nodes.map { NodeFit.staticFailure(of: pending[i].spec, on: $0.node) == nil } }
                    return !Engine.fitsAlone(pending[i], passes: statics[key] ?? [], on: state.nodes)
                }.count
            }
            if best!.plan.score.fitted + (cannotFit ?? 0) >= pending.count && best!.plan.score.freeInstancesDestroyed == 0 { break }
        }
        if let b = best, isRepairing, !repairsEach, pending.count <= Self.repairLimit,
            b.plan.score.fitted + (cannotFit ?? 0) < pending.count || b.plan.score.freeInstancesDestroyed > 0
        {
            let repaired = run(state, pending: pending, shapes: shapes, lean: lean, scarce: scarce, order: bestOrder, repair: true, planID: planID)
            if repaired.plan.score.isBetter(than: b.plan.score) { best = repaired }
        }
        guard let chosen = best else { return finish(state, outcomes: [], fitted: [:], planID: planID) }
        var plan = chosen.plan
        // Reasons once, on the final state of the chosen plan (pods of one kind and requests share one).
        let disagreements = Dictionary(grouping: state.disagreements, by: \.node)
        var known: [PodKind: String] = [:]
        for i in plan.pods.indices where !plan.pods[i].fits {
            let kind = PodKind(pending[i])
            if known[kind] == nil { known[kind] = Self.reason(for: pending[i], on: chosen.nodes, disagreements: disagreements) }
            plan.pods[i].reason = known[kind]
        }
        return plan
    }

    /// Pods that get the same reason: same requests and scheduling constraints.
    private struct PodKind: Hashable {
        var requests: PodRequests
        var selector: [String: String]?
        var affinity: Affinity?
        var tolerations: [Toleration]?

        init(_ pod: PendingPod) {
            requests = pod.requests
            selector = pod.spec.nodeSelector
            affinity = pod.spec.affinity
            tolerations = pod.spec.tolerations
        }
    }

    /// Largest batch the repair pass (``Engine/repair(pending:initial:lean:outcomes:)``) runs on.
    static let repairLimit = 1_000

    /// Orders tried within one priority level; the best plan by the objective wins. Batches over 1,000 pods use small-first only.
    /// `leanFirst`: smallest footprint first (MIG compute slices, CPU and memory, each relative to
    /// what an average node offers), so that where CPU or memory run short more pods fit.
    /// `scarceFirst`: smallest footprint with each resource weighed by how short it runs.
    enum Order { case smallFirst, leanFirst, scarceFirst, largeFirst, constrainedFirst, shuffled(seed: UInt64) }

    private func run(
        _ initial: PlanningState, pending: [PendingPod], shapes: [(units: Int, flexibility: Int)], lean: [Double], scarce: [Double],
        order: Order, repair: Bool,
        planID: String
    ) -> (plan: Plan, nodes: [PlanningNode]) {
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
            case .leanFirst: if lean[a] != lean[b] { return lean[a] < lean[b] }
            case .scarceFirst: if scarce[a] != scarce[b] { return scarce[a] < scarce[b] }
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
        var placed = outcomes.compactMap { $0 }
        if repair {
            engine.repair(pending: pending, initial: initial.nodes, lean: scarce, outcomes: &placed)
            fitted = [:]
            for (i, o) in placed.enumerated() { fitted[pending[i].priority, default: 0] += o.fits ? 1 : 0 }
        }
        state.nodes = engine.nodes
        cheapen(&state.nodes, from: initial.nodes, pending: pending, outcomes: &placed)
        return (finish(state, outcomes: placed, fitted: fitted, planID: planID), state.nodes)
    }

    /// Step (b): replaces each changed node's GPUs by the cheapest change for the devices of the
    /// pods placed there (``CheapestChange``), when the exact search stays within its budget, and
    /// says again which of those pods fit without a change.
    private func cheapen(_ nodes: inout [PlanningNode], from initial: [PlanningNode], pending: [PendingPod], outcomes: inout [Plan.PodOutcome]) {
        var podsOn: [String: [Int]] = [:]
        for (i, o) in outcomes.enumerated() where o.fits { if let n = o.node { podsOn[n, default: []].append(i) } }
        var cache = CheapestChange.OptionsCache()
        for n in nodes.indices where nodes[n].hasChangedGPU {
            let here = podsOn[nodes[n].name] ?? []
            var demand: [String: Int] = [:]
            for i in here { for (p, c) in pending[i].devices { demand[p, default: 0] += c } }
            let budget = nodes[n].gpus.reduce(0) { $0 + $1.destroyed.count }
            guard let gpus = CheapestChange.resolve(original: initial[n].gpus, demand: demand, destroyBudget: budget, cache: &cache) else { continue }
            nodes[n].place(gpus: gpus)
            // Existing instances handed out, by profile: pods that need nothing else fit without a change.
            var handed: [String: Int] = [:]
            for g in gpus { for (k, i) in g.kept.enumerated() where g.claimed[k] { handed[MIGProfile.resourceForm(of: i.placed.profile), default: 0] += 1 } }
            for i in here {
                let devices = pending[i].devices
                let covered = devices.allSatisfy { (handed[$0.key] ?? 0) >= $0.value }
                if covered { for (p, c) in devices { handed[p, default: 0] -= c } }
                outcomes[i].fitsWithoutChange = covered
            }
        }
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

    /// Each pod's footprint: compute slices / 7 + CPU and memory over the mean free on the nodes
    /// (`lean`); and the same terms each weighed by how short that resource runs, the batch's
    /// total request over the nodes' total free, between 0.1 and 10 (`scarce`): where CPU is
    /// three times oversubscribed and GPUs are not, CPU decides which pods are small.
    private func footprints(of pending: [PendingPod], on nodes: [PlanningNode]) -> (lean: [Double], scarce: [Double]) {
        func total(_ name: String) -> Double {
            nodes.reduce(0.0) { sum, node in sum + max(0, Double(node.free[name]?.nanos ?? 0)) }
        }
        let count = Double(max(1, nodes.count))
        let (cpu, memory) = (total("cpu") / count, total("memory") / count)
        let slices = Double(nodes.reduce(0) { $0 + $1.gpus.reduce(0) { $0 + $1.space.model.computeSlices } })
        var demand = (cpu: 0.0, memory: 0.0, units: 0.0)
        for pod in pending {
            demand.cpu += Double(pod.requests["cpu"].nanos)
            demand.memory += Double(pod.requests["memory"].nanos)
            demand.units += Double(units(pod))
        }
        func pressure(_ asked: Double, _ offered: Double) -> Double { offered > 0 ? min(10, max(0.1, asked / offered)) : 1 }
        let weights = (
            cpu: pressure(demand.cpu, cpu * count), memory: pressure(demand.memory, memory * count), units: pressure(demand.units, slices)
        )
        var lean: [Double] = []
        var scarce: [Double] = []
        for pod in pending {
            let terms = (
                units: Double(units(pod)) / 7, cpu: cpu > 0 ? Double(pod.requests["cpu"].nanos) / cpu : 0,
                memory: memory > 0 ? Double(pod.requests["memory"].nanos) / memory : 0
            )
            lean.append(terms.units + terms.cpu + terms.memory)
            scarce.append(weights.units * terms.units + weights.cpu * terms.cpu + weights.memory * terms.memory)
        }
        return (lean, scarce)
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
        var room = 0.0
        for node in state.nodes {
            var gpus: [Plan.GPUChange] = []
            for g in node.gpus {
                let layout = g.finalLayout()
                let before = g.original.map(\.placed).sorted()
                room += g.room(layout: layout)
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
            planID: planID, nodes: changes, pods: outcomes, skippedNodes: state.skipped, disagreements: state.disagreements,
            score: Plan.Score(fittedByPriority: fitted, freeInstancesDestroyed: destroyed, gpusChanged: changed, room: RoomMeasure.scaled(room)))
    }
}
