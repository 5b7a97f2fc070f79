import KubeCore

extension PartitionPlanner.Engine {
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
