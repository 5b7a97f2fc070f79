import KubeCore

extension PlannerQuality {
    /// The exact optimum of a small instance, all three objectives lexicographically, by
    /// exhaustive search written independently of the planner (it shares only the placement rules
    /// of ``LayoutSpace`` and ``RoomMeasure``'s definition).
    ///
    /// Per GPU: every valid layout that keeps the used instances, with every subset of its other
    /// instances handed to pods (supply), costed as (free instances destroyed, GPU changed, room).
    /// Per node: for every subset of pods, the pods' static predicates, CPU, memory and pod count,
    /// then the cheapest way its GPUs supply their devices. Across nodes: every split of the pods.
    /// Exponential; meant for ``Size/small`` instances (≤ 3 nodes, ≤ 2 GPUs each, ≤ 8 pods).
    public static func optimum(_ inst: Instance) -> Objective {
        let pods = inst.pending
        let keys = Array(Set(pods.flatMap(\.devices.keys))).sorted()
        var demand = DemandWeights()
        for p in pods { demand.add(p.devices) }
        let maxDemand = keys.map { k in pods.reduce(0) { $0 + ($1.devices[k] ?? 0) } }
        var radix: [Int] = []
        var states = 1
        for c in maxDemand {
            radix.append(states)
            states *= c + 1
        }
        func encode(_ v: [Int]) -> Int { zip(v, radix).reduce(0) { $0 + $1.0 * $1.1 } }
        func decode(_ s: Int) -> [Int] { maxDemand.indices.map { (s / radix[$0]) % (maxDemand[$0] + 1) } }
        typealias Cost = (destroyed: Int, changed: Int, room: Double)
        func better(_ a: Cost, _ b: Cost) -> Bool {
            a.destroyed != b.destroyed ? a.destroyed < b.destroyed : a.changed != b.changed ? a.changed < b.changed : a.room > b.room + 1e-9
        }
        let none: Cost = (Int.max / 4, Int.max / 4, -1e18)
        func add(_ a: Cost, _ b: Cost) -> Cost { (a.destroyed + b.destroyed, a.changed + b.changed, a.room + b.room) }

        // Per node: cheapest cost of supplying each demand vector.
        var supplyCost: [[Cost]] = []
        for n in inst.nodes.indices {
            var f = [Cost](repeating: none, count: states)
            f[0] = (0, 0, 0)
            for gpu in inst.gpus where gpu.node == n {
                let options = gpuOptions(gpu.space, gpu.instances, keys: keys, cap: maxDemand, weights: demand.vector(for: gpu.space))
                var next = [Cost](repeating: none, count: states)
                for s in 0..<states where f[s].destroyed < none.destroyed {
                    let have = decode(s)
                    for (supply, cost) in options {
                        let total = zip(have, supply).map { $0 + $1 }
                        guard zip(total, maxDemand).allSatisfy({ $0 <= $1 }) else { continue }
                        let t = encode(total)
                        let value = add(f[s], cost)
                        if better(value, next[t]) { next[t] = value }
                    }
                }
                f = next
            }
            supplyCost.append(f)
        }

        // Per node and pod subset: feasible and its cost.
        let count = pods.count
        let masks = 1 << count
        var nodeCost: [[Cost]] = []
        for (n, node) in inst.nodes.enumerated() {
            var costs = [Cost](repeating: none, count: masks)
            let allocatable = node.status?.allocatable ?? [:]
            let eligible = pods.map { NodeFit.staticFailure(of: $0.spec, on: node) == nil }
            for mask in 0..<masks {
                var requests: [String: Quantity] = [:]
                var devices = [Int](repeating: 0, count: keys.count)
                var ok = true
                for i in 0..<count where mask & (1 << i) != 0 {
                    guard eligible[i] else { ok = false; break }
                    for (k, q) in pods[i].requests.resources where !k.hasPrefix(MIGProfile.resourcePrefix) {
                        requests[k] = (requests[k] ?? .zero) + q
                    }
                    for (j, key) in keys.enumerated() { devices[j] += pods[i].devices[key] ?? 0 }
                }
                guard ok else { continue }
                for (k, q) in requests where q > .zero && q > (allocatable[k] ?? .zero) { ok = false }
                if let limit = allocatable["pods"], Quantity(mask.nonzeroBitCount) > limit { ok = false }
                guard ok else { continue }
                costs[mask] = supplyCost[n][encode(devices)]
            }
            nodeCost.append(costs)
        }

        // Across nodes: best cost of each set of placed pods.
        var best = [Cost](repeating: none, count: masks)
        best[0] = (0, 0, 0)
        for costs in nodeCost {
            var next = [Cost](repeating: none, count: masks)
            for mask in 0..<masks where best[mask].destroyed < none.destroyed {
                let rest = (masks - 1) & ~mask
                var sub = rest
                while true {
                    if costs[sub].destroyed < none.destroyed {
                        let value = add(best[mask], costs[sub])
                        if better(value, next[mask | sub]) { next[mask | sub] = value }
                    }
                    if sub == 0 { break }
                    sub = (sub - 1) & rest
                }
            }
            best = next
        }
        var answer: Objective?
        var answerCost: Cost = none
        for mask in 0..<masks where best[mask].destroyed < none.destroyed {
            var fitted: [Int32: Int] = [:]
            for i in 0..<count where mask & (1 << i) != 0 { fitted[pods[i].priority, default: 0] += 1 }
            let candidate = Objective(fitted: fitted, destroyed: best[mask].destroyed, changed: best[mask].changed, room: RoomMeasure.scaled(best[mask].room))
            guard let current = answer else {
                answer = candidate
                answerCost = best[mask]
                continue
            }
            let order = compareFitted(candidate.fitted, current.fitted)
            if order > 0 || (order == 0 && better(best[mask], answerCost)) {
                answer = candidate
                answerCost = best[mask]
            }
        }
        return answer ?? Objective(fitted: [:], destroyed: 0, changed: 0, room: 0)
    }

