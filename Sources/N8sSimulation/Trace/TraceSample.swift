extension Scenario {
    /// A smaller replay of the same trace: at most `maxNodes` nodes (each node group scaled by
    /// the same factor, rounded, at least one node in all), and the replayed pods thinned by the
    /// share of GPUs kept (every k-th pod in arrival order, deterministic), so the offered load per
    /// GPU stays the trace's (unless `thinsPods` is false: every pod on the smaller cluster, a
    /// heavier load); then only pods arriving within `window`, which also becomes
    /// ``stopAfter`` when none is set.
    /// - Throws: ``SimulationError/invalidField(field:reason:)`` for `maxNodes` < 1 or a window ≤ 0.
    public func sampled(maxNodes: Int?, window: Duration?, thinsPods: Bool = true) throws(SimulationError) -> Scenario {
        var out = self
        if let maxNodes {
            guard maxNodes >= 1 else { throw .invalidField(field: "--max-nodes", reason: "must be at least 1, got \(maxNodes)") }
            let total = nodes.reduce(0) { $0 + $1.count }
            if maxNodes < total {
                let factor = Double(maxNodes) / Double(total)
                var groups = nodes.map { g -> NodeGroup in
                    var g = g
                    g.count = Int((Double(g.count) * factor).rounded())
                    return g
                }
                if groups.allSatisfy({ $0.count == 0 }), let largest = nodes.indices.max(by: { nodes[$0].count < nodes[$1].count }) {
                    groups[largest].count = 1
                }
                while groups.reduce(0, { $0 + $1.count }) > maxNodes, let i = groups.indices.max(by: { groups[$0].count < groups[$1].count }) {
                    groups[i].count -= 1
                }
                out.nodes = groups.filter { $0.count > 0 }
                let share = Double(out.gpuCount) / Double(max(gpuCount, 1))
                out.replay = !thinsPods ? replay : replay.enumerated().filter { i, _ in
                    (Double(i + 1) * share).rounded(.down) > (Double(i) * share).rounded(.down)
                }.map(\.element)
            }
        }
        if let window {
            guard window > .zero else { throw .invalidField(field: "--window", reason: "must be above 0") }
            out.replay = out.replay.filter { $0.arrival <= window }
            out.pods = out.pods.filter { $0.arrival <= window }
            out.stopAfter = out.stopAfter ?? window
        }
        return out
    }
}
