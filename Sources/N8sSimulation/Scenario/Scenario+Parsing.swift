import KubeCore
import N8sCore
import Yams

extension Scenario {
    /// Reads and checks a scenario file (schema: `scenarios/example.yaml`).
    ///
    /// Checks: no unknown keys at any level; counts and sizes not negative; `timeScale` above 0;
    /// durations in Go syntax; quantities in Kubernetes syntax; GPU products known to `catalog`;
    /// MIG profiles and geometries (starting layouts, `static:` mode) valid for every GPU model
    /// they apply to (N8sCore ``LayoutSpace``); a pod's MIG profile offered by some node group's model;
    /// unique node group and pod group names.
    /// - Throws: ``SimulationError/invalidField(field:reason:)`` naming the field path, or
    ///   ``SimulationError/malformedScenario(_:)`` for text that is not YAML.
    public init(yaml text: String, catalog: MIGCatalog) throws(SimulationError) {
        let root: Yams.Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw SimulationError.malformedScenario("the file is empty") }
            root = node
        } catch let error as SimulationError { throw error } catch { throw .malformedScenario("not YAML: \(error)") }
        var top = try YAMLFields(root, path: "")
        let name = try top.string("name") ?? "scenario"
        let timeScale = try top.positiveNumber("timeScale") ?? 60
        let stopAfter = try top.duration("stopAfter")

        var groups: [NodeGroup] = []
        guard let nodeItems = try top.list("nodes"), !nodeItems.isEmpty else {
            throw .invalidField(field: "nodes", reason: "is required: a list of node groups")
        }
        for item in nodeItems {
            let group = try Self.nodeGroup(item.node, path: item.path, catalog: catalog)
            if groups.contains(where: { $0.name == group.name }) {
                throw .invalidField(field: "\(item.path).name", reason: "'\(group.name)' names two node groups")
            }
            groups.append(group)
        }
        let gpuModels = groups.compactMap(\.gpuModel)

        var partitioning = Partitioning.dynamic
        if let mode = try top.string("partitioning") {
            if mode == "dynamic" {
                partitioning = .dynamic
            } else if mode.hasPrefix("static:") {
                let text = String(mode.dropFirst("static:".count))
                guard let first = gpuModels.first else {
                    throw .invalidField(field: "partitioning", reason: "static partitioning needs GPU nodes")
                }
                var geometry = try GeometryText.parse(text, field: "partitioning", model: first)
                for model in gpuModels.dropFirst() { geometry = try GeometryText.parse(text, field: "partitioning", model: model) }
                partitioning = .fixed(geometry)
            } else {
                throw .invalidField(field: "partitioning", reason: "must be 'dynamic' or 'static:<geometry>' (e.g. static:1g.10gb*7), got '\(mode)'")
            }
        }

        var timing = Timing()
        if let node = top.node("timing") {
            var t = try YAMLFields(node, path: "timing")
            timing.kubeletStatusDelay = try t.duration("kubeletStatusDelay") ?? timing.kubeletStatusDelay
            timing.devicePluginRestart = try t.duration("devicePluginRestart") ?? timing.devicePluginRestart
            timing.migReconfiguration = try t.duration("migReconfiguration") ?? timing.migReconfiguration
            try t.finish()
        }
        var window = BatchWindow()
        if let node = top.node("batchWindow") {
            var w = try YAMLFields(node, path: "batchWindow")
            window.timeout = try w.duration("timeout") ?? window.timeout
            window.idle = try w.duration("idle") ?? window.idle
            try w.finish()
        }
        var scheduler = SimScheduler.Configuration()
        if let node = top.node("scheduler") { scheduler = try Self.schedulerConfiguration(node) }
        var faults = FaultPlan()
        if let node = top.node("faults") { faults = try FaultPlan(yaml: node, path: "faults") }

        var podGroups: [PodGroup] = []
        for item in try top.list("pods") ?? [] {
            let group = try Self.podGroup(item.node, path: item.path, models: gpuModels)
            if podGroups.contains(where: { $0.name == group.name && $0.namespace == group.namespace }) {
                throw .invalidField(field: "\(item.path).name", reason: "'\(group.name)' names two pod groups in namespace \(group.namespace)")
            }
            podGroups.append(group)
        }
        try top.finish()
        self.init(name: name, timeScale: timeScale, stopAfter: stopAfter, partitioning: partitioning, nodes: groups, pods: podGroups,
                  timing: timing, batchWindow: window, scheduler: scheduler)
        self.faults = faults
    }

    private static func nodeGroup(_ node: Yams.Node, path: String, catalog: MIGCatalog) throws(SimulationError) -> NodeGroup {
        var f = try YAMLFields(node, path: path)
        let name = try f.requiredString("name")
        guard name.wholeMatch(of: /[a-z0-9]([-a-z0-9]*[a-z0-9])?/) != nil, name.count <= 50 else {
            throw .invalidField(field: f.field("name"), reason: "'\(name)' is not a DNS label (lower case letters, digits, '-'; ≤ 50 characters)")
        }
        let count = try f.int("count") ?? 1
        let gpus = try f.int("gpusPerNode", in: 0...64) ?? 0
        var model: GPUModel?
        let product = try f.string("gpuProduct")
        if let product {
            do { model = try catalog.model(forProduct: product).model } catch {
                throw .invalidField(field: f.field("gpuProduct"), reason: "\(error)")
            }
            guard model?.isPlannable == true else {
                throw .invalidField(field: f.field("gpuProduct"), reason: "the catalog lacks MIG placements for \(model?.id ?? product)")
            }
        }
        if gpus > 0 && model == nil { throw .invalidField(field: f.field("gpuProduct"), reason: "is required when gpusPerNode > 0") }
        var starting: Geometry?
        if let layout = try f.string("migLayout"), layout != "none" {
            guard let model else { throw .invalidField(field: f.field("migLayout"), reason: "needs gpuProduct") }
            starting = try GeometryText.parse(layout, field: f.field("migLayout"), model: model)
        }
        var strategy = DeviceIDStrategy.uuid
        if let text = try f.string("deviceIDStrategy") {
            guard let parsed = DeviceIDStrategy(rawValue: text) else {
                throw .invalidField(field: f.field("deviceIDStrategy"), reason: "must be 'uuid' or 'index' (the device plugin's DEVICE_ID_STRATEGY), got '\(text)'")
            }
            strategy = parsed
        }
        let group = NodeGroup(
            name: name, count: count, gpuModel: gpus > 0 ? model : nil, gpuProduct: gpus > 0 ? (model?.productLabels.first ?? product) : nil,
            gpusPerNode: gpus, cpu: try f.quantity("cpu") ?? Quantity(64), memory: try f.quantity("memory") ?? Quantity(bytes: 512 << 30),
            maxPods: try f.int("maxPods", in: 1...10_000) ?? 110, startingGeometry: starting, deviceIDStrategy: strategy
        )
        try f.finish()
        return group
    }

    private static func podGroup(_ node: Yams.Node, path: String, models: [GPUModel]) throws(SimulationError) -> PodGroup {
        var f = try YAMLFields(node, path: path)
        let name = try f.requiredString("name")
        guard name.wholeMatch(of: /[a-z0-9]([-a-z0-9]*[a-z0-9])?/) != nil, name.count <= 50 else {
            throw .invalidField(field: f.field("name"), reason: "'\(name)' is not a DNS label (lower case letters, digits, '-'; ≤ 50 characters)")
        }
        let namespace = try f.string("namespace") ?? "default"
        guard let duration = try f.duration("duration") else { throw .invalidField(field: f.field("duration"), reason: "is required") }
        let priority = try f.int("priority", in: -1_000_000_000...1_000_000_000) ?? 0
        let count = try f.int("count") ?? 1
        let every = try f.duration("every") ?? .zero
        let arrival = try f.duration("arrival") ?? .zero
        let profile = try f.string("mig")
        let devices = try f.int("devices", in: 1...64)
        let gpus = try f.int("gpus", in: 1...64)
        var request = GPURequest.cpuOnly
        if profile != nil, gpus != nil {
            throw .invalidField(field: f.field("gpus"), reason: "give either mig or gpus, not both")
        }
        if let profile {
            guard let model = models.first(where: { $0.profile(named: profile)?.isPlaceable == true }),
                let p = model.profile(named: profile)
            else {
                let known = Set(models.flatMap { $0.placeableProfiles().map(\.name) }).sorted().joined(separator: ", ")
                throw .invalidField(field: f.field("mig"), reason: "no node group's GPU offers MIG profile '\(profile)' (known: \(known))")
            }
            request = .mig(profile: p.name, count: devices ?? 1)
        } else if let gpus {
            guard let full = models.first?.fullGPUProfile else {
                throw .invalidField(field: f.field("gpus"), reason: "needs a node group with MIG-capable GPUs")
            }
            request = .wholeGPUs(count: gpus, fullProfile: full.name)
        } else if devices != nil {
            throw .invalidField(field: f.field("devices"), reason: "needs mig")
        }
        let group = PodGroup(
            name: name, namespace: namespace, arrival: arrival, duration: duration, priority: Int32(priority), gpu: request,
            cpu: try f.quantity("cpu") ?? Quantity(milli: 100), memory: try f.quantity("memory") ?? Quantity(bytes: 256 << 20),
            count: count, every: every
        )
        try f.finish()
        return group
    }

    private static func schedulerConfiguration(_ node: Yams.Node) throws(SimulationError) -> SimScheduler.Configuration {
        var f = try YAMLFields(node, path: "scheduler")
        var config = SimScheduler.Configuration()
        if let names = try f.list("names") {
            var set: Set<String> = []
            for item in names {
                guard let name = item.node.scalar?.string, !name.isEmpty else { throw .invalidField(field: item.path, reason: "must be a scheduler name") }
                set.insert(name)
            }
            config.schedulerNames = set
        }
        config.flushInterval = try f.duration("flushInterval") ?? config.flushInterval
        for item in try f.list("extenders") ?? [] {
            var e = try YAMLFields(item.node, path: item.path)
            let url = try e.requiredString("urlPrefix")
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .invalidField(field: e.field("urlPrefix"), reason: "must be an http:// or https:// URL, got '\(url)'")
            }
            var managed: [String] = []
            for r in try e.list("managedResources") ?? [] {
                var m = try YAMLFields(r.node, path: r.path)
                managed.append(try m.requiredString("name"))
                _ = try m.bool("ignoredByScheduler")
                try m.finish()
            }
            config.extenders.append(ExtenderConfig(
                urlPrefix: url, filterVerb: try e.string("filterVerb"), bindVerb: try e.string("bindVerb"),
                nodeCacheCapable: try e.bool("nodeCacheCapable") ?? false, ignorable: try e.bool("ignorable") ?? false,
                httpTimeout: try e.duration("httpTimeout") ?? .seconds(30), managedResources: managed
            ))
            try e.finish()
        }
        try f.finish()
        return config
    }
}
