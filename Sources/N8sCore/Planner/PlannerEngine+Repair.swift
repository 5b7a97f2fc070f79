import KubeCore

extension PartitionPlanner.Engine {
    /// Evaluations (a pod added to a node, or a node rebuilt without one of its pods) one repair
    /// pass may spend; it stops, keeping what it improved, when they run out.
    static let repairBudget = 8_000

    /// Step (a'), after the greedy pass: re-places pods so that pods left out fit (design.md
    /// section 5, objective (1)). The greedy pass chooses nodes by MIG cost alone, so a node's
    /// CPU, memory or GPU slices can go to a pod that had other nodes, or to a heavy pod of a
    /// priority when a lighter one of the same priority would have left room for more.
    ///
    /// For each pod left out, highest priority first, then smallest footprint: (1) add it to a
    /// node as it now stands, or with all its pods' devices placed again together, largest first;
    /// else, for each node that passes its predicates and each pod `v`
    /// there (largest footprint first) whose removal lets it in:
    /// (2) move `v` to another node, as it stands or in place of a pod there that moves on to a
    /// third node (or back to the first); or (3) when `v`'s priority is lower, leave `v` out; or (4)
    /// put in `v`'s place another pod left out of `v`'s priority, on that node or another; or (5)
    /// take every pod of a lower priority off a node, put it in, and those pods back as far as
    /// they fit. Every
    /// accepted move fits one more pod at the left-out pod's priority and no fewer at any higher
    /// one, so the pods fitted grow lexicographically and the pass ends; it repeats while a round
    /// improves and ``repairBudget`` lasts. A node whose pods change is rebuilt from its state
    /// before the plan (``evaluate(_:on:allowDestroy:)`` of its pods' devices together); step (b)
    /// then makes each changed node's change the cheapest for its pods. Last, for objective (2)
    /// across nodes, a pod on a node whose change destroys free instances moves to another node
    /// when the two changes together destroy fewer, or as many and change fewer GPUs.
    ///
    /// - Parameters:
    ///   - initial: the nodes before the plan (same order as ``nodes``).
    ///   - lean: each pod's footprint (the `leanFirst` key), for the orders above.
    ///   - outcomes: per pending pod; updated for every pod a move places, moves or leaves out.
    /// - Complexity: at most ``repairBudget`` evaluations, plus O(pods × nodes) resource checks
    ///   per round.
    mutating func repair(pending: [PendingPod], initial: [PlanningNode], lean: [Double], outcomes: inout [Plan.PodOutcome]) {
        var index: [String: Int] = [:]
        for (n, node) in nodes.enumerated() { index[node.name] = n }
        var assigned = [Int?](repeating: nil, count: pending.count)
        var podsOn = [[Int]](repeating: [], count: nodes.count)
        for (i, o) in outcomes.enumerated() where o.fits {
            guard let name = o.node, let n = index[name] else { continue }
            assigned[i] = n
            podsOn[n].append(i)
        }
        var passes: [[Bool]] = []
        passes.reserveCapacity(pending.count)
        for pod in pending { passes.append(staticFit(ConstraintKey(pod.spec), pod.spec).passes) }
        var budget = Self.repairBudget
        let byPriorityThenLean: (Int, Int) -> Bool = { a, b in
            if pending[a].priority != pending[b].priority { return pending[a].priority > pending[b].priority }
            return (lean[a], a) < (lean[b], b)
        }

        /// `node` with pod `i` added on top of its state (devices on its GPUs as they are), or nil.
        func adding(_ i: Int, to node: PlanningNode) -> PlanningNode? {
            let pod = pending[i]
            guard budget > 0,
                NodeFit.resourceFailure(pod.requests, free: node.free, freePods: node.freePods, skip: Self.isMIG) == nil
            else { return nil }
            var out = node
            if !pod.devices.isEmpty {
                budget -= 1
                guard let option = Self.evaluate(pod.devices, on: node.gpus, allowDestroy: true) else { return nil }
                out.place(gpus: option.gpus)
            }
            for (k, q) in pod.requests.resources where !Self.isMIG(k) { out.free[k] = (out.free[k] ?? .zero) - q }
            out.freePods -= 1
            return out
        }
        /// Node `n` rebuilt from its state before the plan with `pods` only, or nil.
        func rebuilt(_ n: Int, with pods: [Int]) -> PlanningNode? {
            var node = initial[n]
            var devices: [String: Int] = [:]
            for i in pods {
                guard NodeFit.resourceFailure(pending[i].requests, free: node.free, freePods: node.freePods, skip: Self.isMIG) == nil
                else { return nil }
                for (k, q) in pending[i].requests.resources where !Self.isMIG(k) { node.free[k] = (node.free[k] ?? .zero) - q }
                node.freePods -= 1
                for (p, c) in pending[i].devices { devices[p, default: 0] += c }
            }
            guard !devices.isEmpty else { return node }
            guard budget > 0 else { return nil }
            budget -= 1
            guard let option = Self.evaluate(devices, on: initial[n].gpus, allowDestroy: true) else { return nil }
            node.place(gpus: option.gpus)
            return node
        }
        /// `true` when the room `v` leaves on `node` covers what `u` asks beyond the node's free
        /// resources (cheap check before any evaluation).
        func relief(_ v: Int, lets u: Int, into node: PlanningNode) -> Bool {
            for (k, q) in pending[u].requests.resources where !Self.isMIG(k) && q > .zero {
                let room = (node.free[k] ?? .zero) + (pending[v].requests.resources[k] ?? .zero)
                if q > room { return false }
            }
            return true
        }
        func commit(_ n: Int, _ node: PlanningNode, pods: [Int]) {
            nodes[n] = node
            podsOn[n] = pods
            for i in pods { assigned[i] = n }
        }
        func leaveOut(_ v: Int) { assigned[v] = nil }

        typealias Overlay = [Int: (node: PlanningNode, pods: [Int])]
        /// Node changes that put `v` on another node than `n0`, on top of `overlay`: added to a
        /// node as it stands, or (`depth` > 0) in place of a pod there that moves on in turn.
        func relocate(_ v: Int, from n0: Int, overlay: Overlay, depth: Int) -> Overlay? {
            for m in nodes.indices where m != n0 && passes[v][m] {
                let (node, pods) = overlay[m] ?? (nodes[m], podsOn[m])
                if let moved = adding(v, to: node) {
                    var out = overlay
                    out[m] = (moved, pods + [v])
                    return out
                }
            }
            guard depth > 0 else { return nil }
            for m in nodes.indices where m != n0 && passes[v][m] && overlay[m] == nil {
                for v2 in podsOn[m] where relief(v2, lets: v, into: nodes[m]) {
                    let rest = podsOn[m].filter { $0 != v2 }
                    guard budget > 0, let without = rebuilt(m, with: rest), let with = adding(v, to: without) else { continue }
                    var out = overlay
                    out[m] = (with, rest + [v])
                    if let done = relocate(v2, from: m, overlay: out, depth: depth - 1) { return done }
                }
            }
            return nil
        }

        func place(_ u: Int) -> Bool {
            let eligible = nodes.indices.filter { passes[u][$0] }
            for n in eligible {
                if let node = adding(u, to: nodes[n]) {
                    commit(n, node, pods: podsOn[n] + [u])
                    return true
                }
            }
            // Its node's pods' devices placed again together, largest first, with its own.
            for n in eligible where !podsOn[n].isEmpty {
                if let node = rebuilt(n, with: podsOn[n] + [u]) {
                    commit(n, node, pods: podsOn[n] + [u])
                    return true
                }
            }
            for n in eligible {
                let victims = podsOn[n].filter { relief($0, lets: u, into: nodes[n]) }
                for v in victims.sorted(by: { (lean[$0], $0) > (lean[$1], $1) }) {
                    let rest = podsOn[n].filter { $0 != v }
                    guard let with = rebuilt(n, with: rest + [u]) ?? rebuilt(n, with: rest).flatMap({ adding(u, to: $0) }) else { continue }
                    if let moves = relocate(v, from: n, overlay: [n: (with, rest + [u])], depth: 1) {
                        for (m, change) in moves { commit(m, change.node, pods: change.pods) }
                        return true
                    }
                    if pending[v].priority < pending[u].priority {
                        commit(n, with, pods: rest + [u])
                        leaveOut(v)
                        return true
                    }
                    let others = pending.indices.filter { $0 != u && assigned[$0] == nil && pending[$0].priority == pending[v].priority }
                    for w in others.sorted(by: byPriorityThenLean) {
                        if passes[w][n], let both = adding(w, to: with) {
                            commit(n, both, pods: rest + [u, w])
                            leaveOut(v)
                            return true
                        }
                        for m in nodes.indices where m != n && passes[w][m] {
                            if let taken = adding(w, to: nodes[m]) {
                                commit(n, with, pods: rest + [u])
                                commit(m, taken, pods: podsOn[m] + [w])
                                leaveOut(v)
                                return true
                            }
                        }
                        if budget <= 0 { return false }
                    }
                }
            }
            // Every pod of a lower priority off one node, the left-out pod in, then those pods back
            // as far as they fit (higher priority and smaller footprint first); the rest are left out.
            for n in eligible {
                let lower = podsOn[n].filter { pending[$0].priority < pending[u].priority }
                guard !lower.isEmpty else { continue }
                let rest = podsOn[n].filter { pending[$0].priority >= pending[u].priority }
                guard var node = rebuilt(n, with: rest + [u]) ?? rebuilt(n, with: rest).flatMap({ adding(u, to: $0) }) else { continue }
                var pods = rest + [u]
                for v in lower.sorted(by: byPriorityThenLean) {
                    if let more = adding(v, to: node) {
                        node = more
                        pods.append(v)
                    } else {
                        leaveOut(v)
                    }
                }
                commit(n, node, pods: pods)
                return true
            }
            return false
        }

        // Pods that fit no node even before the plan (too many CPUs, a profile no eligible model
        // has, more devices than a node's GPUs hold) are left alone: they would only spend the budget.
        let left = pending.indices.filter { assigned[$0] == nil && Self.fitsAlone(pending[$0], passes: passes[$0], on: initial) }

        var improved = true
        while improved && budget > 0 {
            improved = false
            for u in left.sorted(by: byPriorityThenLean) where assigned[u] == nil {
                if place(u) { improved = true }
                if budget <= 0 { break }
            }
        }
        // Objective (2): a pod on a node whose change destroys free instances moves to another
        // node when the two nodes' changes together destroy fewer, or as many and change fewer GPUs.
        func cost(_ node: PlanningNode) -> (destroyed: Int, changed: Int) {
            (node.gpus.reduce(0) { $0 + $1.destroyed.count }, node.gpus.reduce(0) { $0 + ($1.isChanged ? 1 : 0) })
        }
        var moved = true
        while moved && budget > 0 {
            moved = false
            search: for n in nodes.indices where cost(nodes[n]).destroyed > 0 {
                for v in podsOn[n] where !pending[v].devices.isEmpty {
                    let rest = podsOn[n].filter { $0 != v }
                    guard let without = rebuilt(n, with: rest) else { continue }
                    let (was, now) = (cost(nodes[n]), cost(without))
                    for m in nodes.indices where m != n && passes[v][m] {
                        guard let with = adding(v, to: nodes[m]) else { continue }
                        let (b, a) = (cost(nodes[m]), cost(with))
                        if (now.destroyed + a.destroyed, now.changed + a.changed) < (was.destroyed + b.destroyed, was.changed + b.changed) {
                            commit(n, without, pods: rest)
                            commit(m, with, pods: podsOn[m] + [v])
                            moved = true
                            break search
                        }
                    }
                }
            }
        }
        for i in pending.indices {
            let o = outcomes[i]
            guard let n = assigned[i] else {
                if o.fits { outcomes[i] = Plan.PodOutcome(namespace: o.namespace, name: o.name, fits: false, node: nil, fitsWithoutChange: false, reason: nil) }
                continue
            }
            // A node without a changed GPU hands out existing instances only; step (b) says again
            // which pods of a changed node fit without a change.
            let moved = o.node != nodes[n].name || !o.fits
            let withoutChange = !nodes[n].hasChangedGPU || (!moved && o.fitsWithoutChange)
            outcomes[i] = Plan.PodOutcome(
                namespace: o.namespace, name: o.name, fits: true, node: nodes[n].name, fitsWithoutChange: withoutChange, reason: nil)
        }
    }

