import KubeCore

/// Cost of placing one pod: free instances destroyed, then GPUs newly changed.
struct PlacementCost: Comparable, Hashable, Sendable {
    var destroyed: Int
    var changed: Int
    static func < (a: Self, b: Self) -> Bool { (a.destroyed, a.changed) < (b.destroyed, b.changed) }
    static let zero = PlacementCost(destroyed: 0, changed: 0)
    /// Lower bound of any placement that destroys free instances.
    static let destroying = PlacementCost(destroyed: 1, changed: 0)
}

/// Scheduling constraints of a pod: pods with equal keys pass the same static predicates.
struct ConstraintKey: Hashable {
    var selector: [String: String]?
    var affinity: Affinity?
    var tolerations: [Toleration]?

    init(_ spec: PodSpec) {
        selector = spec.nodeSelector
        affinity = spec.affinity
        tolerations = spec.tolerations
    }
}

/// Pods that cost the same on every node (same constraints, same MIG devices) share an index;
/// their other requests may differ and are checked per pod.
private struct IndexKey: Hashable {
    var constraints: ConstraintKey
    var devices: [String: Int]
}

/// The static predicates of one ``ConstraintKey`` on every node.
struct StaticFit {
    var passes: [Bool]
    var eligible: Int
    /// The first failure in node order, for the reason when no node is eligible.
    var firstFailure: FitFailure?
}

extension PartitionPlanner {
    /// The greedy placement loop with its indexes.
    ///
    /// Each pod goes to the first node, in name order, of least ``PlacementCost`` among the nodes
    /// that pass its predicates (the order the planner's objective asks for: no destroy before
    /// any destroy, then fewer GPUs changed). Rather than costing every node for every pod, each
    /// kind of pod keeps a ``PlacementIndex``: nodes bucketed by a lower bound of their cost,
    /// refined only when the search reaches them, and re-bounded only when a placement changed
    /// them (the placement log). A pod that fits nowhere costs nothing once its kind has been
    /// refined on every node, until a placement changes a node.
    ///
    /// - Complexity: per pod, O(levels × nodes / 4096) to search plus one evaluation per node it
    ///   refines; over a run, each kind refines a node at most twice per version of that node, so
    ///   the total is O(kinds × (nodes + pods)) evaluations instead of O(pods × nodes).
    struct Engine {
        var nodes: [PlanningNode]
        private var statics: [ConstraintKey: StaticFit] = [:]
        private var indexes: [IndexKey: PlacementIndex] = [:]
        private var minimumRequests: [IndexKey: PodRequests] = [:]
        /// A small number per profile the pending pods ask for (per-node memos are arrays).
        private var profileIDs: [String: Int] = [:]
        /// Node of each placement, in order (a placement changes exactly one node).
        private var log: [Int] = []
        /// Pods of each kind not placed yet (the look-ahead of destroying placements).
        private var remaining: [IndexKey: Int] = [:]
        /// Candidates a destroying placement compares (see ``search(_:_:key:)``).
        static let lookAhead = 8

        /// - Parameter pending: the pods this run will place (their requests bound the indexes).
        init(nodes: [PlanningNode], pending: [PendingPod]) {
            self.nodes = nodes
            for pod in pending {
                let key = IndexKey(constraints: ConstraintKey(pod.spec), devices: pod.devices)
                remaining[key, default: 0] += 1
                let own = pod.requests.resources.filter { !$0.key.hasPrefix(MIGProfile.resourcePrefix) }
                if let current = minimumRequests[key]?.resources {
                    var lower: [String: Quantity] = [:]
                    for (name, q) in current { if let mine = own[name] { lower[name] = min(q, mine) } }
                    minimumRequests[key] = PodRequests(resources: lower)
                } else {
                    minimumRequests[key] = PodRequests(resources: own)
                }
            }
        }

        /// The memo number of `profile`, numbering a new one when needed.
        private mutating func profileID(_ profile: String) -> Int {
            if let id = profileIDs[profile] { return id }
            profileIDs[profile] = profileIDs.count
            return profileIDs.count - 1
        }

