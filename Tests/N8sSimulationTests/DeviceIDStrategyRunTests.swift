import N8sCore
import Testing

@testable import N8sSimulation

/// End to end: the device plugin's `deviceIDStrategy` on a small dynamic scenario. With `index`
/// ids the agents cannot tell which devices pods hold, so nothing is partitioned and the run says
/// why; with `uuid` (the default) the same workload is partitioned and runs.
@Suite("SimulationRun with the device plugin's device id strategies", .serialized)
struct DeviceIDStrategyRunTests {
    static let catalog = try! MIGCatalog.bundled()

    /// One node, one A100-40GB starting as one 7g.40gb; three 1g.5gb pods that need a
    /// reconfiguration. No stopAfter: the run ends when the pods have ended, or when nothing
    /// binds for the idle limit after the last arrival, so a loaded machine that runs the
    /// components late does not end the run before they acted.
    static func scenario(_ strategy: String?) throws -> Scenario {
        try Scenario(yaml: """
            name: device-ids
            timeScale: 10
            batchWindow: {timeout: 10s, idle: 2s}
            timing: {kubeletStatusDelay: 1s, devicePluginRestart: 3s, migReconfiguration: 2s}
            scheduler: {flushInterval: 5s}
            nodes:
              - {name: gpu, count: 1, gpuProduct: NVIDIA-A100-SXM4-40GB, gpusPerNode: 1\(strategy.map { ", deviceIDStrategy: \($0)" } ?? "")}
            pods:
              - {name: small, mig: 1g.5gb, duration: 30s, count: 3, every: 2s}
            """, catalog: catalog)
    }

    /// - Parameter idle: simulated time without a binding that ends the run after the last
    ///   arrival (the index run never binds; the uuid run ends when its pods have run).
    static func options(idle: Duration) -> SimulationRun.Options {
        var options = SimulationRun.Options()
        options.idleLimit = idle
        return options
    }

    @Test("index ids: no MIG change, the agent reports DeviceIDMismatch, the run says it could not partition")
    func indexStrategy() async throws {
        let result = try await SimulationRun(scenario: try Self.scenario("index"), catalog: Self.catalog, options: Self.options(idle: .seconds(120))).run()
        let s = result.summary
        #expect(s.reconfigurations == 0, "\(s.table)")
        #expect(s.podsScheduled == 0)
        #expect(s.violations.total == 0, "\(s.violations.line)")
        let problems = try #require(s.agentProblems, "\(s.table)")
        #expect(problems.map(\.node) == ["gpu-0"])
        #expect(problems.first?.reason == "DeviceIDMismatch")
        #expect(problems.first?.message.contains("deviceIDStrategy=uuid") == true)
    }

    @Test("uuid ids (the default): the same workload is partitioned and runs")
    func uuidStrategy() async throws {
        let result = try await SimulationRun(scenario: try Self.scenario(nil), catalog: Self.catalog, options: Self.options(idle: .seconds(900))).run()
        let s = result.summary
        #expect(s.reconfigurations > 0, "\(s.table)")
        #expect(s.podsScheduled == 3)
        #expect(s.violations.total == 0, "\(s.violations.line)")
        #expect(s.agentProblems == nil)
    }
}