    static func isMIG(_ resource: String) -> Bool { resource.hasPrefix(MIGProfile.resourcePrefix) }

    /// `false` when `pod` fits no node even alone, before the plan: no node that passes its
    /// predicates (`passes`, by node) has its CPU, memory and other resources, or none could hold
    /// its devices with every free instance destroyable (compute slices asked against the node's
    /// total first, then the layout search). A necessary condition for fitting, not a sufficient one.
    /// - Complexity: O(nodes) resource checks, then at most one evaluation per node.
    static func fitsAlone(_ pod: PendingPod, passes: [Bool], on initial: [PlanningNode]) -> Bool {
        let room = initial.indices.contains { n in
            passes[n] && NodeFit.resourceFailure(pod.requests, free: initial[n].free, freePods: initial[n].freePods, skip: isMIG) == nil
        }
        guard room, !pod.devices.isEmpty else { return room }
        func couldHold(_ n: Int) -> Bool {
            var asked = 0
            for (profile, count) in pod.devices {
                guard let g = initial[n].gpus.first(where: { $0.space.profileIndex(profile) != nil }), let p = g.space.profileIndex(profile)
                else { return false }
                asked += g.space.compute[p] * count
            }
            return asked <= initial[n].gpus.reduce(0) { $0 + $1.space.model.computeSlices }
        }
        return initial.indices.contains { passes[$0] && couldHold($0) && evaluate(pod.devices, on: initial[$0].gpus, allowDestroy: true) != nil }
    }
}
