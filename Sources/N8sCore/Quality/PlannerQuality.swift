import KubeCore

/// Random planning instances, to measure the planner's choices against an exact optimum.
///
/// An instance: nodes of mixed catalog models with random layouts (instances used anywhere,
/// some dropped so layouts fragment), CPU, memory and `pods` allocatable, pool labels and taints;
/// pending pods of priorities 0–2 asking one or more devices of one or two base profiles, with
/// CPU and memory requests (some nodes run short), node selectors and tolerations.
/// ``Size/small`` instances (1–3 nodes of 1–2 GPUs, 1–8 pods) are scored exactly in Swift
/// (``optimum(_:)``); ``Size/large`` ones (1–16 nodes of 1–8 GPUs, 1–200 pods) are exported for
/// the integer programme of `scripts/planner-quality-highs.py` (``export(_:plan:)``).
public enum PlannerQuality {
    public enum Size: Sendable { case small, large }

    public struct Instance: Sendable {
        public var seed: UInt64
        public var nodes: [Node]
        public var pending: [PendingPod]
        /// Per GPU, in node order: node index, model and the reported layout.
        public var gpus: [(node: Int, space: LayoutSpace, instances: [InstanceState])]
    }

    /// Models the generator draws from.
    public static let modelIDs = ["a100-40gb", "a100-80gb", "h100-80gb", "a30-24gb"]

    /// The instance of one seed.
    public static func instance(seed: UInt64, catalog: MIGCatalog, size: Size = .small) -> Instance {
        var rng = SplitMix64(seed: seed)
        let (maxNodes, maxGPUs, maxPods) = size == .small ? (3, 2, 8) : (16, 8, 200)
        var nodes: [Node] = []
        var gpus: [(node: Int, space: LayoutSpace, instances: [InstanceState])] = []
        var profiles: [String] = []
        let pools = ["a", "b"]
        for n in 0..<(1 + rng.below(maxNodes)) {
            guard let model = catalog.model(id: modelIDs[rng.below(modelIDs.count)]), let space = try? LayoutSpace(model) else { continue }
            let layouts = space.allLayouts()
            var reports: [GPUStatusReport] = []
            var advertised: [String: Int] = [:]
            for g in 0..<(1 + rng.below(maxGPUs)) {
                var instances: [InstanceState] = []
                if rng.below(5) > 0 {
                    for placed in layouts[rng.below(layouts.count)] where rng.below(4) > 0 {
                        instances.append(InstanceState(placed, isUsed: rng.below(5) < 2))
                        advertised[MIGProfile.resourcePrefix + MIGProfile.resourceForm(of: placed.profile), default: 0] += 1
                    }
                }
                reports.append(GPUStatusReport(index: g, model: model.productLabels.first, migMode: .enabled, instances: instances))
                gpus.append((nodes.count, space, instances))
            }
            profiles += space.profiles.filter { !$0.isVariant }.map(\.name)
            let labels = [
                MIGAnnotations.autoMIGEnabled: "true", MIGAnnotations.gpuProductLabel: model.productLabels.first ?? "",
                "pool": pools[rng.below(pools.count)],
            ]
            var allocatable: [String: Quantity] = [
                "cpu": Quantity([4, 8, 16, 64][rng.below(4)]), "memory": Quantity(bytes: [32, 64, 256][rng.below(3)] << 30),
                "pods": Quantity(110),
            ]
            for (k, v) in advertised { allocatable[k] = Quantity(v) }
            let taints = rng.below(5) == 0 ? [Taint(key: "dedicated", value: "ml", effect: "NoSchedule")] : nil
            nodes.append(Node(
                metadata: ObjectMeta(name: "node-\(n)", labels: labels, annotations: NodeMIGAnnotations.statusAnnotations(reports)),
                spec: NodeSpec(taints: taints),
                status: NodeStatus(allocatable: allocatable, conditions: [NodeCondition(type: "Ready", status: "True")])))
        }
        profiles = Array(Set(profiles)).sorted { ($0.first ?? "9", $0) < ($1.first ?? "9", $1) }
        var pending: [PendingPod] = []
        for i in 0..<(1 + rng.below(maxPods)) where !profiles.isEmpty {
            // Favour small profiles, as real demand does.
            func pick() -> String { profiles[min(rng.below(profiles.count), rng.below(profiles.count))] }
            var limits: [String: Quantity] = [
                "cpu": Quantity(1 + rng.below(8)), "memory": Quantity(bytes: (1 + rng.below(32)) << 30),
            ]
            let shape = rng.below(20)
            let first = pick()
            limits["nvidia.com/mig-\(MIGProfile.resourceForm(of: first))"] = Quantity(shape < 14 ? 1 : shape < 17 ? 2 : 1)
            if shape >= 17 {
                let second = pick()
                let key = "nvidia.com/mig-\(MIGProfile.resourceForm(of: second))"
                limits[key] = Quantity(1 + (second == first ? 1 : 0))
            }
            var spec = PodSpec(containers: [Container(name: "c", limits: limits)])
            spec.priority = Int32(rng.below(3))
            if rng.below(5) == 0 { spec.nodeSelector = ["pool": pools[rng.below(pools.count)]] }
            if rng.below(3) == 0 { spec.tolerations = [Toleration(key: "dedicated", operator: "Exists", effect: "NoSchedule")] }
            if let p = try? PendingPod(Pod(metadata: ObjectMeta(name: "pod-\(i)", namespace: "q"), spec: spec)) { pending.append(p) }
        }
        return Instance(seed: seed, nodes: nodes, pending: pending, gpus: gpus)
    }

