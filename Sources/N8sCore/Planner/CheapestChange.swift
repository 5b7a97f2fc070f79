/// The cheapest change of one node's GPUs that gives a chosen multiset of MIG devices: objective
/// (2) of design.md section 5 (fewest free instances destroyed, then fewest GPUs changed), exact
/// for the node, with objective (3) (``RoomMeasure``) breaking ties.
///
/// Method, and why: an exact search per node, run after the greedy pass has chosen which pods fit
/// and on which node. The device plugin hands a pod any device of its profile on its node, so
/// once the pods of a node are fixed its GPUs only have to supply the multiset of their devices.
/// That problem is small (at most a handful of GPUs and profiles per node) and is solved exactly:
/// each GPU's options (keep it as it is and hand out some of its free instances; or change it:
/// destroy some free instances, keep the rest, add instances at allowed starts) are enumerated
/// from the placement rules and reduced to the best option per supplied vector; a dynamic
/// programme over the GPUs and the demand still to cover picks the lexicographic minimum of
/// (destroyed, GPUs changed, −room). Greedy placement alone, one pod at a time, cannot see that
/// destroying a 7g for five 1g beats destroying a 4g for four and a 7g for the fifth (issue 11).
/// Which node each pod goes to stays the greedy pass's choice (with a look-ahead on placements
/// that destroy, see ``PartitionPlanner/Engine``): a search across nodes would not stay
/// near-linear on thousands of nodes.
///
/// Pure and deterministic. Gives up (`nil`, the caller keeps the greedy answer) when the search
/// would exceed its budget: more than 12 free instances on a GPU, or states × options over
/// ``workLimit``.
enum CheapestChange {
    /// One way a GPU can contribute.
    struct Option {
        /// Devices supplied, per demanded profile (the caller's key order).
        var supply: [Int]
        var destroyed: Int
        var changed: Int
        var room: Double
        /// Indexes into the GPU's `kept` instances to destroy.
        var victims: [Int]
        /// Profile index to count of instances to create.
        var additions: [Int: Int]
        /// Existing free instances handed out, per demanded profile (lowest starts first).
        var claims: [Int]
    }

    static let workLimit = 4_000_000

    /// What a GPU's options depend on besides the demand: GPUs with equal keys (same model, same
    /// instances, none claimed yet) have the same options. The room weights are one vector per
    /// model in a plan (``PlanningState``), so a cache lives for one plan.
    struct OptionsKey: Hashable {
        var model: String
        var kept: [InstanceState]
        var claimed: [Bool]
        var isChangeable: Bool
        var isEmptyOriginal: Bool
        var keys: [String]
        var cap: [Int]
        var destroyBudget: Int
    }

    /// Options already listed in one plan (`nil`: too many to list).
    typealias OptionsCache = [OptionsKey: [Option]?]

    /// Lexicographic (destroyed, changed, −room).
    static func isBetter(_ a: (Int, Int, Double), than b: (Int, Int, Double)) -> Bool {
        if a.0 != b.0 { return a.0 < b.0 }
        if a.1 != b.1 { return a.1 < b.1 }
        return a.2 > b.2 + 1e-9
    }

