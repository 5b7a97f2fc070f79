import Foundation
import KubeCore
import N8sCore

// Planner benchmark: planning time and peak memory for N nodes x 8 GPUs (H100 80GB) with random
// layouts (some instances used) and 5 pending pods per node. Usage: n8s-bench [sizes...]
// (default 100 1000 4000). Build with -c release.
func peakRSSKiB() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

let catalog = try MIGCatalog.bundled()
let model = try catalog.model(forProduct: "NVIDIA-H100-80GB-HBM3").model
let space = try LayoutSpace(model)
let layouts = space.allLayouts()
let profiles = ["1g.10gb", "1g.10gb", "1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb"]
let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
print("nodes  gpus   pending  fitted  changed  destroyed  plan-ms   peak-RSS-MiB")
for n in sizes.isEmpty ? [100, 1000, 4000] : sizes {
    var rng = SplitMix64(seed: UInt64(n))
    var nodes: [Node] = []
    var pending: [PendingPod] = []
    for i in 0..<n {
        var reports: [GPUStatusReport] = []
        for g in 0..<8 {
            let layout = layouts[rng.below(layouts.count)]
            let inst = layout.compactMap { p -> InstanceState? in rng.below(3) == 0 ? nil : InstanceState(p, isUsed: rng.below(2) == 0) }
            reports.append(GPUStatusReport(index: g, model: "NVIDIA-H100-80GB-HBM3", migMode: .enabled, instances: inst))
        }
        nodes.append(Node(
            metadata: ObjectMeta(name: String(format: "node-%05d", i), labels: [MIGAnnotations.autoMIGEnabled: "true"], annotations: NodeMIGAnnotations.statusAnnotations(reports)),
            status: NodeStatus(allocatable: ["cpu": Quantity(128), "memory": Quantity(bytes: 1 << 40), "pods": Quantity(110)], conditions: [NodeCondition(type: "Ready", status: "True")])))
        for k in 0..<5 {
            let profile = profiles[rng.below(profiles.count)]
            var spec = PodSpec(containers: [Container(name: "c", limits: ["cpu": Quantity(2), "nvidia.com/mig-\(profile)": Quantity(1)])])
            spec.priority = Int32(rng.below(3))
            pending.append(try PendingPod(Pod(metadata: ObjectMeta(name: "p-\(i)-\(k)", namespace: "bench"), spec: spec)))
        }
    }
    let planner = PartitionPlanner(catalog: catalog)
    let start = ContinuousClock.now
    let plan = planner.plan(nodes: nodes, pods: [], pending: pending, planID: "bench")
    let elapsed = ContinuousClock.now - start
    let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    print(String(format: "%-6d %-6d %-8d %-7d %-8d %-10d %-9.1f %d", n, n * 8, pending.count, plan.score.fitted, plan.score.gpusChanged,
                 plan.score.freeInstancesDestroyed, ms, peakRSSKiB() / 1024))
}
if CommandLine.arguments.contains("--profile-view") {
    var rng = SplitMix64(seed: 1)
    var reports: [GPUStatusReport] = []
    for g in 0..<8 {
        let layout = layouts[rng.below(layouts.count)]
        reports.append(GPUStatusReport(index: g, model: "NVIDIA-H100-80GB-HBM3", migMode: .enabled, instances: layout.map { InstanceState($0, isUsed: false) }))
    }
    let node = Node(metadata: ObjectMeta(name: "x", labels: [MIGAnnotations.autoMIGEnabled: "true"], annotations: NodeMIGAnnotations.statusAnnotations(reports)))
    let t0 = ContinuousClock.now
    for _ in 0..<100 { _ = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:]) }
    let t1 = ContinuousClock.now
    for _ in 0..<100 { _ = NodeView(node, catalog: catalog) }
    print("100 annotation parses: \(t1 - t0); 100 node views: \(ContinuousClock.now - t1)")
}
