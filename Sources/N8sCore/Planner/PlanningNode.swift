import KubeCore

/// A node in the planner's working state: what is left of its resources and its GPUs.
struct PlanningNode: Sendable {
    let name: String
    let node: Node
    var free: [String: Quantity]
    var freePods: Int
    var gpus: [GPUPlanState]
    /// Bumped whenever the plan destroys instances here (room may appear for later pods).
    var destroyVersion = 0

    var hasChangedGPU: Bool { gpus.contains(where: \.isChanged) }
    var hasUnclaimedFree: Bool { gpus.contains(where: \.hasUnclaimedFree) }
}

/// The planner's working copy of the cluster, built from a snapshot.
struct PlanningState: Sendable {
    var nodes: [PlanningNode]
    var skipped: [Plan.SkippedNode]

    /// - Parameters:
    ///   - nodes: every node of the snapshot.
    ///   - pods: every pod; those bound to a node and not terminal count against it.
    init(nodes: [Node], pods: [Pod], catalog: MIGCatalog) {
        var bound: [String: [Pod]] = [:]
        for pod in pods {
            guard let n = pod.spec.nodeName, !n.isEmpty, !(pod.status?.isTerminal ?? false) else { continue }
            bound[n, default: []].append(pod)
        }
        var planning: [PlanningNode] = []
        var skipped: [Plan.SkippedNode] = []
        for node in nodes.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            let view = NodeView(node, catalog: catalog)
            let gpuReasons = view.gpus.compactMap(\.unplannable)
            guard view.isPlannable else {
                skipped.append(Plan.SkippedNode(name: view.name, reasons: view.unplannable.isEmpty ? gpuReasons : view.unplannable))
                continue
            }
            var free = node.status?.allocatable ?? [:]
            var boundMIG: [String: Int] = [:]
            let onNode = bound[view.name] ?? []
            for pod in onNode {
                let r = PodRequests(pod.spec)
                for (k, q) in r.resources { free[k] = (free[k] ?? .zero) - q }
                for (profile, n) in (try? r.migDevices()) ?? [:] {
                    boundMIG[MIGAnnotations.nvidiaName(fromResourceForm: profile), default: 0] += n
                }
            }
            let podsAllowed = node.status?.allocatable?["pods"].map { Int(clamping: $0.value) } ?? Int.max / 2
            var gpus = view.gpus.filter { $0.unplannable == nil }.compactMap { g -> GPUPlanState? in
                guard let space = g.space else { return nil }
                return GPUPlanState(index: g.index, space: space, instances: g.instances ?? [], isChangeable: !view.isAwaitingEcho)
            }
            Self.reserve(boundMIG, in: &gpus)
            planning.append(PlanningNode(name: view.name, node: node, free: free, freePods: podsAllowed - onNode.count, gpus: gpus))
            if !gpuReasons.isEmpty { skipped.append(Plan.SkippedNode(name: view.name, reasons: gpuReasons)) }
        }
        self.nodes = planning
        self.skipped = skipped
    }

    /// Bound pods whose MIG requests exceed the used instances reserve free ones (DESIGN.md
    /// section 3: a device is used when a bound pod has an unallocated request for its profile).
    /// Lowest GPU index and start first; those instances are then treated as used.
    static func reserve(_ boundMIG: [String: Int], in gpus: inout [GPUPlanState]) {
        for (profile, need) in boundMIG.sorted(by: { $0.key < $1.key }) {
            var used = 0
            for g in gpus { used += g.kept.filter { $0.isUsed && $0.placed.profile == profile }.count }
            var extra = need - used
            for gi in gpus.indices where extra > 0 {
                for i in gpus[gi].kept.indices where extra > 0 && !gpus[gi].kept[i].isUsed && gpus[gi].kept[i].placed.profile == profile {
                    gpus[gi].kept[i].isUsed = true
                    extra -= 1
                }
            }
        }
    }
}
