import KubeCore

extension PlannerQuality {
    /// A large instance and the planner's answer as one JSON object, the input of
    /// `scripts/planner-quality-highs.py` (an integer programme solved with HiGHS).
    ///
    /// Shape: `seed`; `keys` (profiles in resource form); `nodes`: `cpuMilli`, `memoryBytes`,
    /// `pods`, and `gpus`, each a list of options `[destroyed, changed, supply per key...]`
    /// (every supply a GPU can give over the layouts that keep its used instances, dominated
    /// options dropped); `pods`: `priority`, `cpuMilli`, `memoryBytes`, `devices` per key,
    /// `eligible` node indexes (static predicates); `planner`: `fitted` per priority,
    /// `destroyed`, `changed`, `violations`.
    public static func export(_ inst: Instance, plan: Plan) -> JSONValue {
        let keys = Array(Set(inst.pending.flatMap(\.devices.keys))).sorted()
        let cap = keys.map { k in inst.pending.reduce(0) { $0 + ($1.devices[k] ?? 0) } }
        func number(_ q: Quantity?) -> JSONValue { .int(Int64(clamping: (q ?? .zero).milliValue)) }
        var nodes: [JSONValue] = []
        for (n, node) in inst.nodes.enumerated() {
            let allocatable = node.status?.allocatable ?? [:]
            var gpus: [JSONValue] = []
            for gpu in inst.gpus where gpu.node == n {
                let options = gpuOptions(gpu.space, gpu.instances, keys: keys, cap: cap, weights: [Double](repeating: 0, count: gpu.space.profiles.count))
                let pruned = options.filter { a in
                    !options.contains { b in
                        b.0 != a.0 && zip(b.0, a.0).allSatisfy { $0 >= $1 } && b.1.destroyed <= a.1.destroyed && b.1.changed <= a.1.changed
                    }
                }
                gpus.append(.array(pruned.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map { o in
                    .array([.int(Int64(o.1.destroyed)), .int(Int64(o.1.changed))] + o.0.map { .int(Int64($0)) })
                }))
            }
            nodes.append(.object([
                "cpuMilli": number(allocatable["cpu"]),
                "memoryBytes": .int(Int64(clamping: (allocatable["memory"] ?? .zero).value)),
                "pods": .int(Int64(clamping: (allocatable["pods"] ?? Quantity(110)).value)),
                "gpus": .array(gpus),
            ]))
        }
        let pods: [JSONValue] = inst.pending.map { p in
            .object([
                "priority": .int(Int64(p.priority)),
                "cpuMilli": number(p.requests.resources["cpu"]),
                "memoryBytes": .int(Int64(clamping: (p.requests.resources["memory"] ?? .zero).value)),
                "devices": .array(keys.map { .int(Int64(p.devices[$0] ?? 0)) }),
                "eligible": .array(inst.nodes.indices.filter { NodeFit.staticFailure(of: p.spec, on: inst.nodes[$0]) == nil }.map { .int(Int64($0)) }),
            ])
        }
        let mine = objective(of: plan, inst)
        var fitted: [String: JSONValue] = [:]
        for (p, n) in mine.fitted { fitted["\(p)"] = .int(Int64(n)) }
        return .object([
            "seed": .int(Int64(clamping: inst.seed)),
            "keys": .array(keys.map { .string($0) }),
            "nodes": .array(nodes),
            "pods": .array(pods),
            "planner": .object([
                "fitted": .object(fitted), "destroyed": .int(Int64(mine.destroyed)), "changed": .int(Int64(mine.changed)),
                "violations": .int(Int64(violations(plan, inst, seed: inst.seed).count)),
            ]),
        ])
    }
}
