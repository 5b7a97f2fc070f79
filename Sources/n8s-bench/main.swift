import Foundation
import KubeCore
import N8sCore

// Planner benchmark (issue 4): planning time and peak memory for N nodes x 8 GPUs (H100 80GB) with
// 5 pending pods per node, so growth with size is visible.
// Usage: n8s-bench [sizes...] [--runs k] [--digest] [--profile-view]
// (default sizes 100 1000 4000, 3 runs each; the median is printed). Build with -c release.
//
// Input, seeded by the size. Each GPU gets a random valid layout; a third of its instances are
// dropped (fragmentation) and half of the rest are in use. Pods have mixed profiles (1g.10gb
// favoured, up to 4g.40gb; one in ten asks for two devices), priorities 0-2 and 1-4 CPUs: some take
// existing free instances, others need re-partitioning. One pod in a hundred fits nowhere, in
// three kinds: 9x 7g.80gb (more GPUs than a node has: every node's layouts are searched, destroys
// included, before giving up), a profile the H100 lacks (1g.5gb), and 256 CPUs. The planner runs
// on the whole batch and on the batch without those pods; the difference is their cost.
//
// Columns: pods fitted; GPUs changed and free instances destroyed by the plan; planning time of the
// whole batch and of the batch without never-fit pods (ms, median wall time, thread CPU time in
// parentheses: on a shared machine wall time also counts waiting for a core); RSS before planning
// and the peak (VmHWM, reset per size through /proc/self/clear_refs where the kernel allows), MiB.

