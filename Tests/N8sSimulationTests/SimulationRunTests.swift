import N8sCore
import Synchronization
import Testing

@testable import N8sSimulation

/// End to end: KubeSim over HTTP, simulated nodes, the scheduler, and (dynamic) the real
/// mig-agents and gpu-partitioner, on a small scenario at 30× real time (slow enough that a
/// loaded machine, with the rest of the suite running beside it, keeps up with the clock).
@Suite("SimulationRun", .serialized)
struct SimulationRunTests {
    static let catalog = try! MIGCatalog.bundled()

    /// 2 nodes × 2 H100-80GB starting as one 7g.80gb each; 10 pods of 1g.10gb and 3g.40gb
    /// arriving over 20 s, each running 90 s.
    static func scenario(_ partitioning: Scenario.Partitioning) throws -> Scenario {
        try Scenario(yaml: """
            name: e2e
            timeScale: 30
            stopAfter: 8m
            partitioning: \(partitioning)
            batchWindow: {timeout: 10s, idle: 2s}
            timing: {kubeletStatusDelay: 1s, devicePluginRestart: 3s, migReconfiguration: 2s}
            scheduler: {flushInterval: 5s}
            nodes:
              - {name: gpu, count: 2, gpuProduct: NVIDIA-H100-80GB-HBM3, gpusPerNode: 2, cpu: "64", memory: 256Gi}
            pods:
              - {name: small, namespace: team-a, mig: 1g.10gb, duration: 90s, count: 6, every: 2s, cpu: 500m, memory: 1Gi}
              - {name: medium, namespace: team-b, arrival: 5s, mig: 3g.40gb, duration: 90s, count: 4, every: 5s, cpu: "1", memory: 2Gi}
            """, catalog: catalog)
    }

    @Test("dynamic: pods wait for re-partitioning, then all run; no device in use is destroyed")
    func dynamic() async throws {
        var options = SimulationRun.Options()
        options.idleLimit = .seconds(900)
        var scenario = try Self.scenario(.dynamic)
        scenario.stopAfter = nil
        let result = try await SimulationRun(scenario: scenario, catalog: Self.catalog, options: options).run()
        let s = result.summary
        #expect(s.podsArrived == 10)
        #expect(s.podsScheduled == 10, "\(s.table)")
        #expect(s.podsPending == 0)
        #expect(s.reconfigurations > 0)
        #expect(s.violations.total == 0, "\(s.violations.line)")
        // Every GPU started as one 7g.80gb: no 1g.10gb pod could bind before a reconfiguration.
        #expect(s.pendingP50Seconds > 0)
        #expect(s.allocationRatioMax > 0)
    }

    @Test("node reboots and crashing device plugin starts: pods on a rebooted node are lost to it, the rest all run, no violation")
    func reboots() async throws {
        let scenario = try Scenario(yaml: """
            name: reboots
            timeScale: 30
            stopAfter: 9m
            batchWindow: {timeout: 10s, idle: 2s}
            timing: {kubeletStatusDelay: 1s, devicePluginRestart: 3s, migReconfiguration: 2s}
            scheduler: {flushInterval: 5s}
            nodes:
              - {name: gpu, count: 2, gpuProduct: NVIDIA-H100-80GB-HBM3, gpusPerNode: 1, cpu: "64", memory: 256Gi}
            pods:
              - {name: small, mig: 1g.10gb, duration: 60s, count: 12, every: 20s, cpu: 500m, memory: 1Gi}
            faults:
              seed: 3
              reboots: {every: 90s, downFor: 20s}
              devicePluginCrashShare: 0.3
              activeFor: 4m
            """, catalog: Self.catalog)
        let result = try await SimulationRun(scenario: scenario, catalog: Self.catalog).run()
        let s = result.summary
        #expect(s.faults.reboots > 0, "\(s.table)")
        #expect(s.faults.pluginCrashes > 0, "\(s.table)")
        #expect(s.violations.total == 0, "\(s.violations.line)")
        #expect(s.podsArrived == 12)
        #expect(s.podsPending == 0, "\(s.table)\n\(s.stillPending ?? [:])")
    }

    @Test("endWhen ends a run before stopAfter, asked with the cluster's nodes every endCheckEvery")
    func endsWhenAsked() async throws {
        var scenario = try Self.scenario(.fixed(["1g.10gb": 7]))
        scenario.stopAfter = .seconds(3600)
        var options = SimulationRun.Options()
        options.endCheckEvery = .seconds(5)
        let asked = Mutex<[Int]>([])
        options.endWhen = { _, nodes, elapsed in
            asked.withLock { $0.append(nodes.count) }
            return elapsed >= .seconds(30)
        }
        let result = try await SimulationRun(scenario: scenario, catalog: Self.catalog, options: options).run()
        #expect(result.summary.simulatedSeconds >= 30)
        #expect(result.summary.simulatedSeconds < 120, "ran \(result.summary.simulatedSeconds) s of stopAfter 3600 s")
        #expect(asked.withLock { $0.count } >= 5)
        #expect(asked.withLock { Set($0) } == [2])
    }

    @Test("static: the fixed layout serves what fits, never changes, and the rest stays pending")
    func fixed() async throws {
        var scenario = try Self.scenario(.fixed(["1g.10gb": 7]))
        scenario.stopAfter = .seconds(45)
        let result = try await SimulationRun(scenario: scenario, catalog: Self.catalog).run()
        let s = result.summary
        #expect(s.partitioning == "static:1g.10gb*7")
        #expect(s.podsArrived == 10)
        // 28 1g.10gb devices: the 6 small pods bind; no GPU has room for a 3g.40gb.
        #expect(s.podsScheduled == 6, "\(s.table)")
        #expect(s.podsPending == 4)
        #expect(s.reconfigurations == 0)
        #expect(s.violations.total == 0, "\(s.violations.line)")
        #expect(!result.samples.isEmpty)
    }
}