    /// The instance in plain text (nodes with their GPUs, then pods), for `n8s-quality --show`.
    public static func describe(_ inst: Instance) -> String {
        var lines = ["seed \(inst.seed)"]
        for (n, node) in inst.nodes.enumerated() {
            let a = node.status?.allocatable ?? [:]
            let taints = (node.spec?.taints ?? []).map { "\($0.key)=\($0.value ?? ""):\($0.effect)" }
            lines.append("node \(node.metadata.name ?? "") pool=\(node.metadata.labels?["pool"] ?? "") cpu=\(a["cpu"]?.description ?? "-") memory=\(a["memory"]?.description ?? "-") taints=\(taints)")
            for (g, gpu) in inst.gpus.filter({ $0.node == n }).enumerated() {
                let layout = gpu.instances.map { "\($0.placed)\($0.isUsed ? ":used" : ":free")" }.joined(separator: ",")
                lines.append("  GPU \(g) \(gpu.space.model.id): \(layout.isEmpty ? "(empty)" : layout)")
            }
        }
        for p in inst.pending {
            let cpu = p.requests.resources["cpu"]?.description ?? "-"
            let memory = p.requests.resources["memory"]?.description ?? "-"
            lines.append("pod \(p.name) priority=\(p.priority) devices=\(p.devices.sorted { $0.key < $1.key }) cpu=\(cpu) memory=\(memory) selector=\(p.spec.nodeSelector ?? [:]) tolerates=\(p.spec.tolerations != nil)")
        }
        return lines.joined(separator: "\n")
    }

    /// The objective of a plan (or of the optimum), design.md section 5's order.
    public struct Objective: Sendable, Hashable {
        /// Pods fitted per priority.
        public var fitted: [Int32: Int]
        public var destroyed: Int
        public var changed: Int
        /// ``RoomMeasure`` in thousandths.
        public var room: Int

        public var total: Int { fitted.values.reduce(0, +) }

        /// Objective (1) alone: equal pods fitted at every priority.
        public func tiesOnFitted(_ other: Objective) -> Bool { firstDifference(from: other) == nil }

        /// The highest priority at which the pods fitted differ, with both counts (objective (1)
        /// compares from the highest priority down); `nil` when they tie.
        public func firstDifference(from other: Objective) -> (priority: Int32, mine: Int, theirs: Int)? {
            for p in Set(fitted.keys).union(other.fitted.keys).sorted(by: >) where (fitted[p] ?? 0) != (other.fitted[p] ?? 0) {
                return (p, fitted[p] ?? 0, other.fitted[p] ?? 0)
            }
            return nil
        }
    }

    /// Aggregate of many instances, per objective.
    public struct Report: Sendable {
        public var instances = 0
        /// Objective (1): pods fitted, planner and optimum; instances where the planner fits fewer.
        public var planned = 0
        public var optimal = 0
        public var nonOptimalFitted = 0
        /// The instance with the lowest planned/optimum ratio at the highest priority where they
        /// differ: seed, planned and optimum at that priority.
        public var worst: (seed: UInt64, planned: Int, optimum: Int)?
        /// Objective (2), over instances where (1) ties: destroyed + changed, planner and optimum.
        public var tiesOnFitted = 0
        public var changes = 0
        public var optimalChanges = 0
        public var nonOptimalChanges = 0
        public var worstChanges: (seed: UInt64, planned: Int, optimum: Int)?
        /// Objective (3), over instances where (1) and (2) tie: room in thousandths.
        public var tiesOnChanges = 0
        public var room = 0
        public var optimalRoom = 0
        public var nonOptimalRoom = 0
        public var worstRoom: (seed: UInt64, planned: Int, optimum: Int)?
        /// Plans that broke a hard rule (moved or removed a used instance, invalid layout).
        public var violations: [String] = []
        public var ratio: Double { optimal == 0 ? 1 : Double(planned) / Double(optimal) }
        public var changesRatio: Double { changes == 0 ? 1 : Double(optimalChanges) / Double(changes) }
        public var roomRatio: Double { optimalRoom == 0 ? 1 : Double(room) / Double(optimalRoom) }
    }