/// `VmHWM` or `VmRSS` of this process in KiB, from /proc/self/status; -1 when unavailable.
func memoryKiB(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

/// Resets VmHWM to the current RSS (Linux 4.0+); silently does nothing elsewhere.
func resetPeakMemory() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

/// CPU time of this thread in ms: planning is single-threaded, so on a shared machine this is
/// the work done, where wall time also counts waiting for a core.
func threadCPUMilliseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

/// One benchmark input: nodes, pending pods, and which pods fit nowhere by construction.
struct BenchInput {
    var nodes: [Node] = []
    var pending: [PendingPod] = []
    var neverFit: Set<Int> = []
}

/// Builds the seeded input for `n` nodes (see the header comment).
func makeInput(nodes n: Int, layouts: [[PlacedInstance]]) throws -> BenchInput {
    let profiles = ["1g.10gb", "1g.10gb", "1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb"]
    var rng = SplitMix64(seed: UInt64(n))
    var input = BenchInput()
    for i in 0..<n {
        var reports: [GPUStatusReport] = []
        // The device plugin advertises every instance (`nvidia.com/mig-<profile>` allocatable).
        var allocatable: [String: Quantity] = ["cpu": Quantity(128), "memory": Quantity(bytes: 1 << 40), "pods": Quantity(110)]
        for g in 0..<8 {
            let layout = layouts[rng.below(layouts.count)]
            let inst = layout.compactMap { p -> InstanceState? in
                rng.below(3) == 0 ? nil : InstanceState(p, isUsed: rng.below(2) == 0)
            }
            for i in inst { allocatable["nvidia.com/mig-\(MIGProfile.resourceForm(of: i.placed.profile))", default: .zero] += Quantity(1) }
            reports.append(GPUStatusReport(index: g, model: "NVIDIA-H100-80GB-HBM3", migMode: .enabled, instances: inst))
        }
        input.nodes.append(Node(
            metadata: ObjectMeta(
                name: String(format: "node-%05d", i), labels: [MIGAnnotations.autoMIGEnabled: "true"],
                annotations: NodeMIGAnnotations.statusAnnotations(reports)),
            status: NodeStatus(allocatable: allocatable, conditions: [NodeCondition(type: "Ready", status: "True")])))
        for k in 0..<5 {
            var limits: [String: Quantity] = ["cpu": Quantity(1 + rng.below(4))]
            let profile = profiles[rng.below(profiles.count)]
            limits["nvidia.com/mig-\(profile)"] = Quantity(rng.below(10) == 0 ? 2 : 1)
            if k == 0 && i % 20 == 0 {
                input.neverFit.insert(input.pending.count)
                switch (i / 20) % 3 {
                case 0: limits = ["cpu": Quantity(1), "nvidia.com/mig-7g.80gb": Quantity(9)]
                case 1: limits = ["cpu": Quantity(1), "nvidia.com/mig-1g.5gb": Quantity(1)]
                default: limits = ["cpu": Quantity(256), "nvidia.com/mig-1g.10gb": Quantity(1)]
                }
            }
            var spec = PodSpec(containers: [Container(name: "c", limits: limits)])
            spec.priority = Int32(rng.below(3))
            input.pending.append(try PendingPod(Pod(metadata: ObjectMeta(name: "p-\(i)-\(k)", namespace: "bench"), spec: spec)))
        }
    }
    return input
}

/// Plans `runs` times; the last plan and the median wall and CPU times in ms.
func timePlans(
    _ planner: PartitionPlanner, _ nodes: [Node], _ pending: [PendingPod], runs: Int
) -> (plan: Plan, wall: Double, cpu: Double) {
    var walls: [Double] = []
    var cpus: [Double] = []
    var plan: Plan?
    for _ in 0..<max(1, runs) {
        let start = ContinuousClock.now
        let cpu = threadCPUMilliseconds()
        plan = planner.plan(nodes: nodes, pods: [], pending: pending, planID: "bench")
        cpus.append(threadCPUMilliseconds() - cpu)
        walls.append(milliseconds(ContinuousClock.now - start))
    }
    walls.sort()
    cpus.sort()
    guard let plan else { fatalError("no run") }
    return (plan, walls[walls.count / 2], cpus[cpus.count / 2])
}

let arguments = Array(CommandLine.arguments.dropFirst())
var runs = 3
var sizes: [Int] = []
var index = 0
while index < arguments.count {
    if arguments[index] == "--runs", index + 1 < arguments.count, let r = Int(arguments[index + 1]) {
        runs = r
        index += 1
    } else if let n = Int(arguments[index]) {
        sizes.append(n)
    }
    index += 1
}
let printDigest = arguments.contains("--digest")

let catalog = try MIGCatalog.bundled()
let model = try catalog.model(forProduct: "NVIDIA-H100-80GB-HBM3").model
let layouts = try LayoutSpace(model).allLayouts()
let planner = PartitionPlanner(catalog: catalog)
print("nodes  gpus   pods   fitted never-fit changed destroyed plan-ms (cpu)      without-never-fit-ms (cpu) rss-MiB peak-MiB")
var timings: [Int: (all: Double, without: Double)] = [:]
for n in sizes.isEmpty ? [100, 1000, 4000] : sizes {
    resetPeakMemory()
    let input = try makeInput(nodes: n, layouts: layouts)
    let rss = memoryKiB("VmRSS")
    let all = timePlans(planner, input.nodes, input.pending, runs: runs)
    let plan = all.plan
    let fitting = input.pending.indices.filter { !input.neverFit.contains($0) }.map { input.pending[$0] }
    let some = timePlans(planner, input.nodes, fitting, runs: runs)
    let neverFitted = input.neverFit.filter { plan.pods[$0].fits }.count
    print(String(
        format: "%-6d %-6d %-6d %-6d %-9d %-7d %-9d %-8.1f (%-8.1f) %-20.1f (%-5.1f) %-7d %d", n, n * 8, input.pending.count,
        plan.score.fitted, input.neverFit.count, plan.score.gpusChanged, plan.score.freeInstancesDestroyed, all.wall, all.cpu,
        some.wall, some.cpu, rss / 1024, memoryKiB("VmHWM") / 1024))
    if neverFitted > 0 { print("  warning: \(neverFitted) never-fit pods were fitted") }
    timings[n] = (all.cpu, some.cpu)
    // With SWIFT_DETERMINISTIC_HASHING=1 the digest compares plans across builds.
    if printDigest { print("  plan digest: \(plan.hashValue)") }
}
// Goals of issue 11, as ratios from this one run so that machine speed cancels (thread CPU time).
if let small = timings[1000], let large = timings[4000] {
    print(String(format: "scaling: 4,000 nodes / 1,000 nodes = %.2fx (goal <= 4.5x)", large.all / small.all))
}
for n in timings.keys.sorted() {
    guard let t = timings[n], t.without > 0 else { continue }
    print(String(format: "never-fit pods at %d nodes: with / without = %.2fx (goal <= 1.2x)", n, t.all / t.without))
}
if let small = timings[1000] { print(String(format: "1,000 nodes: %.1f ms (goal <= 250 ms)", small.all)) }
if arguments.contains("--profile-view") {
    var rng = SplitMix64(seed: 1)
    var reports: [GPUStatusReport] = []
    for g in 0..<8 {
        let layout = layouts[rng.below(layouts.count)]
        reports.append(GPUStatusReport(
            index: g, model: "NVIDIA-H100-80GB-HBM3", migMode: .enabled, instances: layout.map { InstanceState($0, isUsed: false) }))
    }
    let node = Node(metadata: ObjectMeta(
        name: "x", labels: [MIGAnnotations.autoMIGEnabled: "true"], annotations: NodeMIGAnnotations.statusAnnotations(reports)))
    let t0 = ContinuousClock.now
    for _ in 0..<100 { _ = NodeMIGAnnotations(parsing: node.metadata.annotations ?? [:]) }
    let t1 = ContinuousClock.now
    for _ in 0..<100 { _ = NodeView(node, catalog: catalog) }
    print("100 annotation parses: \(t1 - t0); 100 node views: \(ContinuousClock.now - t1)")
}
