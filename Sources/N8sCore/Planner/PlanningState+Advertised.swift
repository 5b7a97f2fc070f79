import KubeCore

extension PlanningState {
    /// Holds back the free instances a node does not advertise (design.md section 5: a pod fits
    /// only where kube-scheduler sees its devices in `status.allocatable` less what bound pods
    /// request). When the agent reports more free instances of a profile than that, the excess is
    /// treated as used: no pod is promised it and no plan destroys it, until the report and the
    /// node agree again (a stale or crashed device plugin). Held from the highest GPU index and
    /// start down, so the instances left usable are the ones the planner takes first.
    /// - Parameters:
    ///   - free: allocatable less the requests of the pods bound to the node.
    ///   - gpus: the node's GPUs after ``reserve(_:in:)``.
    /// - Returns: one disagreement per profile held back, by profile name.
    static func holdUnadvertised(_ node: String, free: [String: Quantity], in gpus: inout [GPUPlanState]) -> [Plan.Disagreement] {
        var reported: [String: Int] = [:]
        for g in gpus { for i in g.kept where !i.isUsed { reported[i.placed.profile, default: 0] += 1 } }
        var out: [Plan.Disagreement] = []
        for (profile, count) in reported.sorted(by: { $0.key < $1.key }) {
            let advertisedQuantity = free[MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: profile)] ?? .zero
            let advertised = advertisedQuantity.isNegative ? 0 : Int(clamping: advertisedQuantity.value)
            guard count > advertised else { continue }
            out.append(Plan.Disagreement(node: node, profile: profile, reportedFree: count, advertisedFree: advertised))
            var extra = count - advertised
            for gi in gpus.indices.reversed() where extra > 0 {
                for i in gpus[gi].kept.indices.reversed() where extra > 0 {
                    guard !gpus[gi].kept[i].isUsed, gpus[gi].kept[i].placed.profile == profile else { continue }
                    gpus[gi].kept[i].isUsed = true
                    extra -= 1
                }
            }
        }
        return out
    }
}

extension PartitionPlanner {
    /// The free instances each node's agent reports beyond what the node advertises
    /// (``Plan/Disagreement``), for a snapshot, without planning: what the partitioner's node
    /// condition says between batches.
    /// - Parameters:
    ///   - nodes: the snapshot's nodes (skipped ones have none).
    ///   - pods: the snapshot's pods; bound, non-terminal ones count against their node.
    /// - Complexity: O(nodes × GPUs × instances + pods).
    public func disagreements(nodes: [Node], pods: [Pod]) -> [Plan.Disagreement] {
        PlanningState(nodes: nodes, pods: pods, catalog: catalog).disagreements
    }
}
