/// Where one kind of pod (same scheduling constraints, same MIG devices) could go, bucketed by
/// placement cost, so that the planner finds the cheapest node without scanning every node.
///
/// Each node is in at most one bucket. Its level is either the exact cost the engine's evaluation
/// gives, or a lower bound of it that the search refines only when it reaches the node
/// (``Stage``). Entries remember the node's ``PlanningNode/version``; the engine re-bounds a node
/// when a placement has changed it since. A node is in no bucket when it can never take a pod of
/// the kind at its current version (static predicates, resources below the smallest request of
/// the kind, no placement even with destroys).
///
/// - Complexity: memory O(nodes × levels / 64); `set` O(1); `first(at:from:)` O(1 + nodes / 4096);
///   `lowestLevel(above:)` O(levels), a handful.
struct PlacementIndex: Sendable {
    enum Stage: UInt8, Sendable {
        /// The level is a lower bound from the node's shape; nothing evaluated yet.
        case bound
        /// No placement without destroying free instances; the level `(1, 0)` is a lower bound.
        case needsDestroy
        /// The level is the cost the engine's evaluation gives at the node's version.
        case exact
        /// In no bucket.
        case excluded
    }

    private(set) var stage: [Stage]
    private(set) var level: [PlacementCost]
    /// The ``PlanningNode/version`` each entry was computed at; -1 before the first.
    private(set) var version: [Int]
    private var buckets: [PlacementCost: NodeSet] = [:]
    /// How much of the engine's placement log the entries reflect.
    var logPosition = 0
    /// Componentwise minimum of the non-MIG requests of the kind's pending pods: a node short of
    /// it can take none of them.
    let minimumRequests: PodRequests

    init(nodeCount: Int, minimumRequests: PodRequests) {
        stage = [Stage](repeating: .excluded, count: nodeCount)
        level = [PlacementCost](repeating: .zero, count: nodeCount)
        version = [Int](repeating: -1, count: nodeCount)
        self.minimumRequests = minimumRequests
    }

    /// `false` until the engine has bounded every node once.
    var isBuilt = false

    /// Moves node `n` to `stage` at `level` (no bucket when excluded).
    mutating func set(_ n: Int, _ newStage: Stage, _ newLevel: PlacementCost, version v: Int) {
        if stage[n] != .excluded { buckets[level[n]]?.remove(n) }
        stage[n] = newStage
        level[n] = newLevel
        version[n] = v
        guard newStage != .excluded else { return }
        if buckets[newLevel] == nil { buckets[newLevel] = NodeSet(capacity: stage.count) }
        buckets[newLevel]?.insert(n)
    }

    /// The lowest non-empty level strictly above `floor` (any level when `nil`).
    func lowestLevel(above floor: PlacementCost?) -> PlacementCost? {
        var best: PlacementCost?
        for (l, set) in buckets where !set.isEmpty {
            if let floor, l <= floor { continue }
            if let b = best, b <= l { continue }
            best = l
        }
        return best
    }

    /// The first node `>= n` in the bucket of `l`.
    func first(at l: PlacementCost, from n: Int) -> Int? { buckets[l]?.first(from: n) }
}
