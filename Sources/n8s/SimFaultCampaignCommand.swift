import ArgumentParser
import Foundation
import KubeCore
import Logging
import N8sCore
import N8sSimulation

/// `n8s sim fault-campaign`: many short seeded simulations with faults, and the actuator property.
struct SimFaultCampaign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault-campaign",
        abstract: "Run many short seeded simulations with faults and print one line of totals.",
        discussion: """
            Each trial is a small generated cluster (A30, A100-40GB or H100-80GB; 1-3 nodes of 1-2
            GPUs) with pods of mixed profiles that all fit together, under the standard faults (10%
            API errors for every component, watch drops and 410 expiries every minute, agent and
            partitioner kills every 2 simulated minutes on average, two partitioner replicas, node
            reboots every 10 minutes on average, 10% of device plugin starts crashing) for the first
            4 simulated minutes; a trial ends once it has settled, at the latest after 20. A trial converges
            when no pod is left pending that the planner could still place on the final cluster.
            Prints: trials, kills, injected API faults, pods scheduled, violations of each kind,
            trials that did not converge, failed runs. Exits 1 unless violations, non-converged
            trials and failed runs are all 0. --actuator-trials also runs the MIG actuator property
            (random layouts, the agent killed at a random NVML step) that many times.
            """
    )

    @Option(help: "Simulated trials.")
    var trials = 100

    @Option(help: "Seed of the campaign (trial i uses seed + i).")
    var seed: UInt64 = 1

    @Option(help: "Trials run at once.")
    var parallel = 4

    @Option(help: "Simulated seconds per real second in each trial (higher is faster, until the machine's latency shows).")
    var timeScale: Double = 60

    @Option(help: "Run only this trial, with the components' logs at info (to look into one).")
    var only: Int?

    @Flag(help: "The same trials without faults (a baseline).")
    var noFaults = false

    @Option(help: "Trials of the actuator property (0: none).")
    var actuatorTrials = 0

    @Option(help: "Directory where each trial that does not converge leaves its nodes and pods (trial-<N>.json, for n8s plan --snapshot), its Events (trial-<N>.events.txt) and its components' logs (trial-<N>.log).")
    var dumpUnconverged: String?

    func validate() throws {
        guard trials >= 0, actuatorTrials >= 0 else { throw ValidationError("trial counts must not be negative") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
        guard timeScale > 0 else { throw ValidationError("--time-scale must be above 0") }
    }

    func run() async throws {
        if only == nil { LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .critical
            return handler
        } }
        let catalog = try MIGCatalog.bundled()
        var clean = true
        if actuatorTrials > 0 {
            let started = ContinuousClock.now
            let report = try ActuatorProperty.run(trials: actuatorTrials, seed: seed)
            Console.line(
                "actuator: trials \(report.trials) kills \(report.kills) injected-create-failures \(report.injectedCreateFailures) "
                    + "reached \(report.reached) untouched \(report.untouched) failures \(report.failures.count) (\(Self.seconds(ContinuousClock.now - started)))")
            for line in report.failures.prefix(10) { Console.error("  \(line)") }
            clean = clean && report.failures.isEmpty
        }
        if let only {
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
            let totals = await FaultCampaign.trial(only, seed: seed, catalog: catalog, timeScale: timeScale, faults: !noFaults, logLevel: .info, dump: dumpUnconverged)
            Console.line("trial \(only): \(totals.line)")
            for line in totals.problems { Console.error("  \(line)") }
            if !totals.isClean { throw ExitCode(1) }
            return
        }
        if trials > 0 {
            let started = ContinuousClock.now
            let totals = await FaultCampaign.run(
                trials: trials, seed: seed, parallel: parallel, timeScale: timeScale, faults: !noFaults, catalog: catalog, dump: dumpUnconverged,
                progress: { t, one in
                    // Each problem as it happens, so a long campaign can be looked into while it runs.
                    for line in one.problems { Console.error("  \(line)") }
                    if t.trials % 50 == 0 { Console.error("… \(t.line)") }
                },
                slow: { i, running in
                    Console.error("  trial \(i) (seed \(seed)) still running after \(Self.seconds(running)); look into it with --only \(i)")
                })
            Console.line("campaign: \(totals.line) (\(Self.seconds(ContinuousClock.now - started)))")
            clean = clean && totals.isClean
        }
        if !clean { throw ExitCode(1) }
    }

    static func seconds(_ d: Duration) -> String { String(format: "%.1f s wall", d.seconds) }
}
