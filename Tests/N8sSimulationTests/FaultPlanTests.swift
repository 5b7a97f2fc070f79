import Foundation
import KubeCore
import N8sCore
import Logging
import Synchronization
import Testing
import TestSupport

@testable import N8sSimulation

@Suite("Scenario faults")
struct FaultPlanTests {
    static let catalog = try! MIGCatalog.bundled()

    static let base = """
        name: t
        nodes:
          - name: gpu
            gpuProduct: NVIDIA-H100-80GB-HBM3
            gpusPerNode: 1
        pods:
          - name: p
            duration: 1m
            mig: 1g.10gb

        """

    /// The commented `faults:` block of `scenarios/example.yaml`, uncommented.
    static func exampleFaults() throws -> String {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("scenarios/example.yaml"), encoding: .utf8)
        var out: [String] = []
        var inside = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# faults:") { inside = true }
            guard inside else { continue }
            guard line.hasPrefix("#") else { break }
            out.append(String(line.dropFirst(2)))
        }
        return out.joined(separator: "\n")
    }

    @Test("the documented faults section of example.yaml parses")
    func example() throws {
        let scenario = try Scenario(yaml: Self.base + Self.exampleFaults(), catalog: Self.catalog)
        let f = scenario.faults
        #expect(f.seed == 7 && f.apiErrorRate == 0.1 && f.apiErrorComponents.count == 3)
        #expect(f.watchDropEvery == .seconds(120) && f.watchExpiryShare == 0.5)
        #expect(f.agentKillEvery == .seconds(600) && f.partitionerKillEvery == .seconds(600) && f.restartDelay == .seconds(5))
        #expect(f.partitionerReplicas == 2 && f.devicePluginRestart == .seconds(30) && f.kubeletAdvertiseDelay == .seconds(20))
        #expect(f.nodeRebootEvery == .seconds(1800) && f.nodeDownFor == .seconds(60) && f.devicePluginCrashShare == 0.2)
        #expect(!f.isEmpty)
    }

    @Test("no faults section: none; `faults: standard`: the preset")
    func presets() throws {
        #expect(try Scenario(yaml: Self.base, catalog: Self.catalog).faults.isEmpty)
        let standard = try Scenario(yaml: Self.base + "faults: standard\n", catalog: Self.catalog).faults
        #expect(standard == FaultPlan.standard())
        #expect(standard.apiErrorRate == 0.1 && standard.partitionerReplicas == 2)
    }

    @Test(
        "errors name the field",
        arguments: [
            ("faults: chaos\n", "faults"),
            ("faults:\n  apiErrors:\n    rate: 2\n", "faults.apiErrors.rate"),
            ("faults:\n  apiErrors:\n    components: [kubelet]\n", "faults.apiErrors.components[0]"),
            ("faults:\n  kills:\n    agentEvery: 1m\n", "faults.kills.agentEvery"),
            ("faults:\n  watchDrops:\n    every: soon\n", "faults.watchDrops.every"),
            ("faults:\n  partitionerReplicas: 9\n", "faults.partitionerReplicas"),
            ("faults:\n  reboots:\n    every: 0s\n", "faults.reboots.every"),
            ("faults:\n  reboots:\n    every: 1m\n    down: 1m\n", "faults.reboots.down"),
            ("faults:\n  devicePluginCrashShare: 1.5\n", "faults.devicePluginCrashShare"),
        ])
    func errors(text: String, field: String) {
        #expect {
            _ = try Scenario(yaml: Self.base + text, catalog: Self.catalog)
        } throws: { error in
            guard case SimulationError.invalidField(let f, _) = error else { return false }
            return f == field
        }
    }

    @Test("fault instants are drawn from the seed: the same seed, the same gaps")
    func seededGaps() {
        var a = SplitMix64(seed: 9)
        var b = SplitMix64(seed: 9)
        let gapsA = (0..<50).map { _ in FaultDriver.gap(mean: .seconds(60), &a) }
        let gapsB = (0..<50).map { _ in FaultDriver.gap(mean: .seconds(60), &b) }
        #expect(gapsA == gapsB)
        let mean = gapsA.reduce(0.0) { $0 + $1.seconds } / 50
        #expect(mean > 20 && mean < 180, "\(mean)")
    }

    @Test("campaign scenarios are seeded, small, and every pod fits the cluster's GPUs together")
    func campaignScenarios() throws {
        let a = try #require(FaultCampaign.scenario(trial: 3, seed: 11, catalog: Self.catalog, timeScale: 200))
        let b = try #require(FaultCampaign.scenario(trial: 3, seed: 11, catalog: Self.catalog, timeScale: 200))
        #expect(a == b)
        #expect(a.gpuCount >= 1 && a.gpuCount <= 6)
        #expect(!a.workload.isEmpty && !a.faults.isEmpty)
    }
}

@Suite("FaultCampaign.first(of:within:)")
struct CampaignAbandonTests {
    @Test("a trial that never returns is left behind at the limit; one that returns gives its value")
    func leavesHungWorkBehind() async throws {
        let clock = ManualClock()
        let release = Mutex(false)
        // Ignores cancellation, as a run stuck in its teardown does; released after the test.
        let hung = Task<Int, Never> {
            while !release.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            return 1
        }
        defer { release.withLock { $0 = true } }
        async let outcome = FaultCampaign.first(of: hung, within: .seconds(60), clock: clock)
        #expect(await eventually { clock.sleeperCount > 0 })
        clock.advance(by: .seconds(59))
        try? await Task.sleep(for: .milliseconds(20))
        #expect(clock.sleeperCount == 1, "still waiting before the limit")
        clock.advance(by: .seconds(2))
        #expect(await outcome == nil)
        let done = Task<Int, Never> { 7 }
        #expect(await FaultCampaign.first(of: done, within: .seconds(60), clock: clock) == 7)
    }
}

@Suite("TrialLog")
struct TrialLogTests {
    @Test("lines carry the run's clock time, level, message and metadata; only the latest are kept")
    func keepsLatestLinesWithSimulatedTime() {
        let clock = ManualClock(start: Date(timeIntervalSince1970: 1_800_000_000))
        let log = TrialLog(capacity: 4)
        var logger = Logger(label: "t") { log.handler(label: $0, clock: clock) }
        logger[metadataKey: "k8s.name"] = "gpu-0"
        logger.info("wrote plan", metadata: ["plan": "p1"])
        #expect(log.text == "2027-01-15T08:00:00Z info wrote plan k8s.name=gpu-0 plan=p1 [N8sSimulationTests]\n")
        for i in 0..<10 {
            clock.advance(by: .seconds(1))
            logger.warning("line \(i)")
        }
        let lines = log.text.split(separator: "\n")
        #expect(lines.count <= 5 && lines.count >= 4)
        #expect(lines.last?.hasPrefix("2027-01-15T08:00:10Z warning line 9") == true)
    }
}
