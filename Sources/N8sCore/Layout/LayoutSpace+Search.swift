extension LayoutSpace {
    /// Finds where new instances can go on one GPU without moving the instances that must stay.
    ///
    /// Pure and deterministic: the partitioner, the agent and the tests call it alike.
    /// - Parameters:
    ///   - additions: Profiles to create, by NVIDIA name (or resource form) to count.
    ///   - fixed: Instances that stay at their starts (in use, or kept), as (profile, start).
    ///   - weights: per profile index, how much room for that profile counts (``DemandWeights``);
    ///     `nil`: every base profile weighs 1.
    ///   - idle: instances of `fixed` that no pod uses: their units count as room.
    /// - Returns: The whole layout, `fixed` plus one instance per added device, sorted by start; `nil`
    ///   when no placement keeps every fixed instance (or `fixed` itself is invalid). Among valid
    ///   layouts: the one that leaves the most room (``RoomMeasure``), then the lowest starts
    ///   (lexicographic).
    /// - Complexity: O(placements^devices) worst case, pruned by overlap; at most ~12 devices per GPU.
    public func layout(
        adding additions: Geometry, keeping fixed: [PlacedInstance], weights: [Double]? = nil, idle: Set<PlacedInstance> = []
    ) -> [PlacedInstance]? {
        search(adding: additions, keeping: fixed, optimize: true, weights: weights ?? DemandWeights.none.vector(for: self), idle: idle)
    }

    /// `true` when ``layout(adding:keeping:)`` would find a layout (stops at the first one).
    public func canAdd(_ additions: Geometry, keeping fixed: [PlacedInstance]) -> Bool {
        search(adding: additions, keeping: fixed, optimize: false, weights: [], idle: []) != nil
    }

    /// A layout of exactly `target` (a complete geometry) that keeps `fixed` at their starts;
    /// `nil` when `fixed` is not contained in `target` or no placement works.
    public func layout(for target: Geometry, keeping fixed: [PlacedInstance]) -> [PlacedInstance]? {
        var additions = target
        for i in fixed {
            guard let p = index[i.profile] else { return nil }
            let name = profiles[p].name
            guard let c = additions[name], c > 0 else { return nil }
            additions[name] = c - 1
        }
        return layout(adding: additions.filter { $0.value > 0 }, keeping: fixed)
    }

    private func search(
        adding additions: Geometry, keeping fixed: [PlacedInstance], optimize: Bool, weights: [Double], idle: Set<PlacedInstance>
    ) -> [PlacedInstance]? {
        guard isValid(fixed) else { return nil }
        var counts = [Int](repeating: 0, count: profiles.count)
        var computeUsed = 0
        for i in fixed {
            guard let p = index[i.profile] else { return nil }
            counts[p] += 1
            computeUsed += compute[p]
        }
        var items: [Int] = []
        for (name, n) in additions where n > 0 {
            guard let p = index[name] else { return nil }
            counts[p] += n
            computeUsed += compute[p] * n
            items.append(contentsOf: repeatElement(p, count: n))
        }
        if computeUsed > model.computeSlices || !mediaRulesHold(counts) { return nil }
        for p in counts.indices where counts[p] > maxCount[p] { return nil }
        let occupied = occupied(fixed)
        var freeUnits = 0
        for u in 0..<grid where occupied & (1 << UInt32(u)) == 0 { freeUnits += 1 }
        if items.reduce(0, { $0 + size[$1] }) > freeUnits { return nil }
        // Most constrained first: fewer starts, then larger; equal profiles adjacent for symmetry breaking.
        items.sort { (starts[$0].count, -size[$0], $0) < (starts[$1].count, -size[$1], $1) }
        // Room is measured over the busy instances: fixed ones that are not idle, and the added ones.
        var busyCounts = [Int](repeating: 0, count: profiles.count)
        var busyCompute = 0
        var busyMask: UInt32 = 0
        if optimize {
            for i in fixed where !idle.contains(i) {
                guard let p = index[i.profile] else { continue }
                busyCounts[p] += 1
                busyCompute += compute[p]
                busyMask |= mask(p, i.start)
            }
            for p in items {
                busyCounts[p] += 1
                busyCompute += compute[p]
            }
        }
        var chosen = [Int](repeating: 0, count: items.count)
        var best: [Int]?
        var bestRoom = -Double.infinity
        func dfs(_ k: Int, _ occ: UInt32) -> Bool {
            if k == items.count {
                guard optimize else {
                    best = chosen
                    return true
                }
                let added = occ & ~occupied
                let room = RoomMeasure.room(
                    occupied: busyMask | added, space: self, weights: weights, computeUsed: busyCompute, busyCounts: busyCounts)
                if best == nil || room > bestRoom + 1e-9
                    || (abs(room - bestRoom) <= 1e-9 && isLexicographicallySmaller(chosen, best!, items))
                {
                    best = chosen
                    bestRoom = room
                }
                return false
            }
            let p = items[k]
            let minStart = (k > 0 && items[k - 1] == p) ? chosen[k - 1] + 1 : 0
            for s in starts[p] where s >= minStart {
                let m = mask(p, s)
                if occ & m != 0 { continue }
                chosen[k] = s
                if dfs(k + 1, occ | m) { return true }
            }
            return false
        }
        _ = dfs(0, occupied)
        guard let best else { return nil }
        var result = fixed
        for (k, p) in items.enumerated() { result.append(PlacedInstance(profiles[p].name, at: best[k])) }
        return result.sorted()
    }

    private func isLexicographicallySmaller(_ a: [Int], _ b: [Int], _ items: [Int]) -> Bool {
        let sa = zip(items, a).map { ($0.1, $0.0) }.sorted { $0 < $1 }
        let sb = zip(items, b).map { ($0.1, $0.0) }.sorted { $0 < $1 }
        for (x, y) in zip(sa, sb) where x != y { return x < y }
        return false
    }
}