        /// Places `pod` on the cheapest node (see ``Engine``), updating that node's state.
        mutating func place(_ pod: PendingPod) -> Plan.PodOutcome {
            let constraints = ConstraintKey(pod.spec)
            let fit = staticFit(constraints, pod.spec)
            let key = IndexKey(constraints: constraints, devices: pod.devices)
            var index = indexes.removeValue(forKey: key)
                ?? PlacementIndex(nodeCount: nodes.count, minimumRequests: minimumRequests[key] ?? PodRequests(resources: [:]))
            let profiles = pod.devices.keys.sorted().map { name in (name, profileID(name)) }
            refresh(&index, fit: fit, devices: pod.devices, profiles: profiles)
            let found = search(&index, pod, key: key)
            indexes[key] = index
            remaining[key, default: 1] -= 1
            guard let (n, option) = found else {
                // The reason is written once the plan is final (``PartitionPlanner/reason(for:on:disagreements:)``).
                return Plan.PodOutcome(namespace: pod.namespace, name: pod.name, fits: false, node: nil, fitsWithoutChange: false, reason: nil)
            }
            nodes[n].place(gpus: option.gpus)
            for (k, q) in pod.requests.resources where !k.hasPrefix(MIGProfile.resourcePrefix) {
                nodes[n].free[k] = (nodes[n].free[k] ?? .zero) - q
            }
            nodes[n].freePods -= 1
            log.append(n)
            return Plan.PodOutcome(
                namespace: pod.namespace, name: pod.name, fits: true, node: nodes[n].name,
                fitsWithoutChange: option.existingOnly, reason: nil)
        }

        /// The static predicates of `constraints` on every node, computed once per key.
        /// - Complexity: O(nodes) the first time, O(1) after.
        mutating func staticFit(_ constraints: ConstraintKey, _ spec: PodSpec) -> StaticFit {
            if let known = statics[constraints] { return known }
            var fit = StaticFit(passes: [], eligible: 0, firstFailure: nil)
            fit.passes.reserveCapacity(nodes.count)
            for node in nodes {
                let failure = NodeFit.staticFailure(of: spec, on: node.node)
                fit.passes.append(failure == nil)
                if failure == nil { fit.eligible += 1 } else if fit.firstFailure == nil { fit.firstFailure = failure }
            }
            statics[constraints] = fit
            return fit
        }

        /// Bounds every node on first use, then re-bounds the nodes placed on since the last use.
        /// - Complexity: O(nodes) the first time; O(placements since the last use) after.
        private mutating func refresh(
            _ index: inout PlacementIndex, fit: StaticFit, devices: [String: Int], profiles: [(name: String, id: Int)]
        ) {
            if !index.isBuilt {
                for n in nodes.indices { bound(&index, n, fit: fit, devices: devices, profiles: profiles) }
                index.isBuilt = true
            } else {
                for n in log[index.logPosition...] where index.version[n] != nodes[n].version {
                    bound(&index, n, fit: fit, devices: devices, profiles: profiles)
                }
            }
            index.logPosition = log.count
        }

        /// Puts node `n` in the bucket of a cheap lower bound of its cost, or excludes it. Without a
        /// changed GPU or an unclaimed free instance of a requested profile, the first device
        /// already needs a GPU changed; one device with such a free instance costs exactly zero.
        /// - Complexity: O(GPUs × instances × profiles requested).
        private mutating func bound(
            _ index: inout PlacementIndex, _ n: Int, fit: StaticFit, devices: [String: Int], profiles: [(name: String, id: Int)]
        ) {
            let v = nodes[n].version
            guard fit.passes[n], NodeFit.resourceFailure(index.minimumRequests, free: nodes[n].free, freePods: nodes[n].freePods) == nil else {
                return index.set(n, .excluded, .zero, version: v)
            }
            if devices.isEmpty { return index.set(n, .exact, .zero, version: v) }
            var hasFree = false
            for (profile, id) in profiles where nodes[n].hasFreeInstance(of: profile, id: id) {
                hasFree = true
                break
            }
            if hasFree && devices.count == 1 && devices.first?.value == 1 {
                index.set(n, .exact, .zero, version: v)
            } else if hasFree || nodes[n].hasChangedGPU {
                index.set(n, .bound, .zero, version: v)
            } else {
                index.set(n, .bound, PlacementCost(destroyed: 0, changed: 1), version: v)
            }
        }

