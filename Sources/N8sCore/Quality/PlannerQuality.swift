import KubeCore

/// Random planning instances and their exact optimum, to measure the planner's quality.
///
/// An instance: up to 4 nodes of one catalog model each (models mixed across nodes), up to 4 GPUs
/// per node with random valid layouts (some instances used, some dropped, so layouts fragment),
/// and up to 14 pending pods each asking one device of a base profile present in the cluster. The
/// optimum is the most pods that can each get one device of their profile over all layouts that
/// keep used instances at their starts, found by exhaustive search.
public enum PlannerQuality {
    public struct Instance: Sendable {
        public var seed: UInt64
        public var nodes: [Node]
        public var pending: [PendingPod]
        /// Per GPU: model and used instances (for the exhaustive search).
        public var gpus: [(space: LayoutSpace, used: [PlacedInstance])]
    }

    /// Models the generator draws from.
    public static let modelIDs = ["a100-40gb", "a100-80gb", "h100-80gb", "a30-24gb"]

    /// The instance of one seed.
    public static func instance(seed: UInt64, catalog: MIGCatalog) -> Instance {
        var rng = SplitMix64(seed: seed)
        var nodes: [Node] = []
        var gpus: [(space: LayoutSpace, used: [PlacedInstance])] = []
        var profiles: [String] = []
        for n in 0..<(1 + rng.below(4)) {
            guard let model = catalog.model(id: modelIDs[rng.below(modelIDs.count)]), let space = try? LayoutSpace(model) else { continue }
            let layouts = space.allLayouts()
            var reports: [GPUStatusReport] = []
            for g in 0..<(1 + rng.below(4)) {
                var instances: [InstanceState] = []
                if rng.below(5) > 0 {
                    for placed in layouts[rng.below(layouts.count)] where rng.below(4) > 0 {
                        instances.append(InstanceState(placed, isUsed: rng.below(5) < 2))
                    }
                }
                reports.append(GPUStatusReport(index: g, model: model.productLabels.first, migMode: .enabled, instances: instances))
                gpus.append((space, instances.filter(\.isUsed).map(\.placed)))
            }
            profiles += space.profiles.filter { !$0.isVariant }.map(\.name)
            let labels = [MIGAnnotations.autoMIGEnabled: "true", MIGAnnotations.gpuProductLabel: model.productLabels.first ?? ""]
            nodes.append(Node(
                metadata: ObjectMeta(name: "node-\(n)", labels: labels, annotations: NodeMIGAnnotations.statusAnnotations(reports)),
                status: NodeStatus(allocatable: ["cpu": Quantity(64), "pods": Quantity(110)], conditions: [NodeCondition(type: "Ready", status: "True")])))
        }
        profiles = Array(Set(profiles)).sorted()
        var pending: [PendingPod] = []
        for i in 0..<(1 + rng.below(14)) where !profiles.isEmpty {
            // Favour small profiles, as real demand does.
            let pick = min(rng.below(profiles.count), rng.below(profiles.count))
            let small = profiles.sorted { ($0.first ?? "9", $0) < ($1.first ?? "9", $1) }
            let profile = small[pick]
            var spec = PodSpec(containers: [Container(name: "c", limits: ["cpu": Quantity(milli: 100), "nvidia.com/mig-\(MIGProfile.resourceForm(of: profile))": Quantity(1)])])
            spec.priority = 0
            if let p = try? PendingPod(Pod(metadata: ObjectMeta(name: "pod-\(i)", namespace: "q"), spec: spec)) { pending.append(p) }
        }
        return Instance(seed: seed, nodes: nodes, pending: pending, gpus: gpus)
    }

