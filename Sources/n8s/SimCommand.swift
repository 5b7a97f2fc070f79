import ArgumentParser
import Foundation
import Logging
import N8sCore
import N8sSimulation
import ServiceLifecycle
import Synchronization

/// `n8s sim`: the whole system on an embedded, simulated cluster.
struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run n8s on a simulated cluster (no Kubernetes or GPU needed).",
        subcommands: [SimRun.self, SimFaultCampaign.self, SimAPIServer.self, SimTraceStats.self, SimReport.self],
        defaultSubcommand: SimRun.self
    )
}

/// `n8s sim [scenario.yaml]`: runs a scenario (or a trace replay) and prints its figures.
struct SimRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario (default: the embedded one) and print the summary.",
        discussion: """
            Starts KubeSim over HTTP on loopback, one simulated node per scenario node (kubelet,
            device plugin, simulated GPUs), a small scheduler, and in dynamic mode the real mig-agent
            of every node and the real gpu-partitioner, all on one clock running timeScale times
            faster than real time. Prints a progress line while running and the summary at the end;
            exits with status 1 when any safety count is not 0: a MIG device destroyed while
            allocated or while reserved by a bound pod, a pod failing admission because its device
            vanished, or a pod losing its device while running, and with status 2
            when a node's mig-agent could not partition (e.g. DeviceIDMismatch under
            --device-id-strategy index).
            Ctrl-C stops the run early and prints the figures so far.
            """
    )

    @Argument(help: "Scenario file (YAML, see scenarios/example.yaml); default: the embedded scenario.")
    var scenario: String?

    @Option(help: "Alibaba v2023 pod list CSV to replay instead of a scenario (read in place, never copied).")
    var trace: String?

    @Option(help: "Node list CSV of the trace (with --trace).")
    var nodes: String?

    @Option(help: "GPU model trace GPUs become (with --trace).")
    var model = "NVIDIA-H100-80GB-HBM3"

    @Option(help: "Trace seconds per simulated second (with --trace).")
    var compression: Double = 3600

    @Option(help: "At most this many trace nodes (groups scaled alike; pods thinned by the GPUs kept).")
    var maxNodes: Int?

    @Flag(help: "With --max-nodes: replay every trace pod on the smaller cluster (default: pods thinned by the share of GPUs kept).")
    var keepAllPods = false

    @Option(help: "Only trace pods arriving within this simulated time, e.g. 2h (also the run's end).")
    var window: String?

    @Option(help: "Mapping overrides: lo-hi=profile,... over gpu_milli (with --trace).")
    var map: String?

    @Option(help: "Simulated seconds per real second (overrides the scenario's).")
    var timeScale: Double?

    @Option(help: "Comma-separated modes to run the same workload under, e.g. static:1g.10gb*7,dynamic.")
    var compare: String?

    @Option(help: "Device ids of every simulated node's device plugin: uuid or index (overrides the scenario's deviceIDStrategy).")
    var deviceIDStrategy: DeviceIDStrategy?

    @Option(help: "Output format: table or json.")
    var output: OutputFormat = .table

    @Option(help: "Directory to write index.html (charts) and results.json into ('' writes none).")
    var report: String = "sim-report"

    @Option(help: "Components' log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "error"

    @Option(help: "Fault preset for any scenario (overrides its faults: section): none, or standard (10% API errors for every component, watch drops, agent and partitioner kills, two partitioner replicas).")
    var faults: String?

    @Option(help: "Seed of the faults (with --faults).")
    var faultSeed: UInt64 = 1

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level '\(logLevel)' is not a log level") }
        if trace != nil, scenario != nil { throw ValidationError("give a scenario file or --trace, not both") }
        if (trace == nil) != (nodes == nil) { throw ValidationError("--trace and --nodes go together") }
        if let timeScale, !(timeScale > 0) { throw ValidationError("--time-scale must be above 0") }
        if let faults, FaultPlan.preset(faults) == nil { throw ValidationError("--faults '\(faults)' is no preset (known: none, standard)") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .error
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            // KubeSim's HTTP server reports clients closing connections at shutdown as errors.
            handler.logLevel = label == "n8s.kubesim" ? max(level, .critical) : level
            return handler
        }
        let catalog = try MIGCatalog.bundled()
        var base = try loadScenario(catalog: catalog)
        if let timeScale { base.timeScale = timeScale }
        if let faults, let plan = FaultPlan.preset(faults, seed: faultSeed) { base.faults = plan }
        if let deviceIDStrategy { for i in base.nodes.indices { base.nodes[i].deviceIDStrategy = deviceIDStrategy } }
        let modes = try compare.map { try parseModes($0, scenario: base) } ?? [base.partitioning]
        let interactive = isatty(STDOUT_FILENO) == 1 && output == .table
        if output == .table {
            Console.line("scenario: \(base.name): \(base.nodes.reduce(0) { $0 + $1.count }) nodes, \(base.gpuCount) GPUs, \(base.workload.count) pods, time scale \(base.timeScale)x")
            if !base.faults.isEmpty { Console.line("faults: \(base.faults.summary)") }
        }
        var results: [SimulationResult] = []
        for mode in modes {
            var scenario = base
            scenario.partitioning = mode
            var options = SimulationRun.Options()
            options.logLevel = level
            let label = mode.description
            if output == .table {
                // One line rewritten in place on a terminal, else a line every 10 simulated minutes.
                options.progressEvery = interactive ? .seconds(scenario.timeScale) : .seconds(600)
                options.progress = { line in
                    if interactive {
                        FileHandle.standardOutput.write(Data("\r\u{1B}[K[\(label)] \(line)".utf8))
                    } else {
                        Console.line("[\(label)] \(line)")
                    }
                }
            }
            let started = ContinuousClock.now
            let result = try await runGracefully(SimulationRun(scenario: scenario, catalog: catalog, options: options))
            if interactive { Console.line("") }
            if output == .table {
                let how = Interrupt.happened ? "interrupted after" : "finished in"
                Console.line("[\(label)] \(how) \(Self.seconds(ContinuousClock.now - started)) of real time")
            }
            results.append(result)
            if Task.isCancelled || Interrupt.happened { break }
        }
        let summaries = results.map(\.summary)
        switch output {
        case .table: Console.line("\n" + SimulationSummary.compare(summaries))
        case .json: Console.line(try SimulationSummary.json(summaries))
        }
        if !report.isEmpty {
            let index = try HTMLReport.write(results, title: "n8s simulation: \(base.name)", to: report)
            if output == .table { Console.line("\nreport: \(index)") } else { Console.error("report: \(index)") }
        }
        for summary in summaries {
            let waiting = (summary.stillPending ?? [:]).sorted { $0.key < $1.key }
            guard !waiting.isEmpty else { continue }
            Console.error("[\(summary.label)] still pending at the end (latest Event):")
            for (pod, why) in waiting.prefix(10) { Console.error("  \(pod): \(why.isEmpty ? "(no Event)" : why)") }
            if waiting.count > 10 { Console.error("  ... and \(waiting.count - 10) more (results.json: stillPending)") }
        }
        if let bad = summaries.first(where: { $0.violations.total > 0 }) {
            let kinds = SafetyViolations.Kind.allCases.filter { bad.violations[$0] > 0 }.map { "\($0.rawValue) \(bad.violations[$0])" }
            Console.error("error: n8s broke its first rule in run \(bad.label): \(kinds.joined(separator: ", "))")
            for result in results where result.summary.violations.total > 0 {
                for line in result.violationDetails.prefix(20) { Console.error("  [\(result.summary.label)] \(line)") }
            }
            throw ExitCode(1)
        }
        let problems = summaries.flatMap { $0.agentProblems ?? [] }
        if let first = problems.first {
            let nodes = Set(problems.map(\.node)).count
            Console.error("error: the run could not partition: \(nodes) node(s) report N8sMigAgent=False, e.g. \(first.node): \(first.reason): \(first.message)")
            throw ExitCode(2)
        }
    }

    /// Runs one simulation in a `ServiceGroup` that turns SIGINT/SIGTERM into cancellation.
    func runGracefully(_ run: SimulationRun) async throws -> SimulationResult {
        let service = SimulationService(simulation: run)
        let group = ServiceGroup(configuration: .init(services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "n8s.sim")))
        try await group.run()
        if let error = service.box.error { throw error }
        guard let result = service.box.result else { throw SimulationError.output(path: "simulation", reason: "ended without a result") }
        return result
    }

    func loadScenario(catalog: MIGCatalog) throws -> Scenario {
        if let trace, let nodes {
            let gpu = try catalog.model(forProduct: model).model
            let mapping = try ProfileMapping(model: gpu, overrides: map.map(ProfileMapping.overrides(parsing:)) ?? [])
            let podsText = try read(trace)
            let nodesText = try read(nodes)
            var (scenario, summary) = try TraceReplay.scenario(
                podsCSV: podsText, podsFile: (trace as NSString).lastPathComponent, nodesCSV: nodesText,
                nodesFile: (nodes as NSString).lastPathComponent, mapping: mapping, compression: compression)
            let windowDuration = try window.map { text throws -> Duration in
                guard let d = DurationText.parse(text) else { throw ValidationError("--window '\(text)' is not a duration (e.g. 90m, 2h)") }
                return d
            }
            scenario = try scenario.sampled(maxNodes: maxNodes, window: windowDuration, thinsPods: !keepAllPods)
            if scenario.stopAfter == nil {
                // The same end for every mode: 5 simulated minutes after the trace's last arrival or deletion.
                let last = scenario.workload.map { pod -> Double in
                    if case .deleted(let at) = pod.end { return max(at.seconds, pod.arrival.seconds) }
                    return pod.arrival.seconds
                }.max() ?? 0
                scenario.stopAfter = .seconds((last / 60).rounded(.up) * 60 + 300)
            }
            if output == .table {
                Console.line("trace mapping to \(gpu.id):")
                for rule in mapping.rules { Console.line("  \(rule)") }
                Console.line(summary.table)
            }
            return scenario
        }
        if maxNodes != nil || window != nil { throw ValidationError("--max-nodes and --window apply to --trace") }
        guard let scenario else { return try DefaultScenario.scenario(catalog: catalog) }
        return try Scenario(yaml: try read(scenario), catalog: catalog)
    }

    func read(_ path: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    func parseModes(_ text: String, scenario: Scenario) throws -> [Scenario.Partitioning] {
        guard let model = scenario.nodes.compactMap(\.gpuModel).first else { throw ValidationError("--compare needs GPU nodes") }
        return try text.split(separator: ",").map { item -> Scenario.Partitioning in
            let mode = item.trimmingCharacters(in: .whitespaces)
            if mode == "dynamic" { return .dynamic }
            guard mode.hasPrefix("static:") else { throw ValidationError("--compare: '\(mode)' is not 'dynamic' or 'static:<geometry>'") }
            return .fixed(try GeometryText.parse(String(mode.dropFirst("static:".count)), field: "--compare", model: model))
        }
    }

    static func seconds(_ d: Duration) -> String { String(format: "%.1f s", d.seconds) }
}

/// Set once SIGINT/SIGTERM stopped a run, so `--compare` does not start the next one.
enum Interrupt {
    static let flag = Mutex(false)
    static var happened: Bool { flag.withLock { $0 } }
}

/// A simulation as a `Service`: graceful shutdown (Ctrl-C) cancels it, and it keeps the result.
struct SimulationService: Service {
    final class Box: Sendable {
        let state = Mutex<(SimulationResult?, (any Error)?)>((nil, nil))
        var result: SimulationResult? { state.withLock { $0.0 } }
        var error: (any Error)? { state.withLock { $0.1 } }
    }

    let simulation: SimulationRun
    let box = Box()

    func run() async throws {
        let box = box
        let simulation = simulation
        await withGracefulShutdownHandler {
            do {
                let result = try await simulation.run()
                box.state.withLock { $0.0 = result }
            } catch {
                box.state.withLock { $0.1 = error }
            }
        } onGracefulShutdown: {
            Interrupt.flag.withLock { $0 = true }
            simulation.options.stop.request()
        }
    }
}

extension DeviceIDStrategy: ExpressibleByArgument {}
