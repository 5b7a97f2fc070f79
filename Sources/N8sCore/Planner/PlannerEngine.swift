import KubeCore

/// Cost of placing one pod: free instances destroyed, then GPUs newly changed.
struct PlacementCost: Comparable, Sendable {
    var destroyed: Int
    var changed: Int
    static func < (a: Self, b: Self) -> Bool { (a.destroyed, a.changed) < (b.destroyed, b.changed) }
    static let zero = PlacementCost(destroyed: 0, changed: 0)
}

/// Key of pods that behave alike on every node (same constraints, requests and devices).
private struct PodKey: Hashable {
    var selector: [String: String]?
    var affinity: Affinity?
    var tolerations: [Toleration]?
    var requests: [String: Quantity]
}

private struct ConstraintKey: Hashable {
    var selector: [String: String]?
    var affinity: Affinity?
    var tolerations: [Toleration]?
}

extension PartitionPlanner {
    /// The greedy placement loop with its caches. Failure memos rely on monotonicity: without a
    /// destroy on a node, its room only shrinks, so a pod kind that failed there fails again.
    struct Engine {
        var nodes: [PlanningNode]
        private var staticPass: [ConstraintKey: [Int8]] = [:]
        private var failedZeroDestroy: [PodKey: [Int]] = [:]
        private var failedWithDestroy: [PodKey: [Int]] = [:]

        init(nodes: [PlanningNode]) { self.nodes = nodes }

        mutating func place(_ pod: PendingPod) -> Plan.PodOutcome {
            let ckey = ConstraintKey(selector: pod.spec.nodeSelector, affinity: pod.spec.affinity, tolerations: pod.spec.tolerations)
            let key = PodKey(selector: ckey.selector, affinity: ckey.affinity, tolerations: ckey.tolerations, requests: pod.requests.resources)
            var passes = staticPass[ckey] ?? [Int8](repeating: 0, count: nodes.count)
            var firstFailure: FitFailure?
            var eligible = 0
            var best: (cost: PlacementCost, node: Int, gpus: [GPUPlanState], existingOnly: Bool)?
            for allowDestroy in [false, true] {
                var memo = (allowDestroy ? failedWithDestroy[key] : failedZeroDestroy[key]) ?? [Int](repeating: -1, count: nodes.count)
                for n in nodes.indices {
                    if passes[n] == 0 {
                        let f = NodeFit.staticFailure(of: pod.spec, on: nodes[n].node)
                        passes[n] = f == nil ? 1 : 2
                        if firstFailure == nil, let f { firstFailure = f }
                    }
                    guard passes[n] == 1 else { continue }
                    eligible += allowDestroy ? 0 : 1
                    if memo[n] == nodes[n].destroyVersion { continue }
                    let floor = allowDestroy ? PlacementCost(destroyed: 1, changed: 0)
                        : (nodes[n].hasChangedGPU || nodes[n].hasUnclaimedFree ? .zero : PlacementCost(destroyed: 0, changed: 1))
                    if let best, best.cost <= floor { continue }
                    if let f = NodeFit.resourceFailure(pod.requests, free: nodes[n].free, freePods: nodes[n].freePods, skip: { $0.hasPrefix(MIGProfile.resourcePrefix) }) {
                        if firstFailure == nil { firstFailure = f }
                        memo[n] = nodes[n].destroyVersion
                        continue
                    }
                    // Warm the per-GPU caches on the real state so evaluation copies inherit them.
                    for g in nodes[n].gpus.indices where nodes[n].gpus[g].isChangeable {
                        for profile in pod.devices.keys {
                            if let p = nodes[n].gpus[g].space.profileIndex(profile), nodes[n].gpus[g].addable[p] == nil {
                                _ = nodes[n].gpus[g].canAdd(p)
                            }
                        }
                    }
                    // Fast path: one device without destroys is costed on the real state, no copy.
                    if !allowDestroy, pod.devices.count == 1, pod.devices.first?.value == 1, let profile = pod.devices.first?.key {
                        guard let cost = Self.singleDeviceCost(profile, on: nodes[n].gpus) else {
                            memo[n] = nodes[n].destroyVersion
                            continue
                        }
                        if best == nil || cost < best!.cost {
                            guard let option = Self.evaluate(pod.devices, on: nodes[n].gpus, allowDestroy: false) else { continue }
                            best = (option.cost, n, option.gpus, option.existingOnly)
                            if option.cost == .zero { break }
                        }
                        continue
                    }
                    guard let option = Self.evaluate(pod.devices, on: nodes[n].gpus, allowDestroy: allowDestroy) else {
                        memo[n] = nodes[n].destroyVersion
                        continue
                    }
                    if best == nil || option.cost < best!.cost {
                        best = (option.cost, n, option.gpus, option.existingOnly)
                        if option.cost == .zero && !allowDestroy { break }
                    }
                }
                if allowDestroy { failedWithDestroy[key] = memo } else { failedZeroDestroy[key] = memo }
                if best != nil { break }
            }
            staticPass[ckey] = passes
            guard let best else {
                let reason: String
                if eligible == 0 {
                    reason = firstFailure.map { "no plannable node passes the scheduler's predicates (\($0))" } ?? "no plannable node"
                } else {
                    let wanted = pod.devices.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
                    reason = "no layout that keeps used instances gives \(wanted) on the \(eligible) eligible node(s)"
                }
                return Plan.PodOutcome(namespace: pod.namespace, name: pod.name, fits: false, node: nil, fitsWithoutChange: false, reason: reason)
            }
            if best.cost.destroyed > 0 { nodes[best.node].destroyVersion += 1 }
            nodes[best.node].gpus = best.gpus
            for (k, q) in pod.requests.resources where !k.hasPrefix(MIGProfile.resourcePrefix) {
                nodes[best.node].free[k] = (nodes[best.node].free[k] ?? .zero) - q
            }
            nodes[best.node].freePods -= 1
            return Plan.PodOutcome(
                namespace: pod.namespace, name: pod.name, fits: true, node: nodes[best.node].name,
                fitsWithoutChange: best.existingOnly, reason: nil)
        }