        /// The first node, in name order, of least exact cost that passes the pod's resource
        /// check, with the evaluated placement; `nil` when none. Levels are visited from the
        /// lowest; bounds met on the way are refined, which only moves nodes to higher levels.
        ///
        /// Look-ahead: when the least cost destroys free instances, up to ``lookAhead`` nodes of
        /// that cost are compared by how many more pods of the same kind still waiting the change
        /// lets in at no further cost (destroying a 7g makes room for seven 1g, a 4g for four),
        /// first in name order on ties. One destroy then serves as many pods as it can.
        private mutating func search(
            _ index: inout PlacementIndex, _ pod: PendingPod, key: IndexKey
        ) -> (Int, (cost: PlacementCost, gpus: [GPUPlanState], existingOnly: Bool))? {
            var level = index.lowestLevel(above: nil)
            let waiting = max(0, (remaining[key] ?? 1) - 1)
            while let l = level {
                var candidate: (n: Int, option: (cost: PlacementCost, gpus: [GPUPlanState], existingOnly: Bool), more: Int)?
                var compared = 0
                var next = index.first(at: l, from: 0)
                while let n = next {
                    next = index.first(at: l, from: n + 1)
                    let short = NodeFit.resourceFailure(
                        pod.requests, free: nodes[n].free, freePods: nodes[n].freePods, skip: { $0.hasPrefix(MIGProfile.resourcePrefix) })
                    guard short == nil else { continue }
                    if index.stage[n] != .exact { refine(&index, n, devices: pod.devices) }
                    guard index.stage[n] == .exact, index.level[n] == l else { continue }
                    guard let option = Self.evaluate(pod.devices, on: nodes[n].gpus, allowDestroy: l.destroyed > 0), option.cost == l else {
                        // Not reached: the evaluation is deterministic. Keep the index truthful anyway.
                        index.set(n, .excluded, .zero, version: nodes[n].version)
                        continue
                    }
                    guard l.destroyed > 0, waiting > 0 else { return (n, option) }
                    let more = Self.followOn(pod.devices, on: option.gpus, upTo: waiting)
                    if candidate == nil || more > candidate!.more { candidate = (n, option, more) }
                    compared += 1
                    if more >= waiting || compared >= Self.lookAhead { break }
                }
                if let c = candidate { return (c.n, c.option) }
                level = index.lowestLevel(above: l)
            }
            return nil
        }

        /// How many more pods asking `devices` fit on `gpus` at no further cost, at most `limit`.
        static func followOn(_ devices: [String: Int], on gpus: [GPUPlanState], upTo limit: Int) -> Int {
            var state = gpus
            var n = 0
            while n < limit, let next = evaluate(devices, on: state, allowDestroy: false), next.cost == .zero {
                state = next.gpus
                n += 1
            }
            return n
        }

        /// One refinement step of node `n`: a bound becomes the exact cost without destroys (or
        /// the destroy bound); the destroy bound becomes the exact cost with destroys (or none).
        private mutating func refine(_ index: inout PlacementIndex, _ n: Int, devices: [String: Int]) {
            let v = nodes[n].version
            switch index.stage[n] {
            case .bound:
                let cost: PlacementCost?
                if devices.count == 1, devices.first?.value == 1, let profile = devices.first?.key {
                    cost = singleDeviceCost(profile, node: n)
                } else {
                    warmCaches(n, devices: devices)
                    cost = Self.evaluate(devices, on: nodes[n].gpus, allowDestroy: false)?.cost
                }
                if let cost { index.set(n, .exact, cost, version: v) } else { index.set(n, .needsDestroy, .destroying, version: v) }
            case .needsDestroy:
                if let cost = Self.evaluate(devices, on: nodes[n].gpus, allowDestroy: true)?.cost {
                    index.set(n, .exact, cost, version: v)
                } else {
                    index.set(n, .excluded, .zero, version: v)
                }
            case .exact, .excluded:
                break
            }
        }

        /// The cost ``evaluate(_:on:allowDestroy:)`` gives one device of `profile` on node `n`
        /// without destroys: zero for a free instance or room on a changed GPU, one GPU changed
        /// for room on another. Asks `canAdd` only as far as the answer needs, caching it on the
        /// real state so later evaluations and pods reuse it.
        private mutating func singleDeviceCost(_ profile: String, node n: Int) -> PlacementCost? {
            for g in nodes[n].gpus.indices {
                if let p = nodes[n].gpus[g].space.profileIndex(profile), nodes[n].gpus[g].freeInstance(of: p) != nil { return .zero }
            }
            for isChanged in [true, false] {
                for g in nodes[n].gpus.indices where nodes[n].gpus[g].isChangeable && nodes[n].gpus[g].isChanged == isChanged {
                    if let p = nodes[n].gpus[g].space.profileIndex(profile), nodes[n].gpus[g].canAdd(p) {
                        return PlacementCost(destroyed: 0, changed: isChanged ? 0 : 1)
                    }
                }
            }
            return nil
        }

        /// Fills the per-GPU `canAdd` caches of node `n` for the pod's profiles on the real state,
        /// so that the copies evaluation works on inherit them.
        private mutating func warmCaches(_ n: Int, devices: [String: Int]) {
            for g in nodes[n].gpus.indices where nodes[n].gpus[g].isChangeable {
                for profile in devices.keys {
                    if let p = nodes[n].gpus[g].space.profileIndex(profile), nodes[n].gpus[g].addable[p] == nil {
                        _ = nodes[n].gpus[g].canAdd(p)
                    }
                }
            }
        }
    }
}