    /// The most pending pods that can each get one device of their profile (exhaustive search
    /// over every layout of every GPU that keeps its used instances at their starts).
    public static func optimum(_ instance: Instance) -> Int {
        var demand: [String: Int] = [:]
        for p in instance.pending {
            for (profile, n) in p.devices { demand[MIGAnnotations.nvidiaName(fromResourceForm: profile), default: 0] += n }
        }
        let names = demand.keys.sorted()
        let cap = names.map { demand[$0] ?? 0 }
        // Distinct supply vectors per GPU (capped at demand).
        var options: [[[Int]]] = []
        for gpu in instance.gpus {
            let used = Set(gpu.used)
            var set = Set<[Int]>()
            set.insert([Int](repeating: 0, count: names.count))
            for layout in gpu.space.allLayouts() where used.isSubset(of: Set(layout)) {
                var v = [Int](repeating: 0, count: names.count)
                for i in layout where !used.contains(i) { if let k = names.firstIndex(of: i.profile) { v[k] = min(cap[k], v[k] + 1) } }
                set.insert(v)
            }
            // Drop dominated vectors.
            let all = Array(set)
            options.append(all.filter { v in !all.contains { w in w != v && zip(w, v).allSatisfy { $0 >= $1 } } })
        }
        var memo: [[Int]: Int] = [:]
        func best(_ g: Int, _ supply: [Int]) -> Int {
            if g == options.count { return zip(supply, cap).map { min($0, $1) }.reduce(0, +) }
            let key = [g] + supply
            if let m = memo[key] { return m }
            var result = 0
            for v in options[g] {
                result = max(result, best(g + 1, zip(supply, v).enumerated().map { min(cap[$0.offset], $0.element.0 + $0.element.1) }))
                if result == cap.reduce(0, +) { break }
            }
            memo[key] = result
            return result
        }
        return best(0, [Int](repeating: 0, count: names.count))
    }

    /// Aggregate of many instances.
    public struct Report: Sendable {
        public var instances = 0
        public var planned = 0
        public var optimal = 0
        /// The instance with the lowest planned/optimum ratio: seed, planned, optimum.
        public var worst: (seed: UInt64, planned: Int, optimum: Int)?
        /// Plans that broke a hard rule (moved or removed a used instance, invalid layout).
        public var violations: [String] = []
        public var ratio: Double { optimal == 0 ? 1 : Double(planned) / Double(optimal) }
    }

    /// Plans every seed in `seeds` and compares with the optimum.
    public static func evaluate(seeds: some Sequence<UInt64>, catalog: MIGCatalog) -> Report {
        var report = Report()
        let planner = PartitionPlanner(catalog: catalog)
        for seed in seeds {
            let inst = instance(seed: seed, catalog: catalog)
            let plan = planner.plan(nodes: inst.nodes, pods: [], pending: inst.pending, planID: "q-\(seed)")
            let planned = plan.pods.filter(\.fits).count
            let opt = optimum(inst)
            report.instances += 1
            report.planned += planned
            report.optimal += opt
            if planned > opt { report.violations.append("seed \(seed): planned \(planned) > optimum \(opt)") }
            report.violations += violations(plan, inst, seed: seed)
            let r = opt == 0 ? 1 : Double(planned) / Double(opt)
            if let w = report.worst {
                if r < (w.optimum == 0 ? 1 : Double(w.planned) / Double(w.optimum)) { report.worst = (seed, planned, opt) }
            } else {
                report.worst = (seed, planned, opt)
            }
        }
        return report
    }

    /// Hard-rule checks of a plan: layouts valid, used instances kept, no GPU left empty.
    static func violations(_ plan: Plan, _ inst: Instance, seed: UInt64) -> [String] {
        var out: [String] = []
        var gpuIndex = 0
        var byNode: [String: [Int: (LayoutSpace, [PlacedInstance])]] = [:]
        for node in inst.nodes {
            let view = NodeView(node, catalog: MIGCatalog(models: inst.gpus.map(\.space.model)))
            for g in view.gpus {
                byNode[view.name, default: [:]][g.index] = (inst.gpus[gpuIndex].space, inst.gpus[gpuIndex].used)
                gpuIndex += 1
            }
        }
        for change in plan.nodes {
            for g in change.gpus {
                guard let (space, used) = byNode[change.name]?[g.index] else { continue }
                if !space.isValid(g.placements) { out.append("seed \(seed): invalid layout on \(change.name)/\(g.index)") }
                if !Set(used).isSubset(of: Set(g.placements)) { out.append("seed \(seed): used instance moved on \(change.name)/\(g.index)") }
                if g.placements.isEmpty { out.append("seed \(seed): GPU left empty on \(change.name)/\(g.index)") }
            }
        }
        return out
    }
}