    /// The planner's objective on `inst`.
    static func objective(of plan: Plan, _ inst: Instance) -> Objective {
        var fitted: [Int32: Int] = [:]
        for (i, o) in plan.pods.enumerated() where o.fits { fitted[inst.pending[i].priority, default: 0] += 1 }
        return Objective(fitted: fitted, destroyed: plan.score.freeInstancesDestroyed, changed: plan.score.gpusChanged, room: plan.score.room)
    }

    /// Plans every seed (small instances) and compares each objective with the exact optimum.
    public static func evaluate(seeds: some Sequence<UInt64>, catalog: MIGCatalog) -> Report {
        var report = Report()
        let planner = PartitionPlanner(catalog: catalog)
        for seed in seeds {
            let inst = instance(seed: seed, catalog: catalog, size: .small)
            let plan = planner.plan(nodes: inst.nodes, pods: [], pending: inst.pending, planID: "q-\(seed)")
            let mine = objective(of: plan, inst)
            let best = optimum(inst)
            report.instances += 1
            report.planned += mine.total
            report.optimal += best.total
            report.violations += violations(plan, inst, seed: seed)
            let difference = mine.firstDifference(from: best)
            if let d = difference, d.mine > d.theirs {
                report.violations.append("seed \(seed): planned \(mine.fitted) beats the optimum \(best.fitted) at priority \(d.priority)")
            }
            if difference != nil { report.nonOptimalFitted += 1 }
            let (planned, optimum) = difference.map { ($0.mine, $0.theirs) } ?? (mine.total, best.total)
            if report.worst == nil || ratio(planned, optimum) < ratio(report.worst?.planned ?? 1, report.worst?.optimum ?? 1) {
                report.worst = (seed, planned, optimum)
            }
            guard mine.tiesOnFitted(best) else { continue }
            report.tiesOnFitted += 1
            let (a, b) = (mine.destroyed * 100 + mine.changed, best.destroyed * 100 + best.changed)
            report.changes += mine.destroyed + mine.changed
            report.optimalChanges += best.destroyed + best.changed
            if a != b { report.nonOptimalChanges += 1 }
            if a < b { report.violations.append("seed \(seed): changes \(mine) beat the optimum \(best)") }
            if a > b, report.worstChanges == nil || a - b > (report.worstChanges!.planned - report.worstChanges!.optimum) {
                report.worstChanges = (seed, a, b)
            }
            guard a == b else { continue }
            report.tiesOnChanges += 1
            report.room += mine.room
            report.optimalRoom += best.room
            if mine.room + 1 < best.room {
                report.nonOptimalRoom += 1
                if ratio(mine.room, best.room) < ratio(report.worstRoom?.planned ?? 1, report.worstRoom?.optimum ?? 1) || report.worstRoom == nil {
                    report.worstRoom = (seed, mine.room, best.room)
                }
            }
        }
        return report
    }

    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 1 : Double(a) / Double(b) }

    /// Hard-rule checks of a plan: layouts valid, used instances kept, no GPU left empty.
    static func violations(_ plan: Plan, _ inst: Instance, seed: UInt64) -> [String] {
        var out: [String] = []
        var byNode: [String: [Int: (LayoutSpace, [PlacedInstance])]] = [:]
        var perNode: [Int: Int] = [:]
        for g in inst.gpus {
            let index = perNode[g.node, default: 0]
            perNode[g.node] = index + 1
            let name = inst.nodes[g.node].metadata.name ?? ""
            byNode[name, default: [:]][index] = (g.space, g.instances.filter(\.isUsed).map(\.placed))
        }
        for change in plan.nodes {
            for g in change.gpus {
                guard let (space, used) = byNode[change.name]?[g.index] else {
                    out.append("seed \(seed): plan changes unknown GPU \(change.name)/\(g.index)")
                    continue
                }
                if !space.isValid(g.placements) { out.append("seed \(seed): invalid layout on \(change.name)/\(g.index)") }
                if !Set(used).isSubset(of: Set(g.placements)) { out.append("seed \(seed): used instance moved on \(change.name)/\(g.index)") }
                if g.placements.isEmpty { out.append("seed \(seed): GPU left empty on \(change.name)/\(g.index)") }
                if g.placements.contains(where: { space.profileIndex($0.profile) == nil }) {
                    out.append("seed \(seed): profile outside the model on \(change.name)/\(g.index)")
                }
            }
        }
        return out
    }
}
