/// The planner's working state of one GPU: existing instances it keeps, which of them planned pods
/// take, and profiles it will create.
struct GPUPlanState: Sendable {
    let index: Int
    let space: LayoutSpace
    let original: [InstanceState]
    /// Existing instances still present (used ones always).
    var kept: [InstanceState]
    /// Parallel to `kept`: taken by a planned pod.
    var claimed: [Bool]
    /// Profile index to count of instances to create (all for planned pods).
    var added: [Int: Int] = [:]
    var destroyed: [PlacedInstance] = []
    /// `false` when the node waits for the agent's echo: only existing instances can be used.
    let isChangeable: Bool
    /// How much room for each profile (by index) counts when placing new instances (``RoomMeasure``).
    var weights: [Double]
    /// Cached `canAdd` per profile index for the current state.
    var addable: [Int: Bool] = [:]
    /// Cached `destroyToAdd` per profile index for the current state and claims.
    private var destroyable: [Int: [Int]?] = [:]

    init(index: Int, space: LayoutSpace, instances: [InstanceState], isChangeable: Bool, weights: [Double]? = nil) {
        self.index = index
        self.space = space
        self.weights = weights ?? DemandWeights.none.vector(for: space)
        original = instances
        kept = instances
        claimed = [Bool](repeating: false, count: instances.count)
        self.isChangeable = isChangeable
    }

    /// `true` once the plan changes this GPU. An empty MIG-enabled GPU changes in any plan (it
    /// gets the full-GPU profile when nothing else), so adding to it costs no GPU change.
    var isChanged: Bool { !destroyed.isEmpty || !added.isEmpty || (original.isEmpty && isChangeable) }

    var addedGeometry: Geometry {
        var g: Geometry = [:]
        for (p, n) in added { g[space.profiles[p].name] = n }
        return g
    }

    /// An unclaimed free instance of profile `p`, lowest start first.
    func freeInstance(of p: Int) -> Int? {
        let name = space.profiles[p].name
        return kept.indices.first { !claimed[$0] && !kept[$0].isUsed && kept[$0].placed.profile == name }
    }

    mutating func canAdd(_ p: Int) -> Bool {
        if let cached = addable[p] { return cached }
        var g = addedGeometry
        g[space.profiles[p].name, default: 0] += 1
        let ok = space.canAdd(g, keeping: kept.map(\.placed))
        addable[p] = ok
        return ok
    }

    /// The room this GPU leaves after the plan (``RoomMeasure``): instances that are used, taken
    /// by a planned pod or created for one are busy; idle ones (and the full-GPU filler of an
    /// otherwise empty GPU) are room.
    func room(layout: [PlacedInstance]) -> Double {
        let busy = added.isEmpty
            ? kept.indices.filter { claimed[$0] || kept[$0].isUsed }.map { kept[$0].placed }
            : { let idle = idle; return layout.filter { !idle.contains($0) } }()
        return RoomMeasure.room(busy: busy, space: space, weights: weights)
    }

    /// The fewest unclaimed free instances to destroy so that `p` can be added; `nil` if none works.
    /// Subsets are tried by size, then in start order, so the answer is deterministic.
    /// - Complexity: one layout search when even destroying every candidate leaves no room (room
    ///   only grows as fewer instances stay, so no subset can work); else up to 2^candidates.
    mutating func destroyToAdd(_ p: Int) -> [Int]? {
        if let known = destroyable[p] { return known }
        let victims = fewestVictims(p)
        destroyable[p] = .some(victims)
        return victims
    }

    private func fewestVictims(_ p: Int) -> [Int]? {
        let candidates = kept.indices.filter { !claimed[$0] && !kept[$0].isUsed }
        guard !candidates.isEmpty, candidates.count <= 12 else { return nil }
        var g = addedGeometry
        g[space.profiles[p].name, default: 0] += 1
        let staying = kept.indices.filter { claimed[$0] || kept[$0].isUsed }.map { kept[$0].placed }
        guard space.canAdd(g, keeping: staying) else { return nil }
        for size in 1...candidates.count {
            var pick = Array(0..<size)
            while true {
                let drop = Set(pick.map { candidates[$0] })
                let keep = kept.indices.filter { !drop.contains($0) }.map { kept[$0].placed }
                if space.canAdd(g, keeping: keep) { return pick.map { candidates[$0] } }
                // next combination
                var i = size - 1
                while i >= 0 && pick[i] == candidates.count - size + i { i -= 1 }
                if i < 0 { break }
                pick[i] += 1
                for j in (i + 1)..<size { pick[j] = pick[j - 1] + 1 }
            }
        }
        return nil
    }

    mutating func claim(_ i: Int) {
        claimed[i] = true
        destroyable = [:]
    }

    mutating func add(_ p: Int, destroying victims: [Int]) {
        for i in victims.sorted(by: >) {
            destroyed.append(kept[i].placed)
            kept.remove(at: i)
            claimed.remove(at: i)
        }
        added[p, default: 0] += 1
        addable = [:]
        destroyable = [:]
    }

    /// Kept instances that are neither used nor taken by a planned pod.
    var idle: Set<PlacedInstance> { Set(kept.indices.filter { !claimed[$0] && !kept[$0].isUsed }.map { kept[$0].placed }) }

    /// The final layout: kept instances plus created ones where they leave the most room
    /// (``RoomMeasure``); when that would leave the GPU empty, the full-GPU profile (design.md
    /// section 4).
    func finalLayout() -> [PlacedInstance] {
        let keep = kept.map(\.placed)
        var layout = added.isEmpty ? keep : space.layout(adding: addedGeometry, keeping: keep, weights: weights, idle: idle) ?? keep
        if layout.isEmpty, isChangeable, let full = space.model.fullGPUProfile,
            let l = space.layout(adding: [full.name: 1], keeping: [])
        {
            layout = l
        }
        return layout.sorted()
    }
}
