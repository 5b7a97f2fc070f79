import Foundation
import KubeCore
import N8sCore

// Planner quality against an exact optimum on seeded random instances (build with -c release).
//
// Usage:
//   n8s-quality [count=1000] [firstSeed=1]
//       small instances (1–3 nodes of 1–2 GPUs, 1–8 pods of priorities 0–2, multi-device pods,
//       CPU/memory pressure, selectors and taints), scored exactly on all three objectives.
//   n8s-quality --export FILE [count=30] [firstSeed=1]
//       large instances (1–16 nodes of 1–8 GPUs, 1–200 pods): plans them and writes one JSON line
//       per instance for scripts/planner-quality-highs.py (integer programme, HiGHS).
// Exit status 1 when a hard rule is broken or the targets are missed (pods fitted ≥ 99.5% in
// aggregate and ≥ 95% on every instance; objective (2) optimal on ≥ 99% where (1) ties).
var arguments = Array(CommandLine.arguments.dropFirst())
var exportPath: String?
if let i = arguments.firstIndex(of: "--export"), i + 1 < arguments.count {
    exportPath = arguments[i + 1]
    arguments.removeSubrange(i...(i + 1))
}
if let i = arguments.firstIndex(of: "--show"), i + 1 < arguments.count, let seed = UInt64(arguments[i + 1]) {
    // One small instance in full: nodes, pods, the plan, and both objectives.
    let catalog = try MIGCatalog.bundled()
    let inst = PlannerQuality.instance(seed: seed, catalog: catalog, size: .small)
    print(PlannerQuality.describe(inst))
    let plan = PartitionPlanner(catalog: catalog).plan(nodes: inst.nodes, pods: [], pending: inst.pending, planID: "show")
    for n in plan.nodes {
        for g in n.gpus { print("plan \(n.name) GPU \(g.index): \(g.placements.map(\.description).joined(separator: ",")) destroyed \(g.destroyed)") }
    }
    for p in plan.pods { print("  \(p.name): \(p.fits ? "fits on \(p.node ?? "")" : "no: \(p.reason ?? "")")") }
    print("planner: \(plan.score)")
    print("optimum: \(PlannerQuality.optimum(inst))")
    exit(0)
}
let numbers = arguments.compactMap { UInt64($0) }
let count = numbers.first ?? (exportPath == nil ? 1000 : 30)
let first = numbers.count > 1 ? numbers[1] : 1
let catalog = try MIGCatalog.bundled()
let start = ContinuousClock.now

if let exportPath {
    let planner = PartitionPlanner(catalog: catalog)
    var lines: [String] = []
    var violations = 0
    for seed in first..<(first + count) {
        let inst = PlannerQuality.instance(seed: seed, catalog: catalog, size: .large)
        let plan = planner.plan(nodes: inst.nodes, pods: [], pending: inst.pending, planID: "q-\(seed)")
        let json = PlannerQuality.export(inst, plan: plan)
        if case .int(let v)? = json["planner"]?["violations"] { violations += Int(v) }
        lines.append(String(decoding: try KubeJSON.encode(json), as: UTF8.self))
        print("seed \(seed): \(inst.nodes.count) nodes, \(inst.gpus.count) GPUs, \(inst.pending.count) pods, planner fits \(plan.score.fitted)")
    }
    try (lines.joined(separator: "\n") + "\n").write(toFile: exportPath, atomically: true, encoding: .utf8)
    print("wrote \(count) instances to \(exportPath); hard-rule violations: \(violations); time: \(ContinuousClock.now - start)")
    exit(violations == 0 ? 0 : 1)
}

let report = PlannerQuality.evaluate(seeds: first..<(first + count), catalog: catalog)
let elapsed = ContinuousClock.now - start
func worst(_ w: (seed: UInt64, planned: Int, optimum: Int)?) -> String {
    w.map { "seed \($0.seed): planner \($0.planned) / optimum \($0.optimum)" } ?? "none"
}
print("instances: \(report.instances) (seeds \(first)..<\(first + count)), exact optimum by exhaustive search")
print(String(
    format: "(1) pods fitted: planner %d, optimum %d, aggregate ratio %.4f%% (target >= 99.5%%); not optimal on %d instance(s)",
    report.planned, report.optimal, report.ratio * 100, report.nonOptimalFitted))
print("    worst instance (pods fitted at the highest priority where planner and optimum differ): \(worst(report.worst))")
print(String(
    format: "(2) where (1) ties (%d instances): destroyed+changed planner %d, optimum %d, ratio %.4f; not optimal on %d (%.2f%%, target <= 1%%)",
    report.tiesOnFitted, report.changes, report.optimalChanges, report.changesRatio, report.nonOptimalChanges,
    report.tiesOnFitted == 0 ? 0 : Double(report.nonOptimalChanges) * 100 / Double(report.tiesOnFitted)))
print("    worst instance (destroyed×100+changed): \(worst(report.worstChanges))")
print(String(
    format: "(3) where (1) and (2) tie (%d instances): room planner %.3f, optimum %.3f, ratio %.4f; not optimal on %d",
    report.tiesOnChanges, Double(report.room) / 1000, Double(report.optimalRoom) / 1000, report.roomRatio, report.nonOptimalRoom))
print("    worst instance (room ×1000): \(worst(report.worstRoom))")
print("hard-rule violations: \(report.violations.count)")
for v in report.violations.prefix(10) { print("  \(v)") }
print("time: \(elapsed)")
let worstRatio = report.worst.map { $0.optimum == 0 ? 1 : Double($0.planned) / Double($0.optimum) } ?? 1
let changesOK = report.tiesOnFitted == 0 || Double(report.nonOptimalChanges) <= 0.01 * Double(report.tiesOnFitted)
exit(report.violations.isEmpty && report.ratio >= 0.995 && worstRatio >= 0.95 && changesOK ? 0 : 1)