    /// - Parameters:
    ///   - original: the node's GPUs before the plan (reservations and held instances applied).
    ///   - demand: devices to supply, by profile in resource form.
    ///   - destroyBudget: most free instances the answer may destroy (the greedy answer's count).
    /// - Returns: the GPUs' states after the cheapest change, or `nil` when the demand cannot be
    ///   met within the budget or the search would be too large.
    ///   - cache: options of GPUs seen before in the same plan (``OptionsKey``).
    static func resolve(original: [GPUPlanState], demand: [String: Int], destroyBudget: Int, cache: inout OptionsCache) -> [GPUPlanState]? {
        let keys = demand.keys.sorted()
        let cap = keys.map { demand[$0] ?? 0 }
        var options: [[Option]] = []
        for g in original {
            let key = OptionsKey(
                model: g.space.model.id, kept: g.kept, claimed: g.claimed, isChangeable: g.isChangeable,
                isEmptyOriginal: g.original.isEmpty, keys: keys, cap: cap, destroyBudget: destroyBudget)
            let listed: [Option]?
            if let known = cache[key] {
                listed = known
            } else {
                listed = self.options(g, keys: keys, cap: cap, destroyBudget: destroyBudget)
                cache[key] = .some(listed)
            }
            guard let o = listed else { return nil }
            options.append(o)
        }
        var radix: [Int] = []
        var states = 1
        for c in cap {
            radix.append(states)
            states *= c + 1
            if states > workLimit { return nil }
        }
        guard states * max(1, options.reduce(0) { $0 + $1.count }) <= workLimit else { return nil }
        func encode(_ v: [Int]) -> Int { zip(v, radix).reduce(0) { $0 + $1.0 * $1.1 } }

        let infinite = (Int.max, Int.max, -Double.infinity)
        var best = [(Int, Int, Double)](repeating: infinite, count: states)
        best[encode(cap)] = (0, 0, 0)
        var parents: [[(state: Int32, option: Int32)]] = []
        var remaining = [Int](repeating: 0, count: cap.count)
        for gpuOptions in options {
            var next = [(Int, Int, Double)](repeating: infinite, count: states)
            var parent = [(state: Int32, option: Int32)](repeating: (-1, -1), count: states)
            let codes = gpuOptions.map { encode($0.supply) }
            for s in 0..<states where best[s].0 != Int.max {
                for i in cap.indices { remaining[i] = (s / radix[i]) % (cap[i] + 1) }
                for (k, o) in gpuOptions.enumerated() {
                    var fits = true
                    for i in remaining.indices where o.supply[i] > remaining[i] {
                        fits = false
                        break
                    }
                    guard fits else { continue }
                    let t = s - codes[k]
                    let value = (best[s].0 + o.destroyed, best[s].1 + o.changed, best[s].2 + o.room)
                    if next[t].0 == Int.max || isBetter(value, than: next[t]) {
                        next[t] = value
                        parent[t] = (Int32(s), Int32(k))
                    }
                }
            }
            best = next
            parents.append(parent)
        }
        guard best[0].0 != Int.max, best[0].0 <= destroyBudget else { return nil }
        var chosen = [Int](repeating: 0, count: original.count)
        var s = 0
        for g in original.indices.reversed() {
            let p = parents[g][s]
            chosen[g] = Int(p.option)
            s = Int(p.state)
        }
        return original.indices.map { apply(options[$0][chosen[$0]], to: original[$0], keys: keys) }
    }

    /// The GPU after taking `option`.
    static func apply(_ option: Option, to gpu: GPUPlanState, keys: [String]) -> GPUPlanState {
        var g = gpu
        let additions = option.additions.sorted { $0.key < $1.key }
        var victims = option.victims
        for (p, n) in additions {
            for _ in 0..<n {
                g.add(p, destroying: victims)
                victims = []
            }
        }
        for (k, key) in keys.enumerated() where option.claims[k] > 0 {
            guard let p = g.space.profileIndex(key) else { continue }
            for _ in 0..<option.claims[k] { if let i = g.freeInstance(of: p) { g.claim(i) } }
        }
        return g
    }