        /// Cost of one device on a node without destroying anything, from cached per-GPU answers.
        static func singleDeviceCost(_ profile: String, on gpus: [GPUPlanState]) -> PlacementCost? {
            var best: PlacementCost?
            for g in gpus.indices {
                guard let p = gpus[g].space.profileIndex(profile) else { continue }
                if gpus[g].freeInstance(of: p) != nil { return .zero }
                guard gpus[g].isChangeable, gpus[g].addable[p] == true else { continue }
                let cost = PlacementCost(destroyed: 0, changed: gpus[g].isChanged ? 0 : 1)
                if best == nil || cost < best! { best = cost }
            }
            return best
        }

        /// Places every device of a pod on one node's GPUs (largest devices first), cheapest GPU each.
        static func evaluate(
            _ devices: [String: Int], on original: [GPUPlanState], allowDestroy: Bool
        ) -> (cost: PlacementCost, gpus: [GPUPlanState], existingOnly: Bool)? {
            var gpus = original
            var total = PlacementCost.zero
            var existingOnly = true
            var units: [String] = []
            for (profile, n) in devices.sorted(by: { $0.key < $1.key }) { units += repeatElement(profile, count: n) }
            units.sort { (sizeHint($0), $0) > (sizeHint($1), $1) }
            for profile in units {
                var choice: (cost: PlacementCost, gpu: Int, existing: Int?, victims: [Int], p: Int)?
                for g in gpus.indices {
                    guard let p = gpus[g].space.profileIndex(profile) else { continue }
                    if let i = gpus[g].freeInstance(of: p) {
                        choice = (.zero, g, i, [], p)
                        break
                    }
                    guard gpus[g].isChangeable else { continue }
                    let changed = gpus[g].isChanged ? 0 : 1
                    if let c = choice, c.cost <= PlacementCost(destroyed: 0, changed: changed) { continue }
                    if gpus[g].canAdd(p) {
                        choice = (PlacementCost(destroyed: 0, changed: changed), g, nil, [], p)
                    } else if allowDestroy, choice == nil || choice!.cost.destroyed > 0, let victims = gpus[g].destroyToAdd(p) {
                        let cost = PlacementCost(destroyed: victims.count, changed: changed)
                        if choice == nil || cost < choice!.cost { choice = (cost, g, nil, victims, p) }
                    }
                }
                guard let c = choice else { return nil }
                if let i = c.existing {
                    gpus[c.gpu].claim(i)
                } else {
                    existingOnly = false
                    gpus[c.gpu].add(c.p, destroying: c.victims)
                }
                total.destroyed += c.cost.destroyed
                total.changed += c.cost.changed
            }
            return (total, gpus, existingOnly)
        }

        private static func sizeHint(_ profile: String) -> Int {
            ProfileGrammar.parse(profile[...]).map { $0.g * 1000 + $0.gb } ?? 0
        }
    }
}
