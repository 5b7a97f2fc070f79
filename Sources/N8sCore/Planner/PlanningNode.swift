import KubeCore

/// A node in the planner's working state: what is left of its resources and its GPUs.
struct PlanningNode: Sendable {
    let name: String
    let node: Node
    var free: [String: Quantity]
    var freePods: Int
    var gpus: [GPUPlanState]
    /// Bumped on every placement here: the engine's indexes re-cost the node when it changes.
    private(set) var version = 0

    /// By the engine's profile id: 0 unknown, 1 no, 2 yes — whether some GPU has an unclaimed
    /// free instance of that profile. Cleared whenever the GPUs change (``place(gpus:)``).
    private var freeInstanceMemo: [UInt8] = []

    init(name: String, node: Node, free: [String: Quantity], freePods: Int, gpus: [GPUPlanState]) {
        self.name = name
        self.node = node
        self.free = free
        self.freePods = freePods
        self.gpus = gpus
    }

    var hasChangedGPU: Bool { gpus.contains(where: \.isChanged) }

    /// `true` when some GPU has an unclaimed free instance of `profile` (resource form or name),
    /// memoized under `id` (the engine numbers the profiles pods ask for, from 0).
    /// - Complexity: O(GPUs × instances) once per profile and version of the node, then O(1).
    mutating func hasFreeInstance(of profile: String, id: Int) -> Bool {
        if id < freeInstanceMemo.count, freeInstanceMemo[id] != 0 { return freeInstanceMemo[id] == 2 }
        let found = gpus.contains { g in g.space.profileIndex(profile).map { g.freeInstance(of: $0) != nil } ?? false }
        if id >= freeInstanceMemo.count { freeInstanceMemo += [UInt8](repeating: 0, count: id + 1 - freeInstanceMemo.count) }
        freeInstanceMemo[id] = found ? 2 : 1
        return found
    }

    /// Takes the GPU states of a placement and bumps ``version``.
    mutating func place(gpus newGPUs: [GPUPlanState]) {
        gpus = newGPUs
        freeInstanceMemo = []
        version += 1
    }
}

/// The planner's working copy of the cluster, built from a snapshot.
struct PlanningState: Sendable {
    var nodes: [PlanningNode]
    var skipped: [Plan.SkippedNode]
    /// Free instances reported but not advertised, held back (see ``Plan/Disagreement``).
    var disagreements: [Plan.Disagreement] = []

    /// - Parameters:
    ///   - nodes: every node of the snapshot.
    ///   - pods: every pod; those bound to a node and not terminal count against it.
    ///   - demand: the pending demand; the MIG requests of pods bound to planned nodes are added
    ///     before the GPUs' ``GPUPlanState/weights`` are set.
    init(nodes: [Node], pods: [Pod], catalog: MIGCatalog, demand pendingDemand: DemandWeights = .none) {
        var demand = pendingDemand
        var bound: [String: [Pod]] = [:]
        for pod in pods {
            guard let n = pod.spec.nodeName, !n.isEmpty, !(pod.status?.isTerminal ?? false) else { continue }
            bound[n, default: []].append(pod)
        }
        var planning: [PlanningNode] = []
        var skipped: [Plan.SkippedNode] = []
        var lookups = CatalogLookups(catalog)
        for node in nodes.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            let view = NodeView(node, lookups: &lookups)
            let gpuReasons = view.gpus.compactMap(\.unplannable)
            guard view.isPlannable else {
                skipped.append(Plan.SkippedNode(name: view.name, reasons: view.unplannable.isEmpty ? gpuReasons : view.unplannable))
                continue
            }
            var free = node.status?.allocatable ?? [:]
            let onNode = bound[view.name] ?? []
            for pod in onNode {
                for (k, q) in PodRequests(pod.spec).resources { free[k] = (free[k] ?? .zero) - q }
            }
            let podsAllowed = node.status?.allocatable?["pods"].map { Int(clamping: $0.value) } ?? Int.max / 2
            var gpus = view.gpus.filter { $0.unplannable == nil }.compactMap { g -> GPUPlanState? in
                guard let space = g.space else { return nil }
                return GPUPlanState(index: g.index, space: space, instances: g.instances ?? [], isChangeable: !view.isAwaitingEcho)
            }
            let boundMIG = Reservations.requested(by: onNode)
            Self.reserve(boundMIG, in: &gpus)
            disagreements += Self.holdUnadvertised(view.name, free: free, in: &gpus)
            for (profile, n) in boundMIG { demand.add([MIGProfile.resourceForm(of: profile): n]) }
            planning.append(PlanningNode(name: view.name, node: node, free: free, freePods: podsAllowed - onNode.count, gpus: gpus))
            if !gpuReasons.isEmpty { skipped.append(Plan.SkippedNode(name: view.name, reasons: gpuReasons, isPlanned: true)) }
        }
        var weights: [String: [Double]] = [:]
        for n in planning.indices {
            for g in planning[n].gpus.indices {
                let space = planning[n].gpus[g].space
                if weights[space.model.id] == nil { weights[space.model.id] = demand.vector(for: space) }
                planning[n].gpus[g].weights = weights[space.model.id] ?? []
            }
        }
        self.nodes = planning
        self.skipped = skipped
    }

    /// Bound pods whose MIG requests exceed the used instances reserve free ones (design.md
    /// section 3: a device is used when a bound pod has an unallocated request for its profile),
    /// by the agent's rule (``Reservations``): the planner sees no allocations, so the instances
    /// the agent's report shows used cover the requests (the report already holds the agent's
    /// reservations; pods bound since add to them). Lowest GPU index and start first; those
    /// instances are then treated as used.
    static func reserve(_ requested: [String: Int], in gpus: inout [GPUPlanState]) {
        var used: [String: Int] = [:]
        var free: [Reservations.Candidate] = []
        for g in gpus {
            for k in g.kept {
                if k.isUsed { used[k.placed.profile, default: 0] += 1 } else { free.append(Reservations.Candidate(gpu: g.index, placed: k.placed)) }
            }
        }
        let taken = Reservations.take(Reservations.outstanding(requested: requested, covered: used), from: free)
        for gi in gpus.indices {
            for i in gpus[gi].kept.indices where !gpus[gi].kept[i].isUsed && taken.contains(Reservations.Candidate(gpu: gpus[gi].index, placed: gpus[gi].kept[i].placed)) {
                gpus[gi].kept[i].isUsed = true
            }
        }
    }
}
