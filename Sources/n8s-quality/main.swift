import Foundation
import N8sCore

// Planner quality: compares the planner with the exhaustive optimum on seeded random instances.
// Usage: n8s-quality [count=1000] [firstSeed=1]. Build with -c release.
let args = CommandLine.arguments.dropFirst().compactMap { UInt64($0) }
let count = args.first ?? 1000
let first = args.count > 1 ? args[1] : 1
let catalog = try MIGCatalog.bundled()
let start = ContinuousClock.now
let report = PlannerQuality.evaluate(seeds: first..<(first + count), catalog: catalog)
let elapsed = ContinuousClock.now - start
print("instances: \(report.instances) (seeds \(first)..<\(first + count))")
print("pods fitted: planner \(report.planned), optimum \(report.optimal)")
print(String(format: "aggregate ratio: %.4f%% (target >= 99.5%%)", report.ratio * 100))
if let w = report.worst { print("worst instance: seed \(w.seed): planner \(w.planned) / optimum \(w.optimum)") }
print("hard-rule violations: \(report.violations.count)")
for v in report.violations.prefix(10) { print("  \(v)") }
print("time: \(elapsed)")
exit(report.violations.isEmpty && report.ratio >= 0.995 ? 0 : 1)
