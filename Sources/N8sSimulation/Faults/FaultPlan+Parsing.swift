import Yams

extension FaultPlan {
    /// Reads a scenario's `faults:` section: a preset name (`standard`, `none`) or a mapping
    /// (schema: `scenarios/example.yaml`). Unknown keys and values out of range are errors naming
    /// the field (`faults.apiErrors.rate`).
    init(yaml node: Yams.Node, path: String) throws(SimulationError) {
        if let name = node.scalar?.string {
            guard let preset = FaultPlan.preset(name) else {
                throw .invalidField(field: path, reason: "'\(name)' is no fault preset (known: none, standard); or write a mapping")
            }
            self = preset
            return
        }
        self.init()
        var f = try YAMLFields(node, path: path)
        if let seed = try f.int("seed") { self.seed = UInt64(seed) }
        if let errors = f.node("apiErrors") {
            var e = try YAMLFields(errors, path: f.field("apiErrors"))
            apiErrorRate = try Self.share(&e, "rate") ?? 0
            if let items = try e.list("components") {
                var components: Set<Component> = []
                for item in items {
                    guard let text = item.node.scalar?.string, let c = Component(rawValue: text) else {
                        throw .invalidField(
                            field: item.path,
                            reason: "must be one of \(Component.allCases.map(\.rawValue).joined(separator: ", ")), got '\(item.node.scalar?.string ?? "a collection")'")
                    }
                    components.insert(c)
                }
                apiErrorComponents = components
            }
            try e.finish()
        }
        if let drops = f.node("watchDrops") {
            var w = try YAMLFields(drops, path: f.field("watchDrops"))
            watchDropEvery = try w.duration("every")
            watchExpiryShare = try Self.share(&w, "expireShare") ?? watchExpiryShare
            try w.finish()
        }
        if let kills = f.node("kills") {
            var k = try YAMLFields(kills, path: f.field("kills"))
            agentKillEvery = try k.duration("migAgentEvery")
            partitionerKillEvery = try k.duration("gpuPartitionerEvery")
            restartDelay = try k.duration("restartDelay") ?? restartDelay
            try k.finish()
        }
        if let reboots = f.node("reboots") {
            var r = try YAMLFields(reboots, path: f.field("reboots"))
            nodeRebootEvery = try r.duration("every")
            nodeDownFor = try r.duration("downFor") ?? nodeDownFor
            try r.finish()
        }
        devicePluginCrashShare = try Self.share(&f, "devicePluginCrashShare") ?? 0
        partitionerReplicas = try f.int("partitionerReplicas", in: 1...5) ?? 1
        devicePluginRestart = try f.duration("devicePluginRestart")
        kubeletAdvertiseDelay = try f.duration("kubeletAdvertiseDelay")
        activeFor = try f.duration("activeFor")
        try f.finish()
        for (name, value) in [("watchDrops.every", watchDropEvery), ("kills.migAgentEvery", agentKillEvery), ("kills.gpuPartitionerEvery", partitionerKillEvery), ("reboots.every", nodeRebootEvery), ("reboots.downFor", nodeDownFor)] {
            if let value, value <= .zero { throw .invalidField(field: "\(path).\(name)", reason: "must be above 0") }
        }
    }

    /// A number within 0...1.
    private static func share(_ f: inout YAMLFields, _ key: String) throws(SimulationError) -> Double? {
        guard let node = f.node(key) else { return nil }
        guard let text = node.scalar?.string, let value = Double(text), value >= 0, value <= 1 else {
            throw .invalidField(field: f.field(key), reason: "must be a number within 0...1, got '\(node.scalar?.string ?? "a collection")'\(YAMLFields.line(node))")
        }
        return value
    }
}