    /// The best option per supplied vector of one GPU; `nil` when there are too many to list.
    static func options(_ g: GPUPlanState, keys: [String], cap: [Int], destroyBudget: Int) -> [Option]? {
        let space = g.space
        let pk = keys.map { space.profileIndex($0) }
        var best: [[Int]: Option] = [:]
        func offer(_ o: Option) {
            if let current = best[o.supply],
                !isBetter((o.destroyed, o.changed, o.room), than: (current.destroyed, current.changed, current.room))
            {
                return
            }
            best[o.supply] = o
        }
        let free = g.kept.indices.filter { !g.kept[$0].isUsed && !g.claimed[$0] }
        guard free.count <= 12 else { return nil }
        // Unchanged: hand out some free instances.
        forEachDestroySet(free, limit: g.isChangeable ? destroyBudget : 0) { victims in
            let kept = g.kept.indices.filter { !victims.contains($0) }
            let keptFree = kept.filter { !g.kept[$0].isUsed && !g.claimed[$0] }.sorted { g.kept[$0].placed < g.kept[$1].placed }
            let byKey: [[Int]] = pk.map { p in
                guard let p else { return [] }
                return keptFree.filter { g.kept[$0].placed.profile == space.profiles[p].name }
            }
            var busyCounts = [Int](repeating: 0, count: space.profiles.count)
            var busyCompute = 0
            var busyMask: UInt32 = 0
            var allCounts = [Int](repeating: 0, count: space.profiles.count)
            var allCompute = 0
            var occupied: UInt32 = 0
            for i in kept {
                guard let p = space.profileIndex(g.kept[i].placed.profile) else { continue }
                let m = space.mask(p, g.kept[i].placed.start)
                allCounts[p] += 1
                allCompute += space.compute[p]
                occupied |= m
                if g.kept[i].isUsed || g.claimed[i] {
                    busyCounts[p] += 1
                    busyCompute += space.compute[p]
                    busyMask |= m
                }
            }
            var added = [Int](repeating: 0, count: keys.count)
            var additions: [Int: Int] = [:]
            // Offers every claim vector on top of the additions so far.
            func offerClaims(addedMask: UInt32, addedCounts: [Int], addedCompute: Int) {
                if victims.isEmpty == false && additions.isEmpty { return }
                var claims = [Int](repeating: 0, count: keys.count)
                func next(_ k: Int) {
                    if k == keys.count {
                        var mask = busyMask | addedMask
                        var counts = busyCounts
                        var compute = busyCompute + addedCompute
                        for (j, list) in byKey.enumerated() {
                            for i in list.prefix(claims[j]) {
                                guard let p = space.profileIndex(g.kept[i].placed.profile) else { continue }
                                mask |= space.mask(p, g.kept[i].placed.start)
                                counts[p] += 1
                                compute += space.compute[p]
                            }
                        }
                        for p in counts.indices { counts[p] += addedCounts[p] }
                        let room = RoomMeasure.room(occupied: mask, space: space, weights: g.weights, computeUsed: compute, busyCounts: counts)
                        let supply = keys.indices.map { claims[$0] + added[$0] }
                        // An empty GPU changes anyway: it gets the full-GPU profile when nothing else.
                        let changed = additions.isEmpty && victims.isEmpty && !(g.original.isEmpty && g.isChangeable) ? 0 : 1
                        offer(Option(
                            supply: supply, destroyed: victims.count, changed: changed, room: room, victims: victims,
                            additions: additions, claims: claims))
                        return
                    }
                    for c in 0...min(byKey[k].count, cap[k] - added[k]) {
                        claims[k] = c
                        next(k + 1)
                    }
                    claims[k] = 0
                }
                next(0)
            }
            guard g.isChangeable else {
                offerClaims(addedMask: 0, addedCounts: [Int](repeating: 0, count: space.profiles.count), addedCompute: 0)
                return
            }
            // Additions at allowed starts, every sub-layout of the demanded profiles.
            var placements: [(k: Int, p: Int, s: Int)] = []
            for (k, p) in pk.enumerated() {
                guard let p else { continue }
                for s in space.starts[p] { placements.append((k, p, s)) }
            }
            var counts = allCounts
            var addedCounts = [Int](repeating: 0, count: space.profiles.count)
            func dfs(_ from: Int, _ occ: UInt32, _ addedMask: UInt32, _ compute: Int, _ addedCompute: Int) {
                offerClaims(addedMask: addedMask, addedCounts: addedCounts, addedCompute: addedCompute)
                for j in from..<placements.count {
                    let (k, p, s) = placements[j]
                    let m = space.mask(p, s)
                    if occ & m != 0 || added[k] >= cap[k] || counts[p] >= space.maxCount[p]
                        || compute + space.compute[p] > space.model.computeSlices
                    {
                        continue
                    }
                    counts[p] += 1
                    if space.mediaRulesHold(counts) {
                        added[k] += 1
                        addedCounts[p] += 1
                        additions[p, default: 0] += 1
                        dfs(j + 1, occ | m, addedMask | m, compute + space.compute[p], addedCompute + space.compute[p])
                        additions[p]! -= 1
                        if additions[p] == 0 { additions[p] = nil }
                        addedCounts[p] -= 1
                        added[k] -= 1
                    }
                    counts[p] -= 1
                }
            }
            dfs(0, occupied, 0, allCompute, 0)
        }
        if best.count > 100_000 { return nil }
        return best.keys.sorted { $0.lexicographicallyPrecedes($1) }.compactMap { best[$0] }
    }

    /// Calls `body` with every subset of `free` of at most `limit` elements, smallest first.
    private static func forEachDestroySet(_ free: [Int], limit: Int, _ body: ([Int]) -> Void) {
        body([])
        guard limit > 0, !free.isEmpty else { return }
        for size in 1...min(limit, free.count) {
            var pick = Array(0..<size)
            while true {
                body(pick.map { free[$0] })
                var i = size - 1
                while i >= 0 && pick[i] == free.count - size + i { i -= 1 }
                if i < 0 { break }
                pick[i] += 1
                for j in (i + 1)..<size { pick[j] = pick[j - 1] + 1 }
            }
        }
    }
}