    /// 1 when `a` fits more from the highest priority down, -1 when fewer, 0 when equal.
    static func compareFitted(_ a: [Int32: Int], _ b: [Int32: Int]) -> Int {
        for p in Set(a.keys).union(b.keys).sorted(by: >) {
            let (x, y) = (a[p] ?? 0, b[p] ?? 0)
            if x != y { return x > y ? 1 : -1 }
        }
        return 0
    }

    /// Every way one GPU can supply devices: best (destroyed, changed, room) per supply vector.
    static func gpuOptions(
        _ space: LayoutSpace, _ instances: [InstanceState], keys: [String], cap: [Int], weights: [Double]
    ) -> [([Int], (destroyed: Int, changed: Int, room: Double))] {
        let used = instances.filter(\.isUsed).map(\.placed)
        let original = instances.map(\.placed).sorted()
        let freeBefore = Set(instances.filter { !$0.isUsed }.map(\.placed))
        var best: [[Int]: (destroyed: Int, changed: Int, room: Double)] = [:]
        var layouts = space.allLayouts().filter { Set(used).isSubset(of: Set($0)) }
        if !original.isEmpty && !layouts.contains(original) { layouts.append(original) }
        for layout in layouts {
            let changed = layout.sorted() != original ? 1 : 0
            let destroyed = freeBefore.subtracting(layout).count
            let usedSet = Set(used)
            let handable = layout.filter { i in !usedSet.contains(i) && keys.contains(MIGProfile.resourceForm(of: i.profile)) }
            for subset in 0..<(1 << handable.count) {
                var supply = [Int](repeating: 0, count: keys.count)
                var busy = used
                for (j, i) in handable.enumerated() where subset & (1 << j) != 0 {
                    supply[keys.firstIndex(of: MIGProfile.resourceForm(of: i.profile))!] += 1
                    busy.append(i)
                }
                guard zip(supply, cap).allSatisfy({ $0 <= $1 }) else { continue }
                let room = RoomMeasure.room(busy: busy, space: space, weights: weights)
                let cost = (destroyed: destroyed, changed: changed, room: room)
                if let current = best[supply] {
                    let isBetter = cost.destroyed != current.destroyed ? cost.destroyed < current.destroyed
                        : cost.changed != current.changed ? cost.changed < current.changed : cost.room > current.room + 1e-9
                    if !isBetter { continue }
                }
                best[supply] = cost
            }
        }
        return best.map { ($0.key, $0.value) }
    }
}
