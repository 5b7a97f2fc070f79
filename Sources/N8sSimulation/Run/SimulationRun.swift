import AsyncHTTPClient
import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import KubeSim
import Logging
import N8sCore
import N8sServices
import Synchronization

/// One run of a ``Scenario``: the whole system on an in-memory cluster, on one injected clock.
///
/// What runs (every component on the same ``ScaledClock`` at ``Scenario/timeScale``):
/// - ``KubeSim`` served over HTTP on loopback;
/// - one ``SimulatedNode`` per scenario node (kubelet, device plugin pod, GPU Feature Discovery
///   labels) over ``SimulatedNVML`` GPUs in their starting layout, and, in `dynamic` mode, its
///   PodResources gRPC server on a unix socket;
/// - ``SimScheduler`` (kube-scheduler's part) and ``RecorderService``, over HTTP;
/// - in `dynamic` mode, the production components over HTTP with their own HTTP clients: one
///   ``MIGAgent`` controller per GPU node (NVML = the node's simulated GPUs, PodResources = its
///   socket) and the ``GPUPartitionerService`` (one replica without leader election, or
///   ``FaultPlan/partitionerReplicas`` electing a leader on a Lease);
/// - the scenario's ``Scenario/faults`` (``FaultDriver``): API errors for the components' clients
///   (told apart by `User-Agent`), watch drops, and kills and restarts of agent and partitioner
///   processes;
/// - the workload: pods created at their arrival times, completed by the simulated kubelet after
///   their `run-duration`, deleted at their `delete-at` (trace replays), finished pods removed.
///
/// At the end, nodes whose agent reports it cannot partition (``MIGAgentNames/blockingReasons``,
/// e.g. `DeviceIDMismatch`) are listed in ``SimulationSummary/agentProblems``.
///
/// The run ends at ``Scenario/stopAfter``; without it, when every pod has arrived and ended, or
/// when nothing bound or finished for ``Options/idleLimit`` after the last arrival. Cancelling
/// the calling task (Ctrl-C) ends it early; the result then covers the time run so far.
public struct SimulationRun: Sendable {
    public struct Options: Sendable {
        /// Called with ``SimulationRecorder/progressLine(at:)`` every ``progressEvery`` of
        /// simulated time (`nil`: never), and once at the end.
        public var progress: (@Sendable (String) -> Void)?
        public var progressEvery: Duration? = .seconds(600)
        /// Simulated time without a pod binding, finishing or leaving, after the last arrival,
        /// that ends a run without ``Scenario/stopAfter``.
        public var idleLimit: Duration = .seconds(3600)
        /// Log level of the components.
        public var logLevel: Logger.Level = .error
        /// Told, every few seconds of real time, where a run that takes far longer than it should
        /// is (the fault campaign names it when it leaves such a trial behind).
        public var onStuck: (@Sendable (String) -> Void)?
        /// Where the components' logs go (label, the run's clock); `nil`: the process's logging
        /// system (the fault campaign keeps each trial's logs in memory instead).
        public var logHandler: (@Sendable (String, any KubeClock) -> any LogHandler)?
        /// Ends the run at the next step when requested (Ctrl-C), through the same orderly
        /// shutdown as a normal end.
        public var stop = StopRequest()
        /// Called with the API server and the simulated nodes once the run's end is reached,
        /// before anything stops (to inspect the final state, e.g. the fault campaign's
        /// convergence check).
        public var atEnd: (@Sendable (KubeSim, [SimulatedNode]) -> Void)?
        /// Asked about every ``endCheckEvery`` of simulated time with the API server, the
        /// simulated nodes and the time run so far; `true` ends the run there, before
        /// ``Scenario/stopAfter`` (the fault campaign ends a trial once it has settled).
        public var endWhen: (@Sendable (KubeSim, [SimulatedNode], Duration) -> Bool)?
        public var endCheckEvery: Duration = .seconds(10)
        public init() {}
    }

    /// A request to end a run early, from any thread.
    public final class StopRequest: Sendable {
        private let flag = Mutex(false)
        public init() {}
        public func request() { flag.withLock { $0 = true } }
        public var isRequested: Bool { flag.withLock { $0 } }
    }

    public let scenario: Scenario
    public let catalog: MIGCatalog
    public var options: Options

    public init(scenario: Scenario, catalog: MIGCatalog, options: Options = Options()) {
        self.scenario = scenario
        self.catalog = catalog
        self.options = options
    }

    /// Real time between steps of the simulated kubelets and of the workload driver (their
    /// simulated tick is this times the time scale, at least 200 ms).
    static let realTick = Duration.milliseconds(50)

    /// Runs the scenario to its end and returns its figures and time series.
    /// - Throws: ``SimulationError`` for a scenario the cluster cannot be built from, or when a
    ///   component fails (the error names it).
    public func run() async throws -> SimulationResult {
        var scenario = self.scenario
        if let d = scenario.faults.devicePluginRestart { scenario.timing.devicePluginRestart = d }
        if let d = scenario.faults.kubeletAdvertiseDelay { scenario.timing.migReconfiguration = d }
        let clock = ScaledClock(speed: scenario.timeScale)
        let sim = KubeSim(clock: clock)
        let tick = Duration.seconds(max(0.2, Self.realTick.seconds * scenario.timeScale))
        let cluster = try SimulatedCluster.install(scenario, in: sim, tick: tick)
        let start = clock.now
        let recorder = SimulationRecorder(start: start, gpuMemoryCapacityGB: cluster.gpuMemoryGB)
        let logger = { () -> Logger in
            var logger = self.options.logHandler.map { make in Logger(label: "n8s.sim") { make($0, clock) } } ?? Logger(label: "n8s.sim")
            logger.logLevel = self.options.logLevel
            return logger
        }()
        let dynamic = scenario.partitioning == .dynamic
        let gpuNodes = cluster.members.filter { $0.model != nil && !$0.node.nvml.gpus.isEmpty }
        let socketDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("n8s-sim-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: socketDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: socketDirectory) }
        let servers = dynamic ? gpuNodes.enumerated().map { i, m in PodResourcesServer(node: m.node, socketPath: "\(socketDirectory)/\(i).sock") } : []

        let produced = ResultBox()
        let teardown = Teardown()
        // A run that takes far longer than its simulated span should: say where it is (before its
        // end: the simulated time reached; after it: what the teardown waits on).
        let span = Self.span(scenario)
        let slow = Duration.seconds(span.seconds / scenario.timeScale) * 4 + .seconds(30)
        let watchdog = Task {
            let started = ContinuousClock.now
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(5))
                let message: String
                if let (stage, since) = teardown.stuck(after: .seconds(30)) {
                    message = "the run's end was reached \(Int(since.seconds)) s ago (real time) and its teardown still waits: \(stage)"
                } else if !teardown.hasEnded, ContinuousClock.now - started > slow {
                    message = "the run has taken \(Int((ContinuousClock.now - started).seconds)) s of real time and its simulated clock is at "
                        + "\(DurationText.format(.seconds(clock.now.timeIntervalSince(start).rounded()))) of \(DurationText.format(span)); running: \(teardown.runningNames)"
                } else { continue }
                logger.critical("\(message)")
                self.options.onStuck?(message)
            }
        }
        defer { watchdog.cancel() }
        do {
            return try await serve(scenario: scenario, sim: sim, servers: servers, dynamic: dynamic, cluster: cluster, recorder: recorder,
                                   clock: clock, tick: tick, logger: logger, produced: produced, teardown: teardown)
        } catch {
            // Teardown after the end (servers closing under cancellation) must not lose the figures.
            if let result = produced.value.withLock({ $0 }) { return result }
            throw error
        }
    }

    private func serve(scenario: Scenario, sim: KubeSim, servers: [PodResourcesServer], dynamic: Bool, cluster: SimulatedCluster,
                       recorder: SimulationRecorder, clock: ScaledClock, tick: Duration, logger: Logger, produced: ResultBox,
                       teardown: Teardown) async throws -> SimulationResult {
        let failures = ComponentFailures()
        let catalog = self.catalog
        let options = self.options
        let plan = scenario.faults
        let faults = FaultDriver(plan: plan, sim: sim, clock: clock, counter: FaultCounter())
        faults.start()
        let faultsEnd = plan.activeFor.map { clock.now.addingTimeInterval($0.seconds) }
        let replicas = dynamic ? max(1, plan.partitionerReplicas) : 0
        let agents = [FaultPlan.Component.scheduler.userAgent, "n8s-sim-recorder"]
            + (0..<replicas).map { "\(FaultPlan.Component.gpuPartitioner.userAgent)/\($0)" }
            + (dynamic ? servers.map { "\(FaultPlan.Component.migAgent.userAgent)/\($0.node.name)" } : [])
        return try await sim.withServer { url in
            try await Self.withSockets(servers[...]) {
                try await ClientPool.with(server: url, userAgents: agents, clock: clock, logger: logger) { clients in
                    let driver = WorkloadDriver(scenario: scenario, sim: sim, cluster: cluster, recorder: recorder, clock: clock, tick: tick, options: options)
                    let end = try await withThrowingTaskGroup(of: Void.self, returning: Date.self) { group in
                        func component(_ name: String, _ body: @escaping @Sendable () async throws -> Void) {
                            teardown.started(name)
                            group.addTask {
                                defer { teardown.stopped(name) }
                                do { try await body() } catch is CancellationError {} catch { failures.record("\(name): \(error)") }
                            }
                        }
                        for member in cluster.members { component("node \(member.node.name)") { try await member.node.run() } }
                        component("scheduler") {
                            try await SimScheduler(client: clients[0], configuration: scenario.scheduler, clock: clock, logger: logger).run()
                            // It serves until the run ends: stopping by itself would leave every later pod pending.
                            if !Task.isCancelled { throw SimulationError.output(path: "scheduler", reason: "stopped by itself") }
                        }
                        let interval = Duration.seconds(max(10, Self.span(scenario).seconds / 720))
                        component("recorder") {
                            try await RecorderService(recorder: recorder, client: clients[1], clock: clock, interval: interval,
                                                 podSelector: LabelSelector([.init(key: SimulationAnnotations.workloadLabel, op: .exists)]), logger: logger).run()
                        }
                        component("faults") { try await faults.run() }
                        if dynamic {
                            for r in 0..<replicas {
                                let client = clients[2 + r]
                                component("gpu-partitioner \(r)") {
                                    try await FaultDriver.supervise(
                                        every: plan.partitionerKillEvery, until: faultsEnd, restartDelay: plan.restartDelay, seed: plan.seed &+ 0x5041_0000 &+ UInt64(r), clock: clock,
                                        onKill: { faults.counter.update { $0.partitionerKills += 1 } }
                                    ) {
                                        Self.partitionerProcess(scenario, replica: r, of: replicas, client: client, catalog: catalog, clock: clock, logger: logger)
                                    }
                                }
                            }
                            for (i, server) in servers.enumerated() {
                                let client = clients[2 + replicas + i]
                                component("mig-agent \(server.node.name)") {
                                    let node = server.node
                                    let reboots = plan.nodeRebootEvery.map { every in
                                        FaultDriver.Reboots(
                                            every: every, downFor: plan.nodeDownFor,
                                            reboot: { try node.reboot(now: clock.now) }, boot: { try node.bootCompleted(now: clock.now) })
                                    }
                                    try await FaultDriver.supervise(
                                        every: plan.agentKillEvery, until: faultsEnd, restartDelay: plan.restartDelay, seed: plan.seed &+ 0x4147_0000 &+ UInt64(i), clock: clock,
                                        onKill: { faults.counter.update { $0.agentKills += 1 } },
                                        reboots: reboots, onReboot: { faults.counter.update { $0.reboots += 1 } }
                                    ) {
                                        let agent = Self.agent(
                                            node: server.node, socket: server.socketPath, client: client, catalog: catalog, clock: clock, logger: logger,
                                            timeScale: scenario.timeScale)
                                        let controller = try agent.controller()
                                        return ({ try await controller.run() }, { true })
                                    }
                                }
                            }
                        }
                        defer {
                            teardown.ending()
                            group.cancelAll()
                        }
                        try await driver.run(failures: failures)
                        let end = clock.now
                        options.atEnd?(sim, cluster.members.map(\.node))
                        // Let the recorder's watches deliver the last changes (their times are kept).
                        if !options.stop.isRequested { try? await Task.sleep(for: .milliseconds(500)) }
                        return end
                    }
                    teardown.stage("clients, sockets and API server stopping")
                    options.progress?(recorder.progressLine(at: end))
                    var result = recorder.result(name: scenario.name, partitioning: scenario.partitioning.description, end: end)
                    result.summary.faults = faults.totals
                    result.summary.faults.podsLostToReboots = cluster.members.reduce(0) { $0 + $1.node.podsLostToReboots }
                    result.summary.faults.pluginCrashes = cluster.members.reduce(0) { $0 + $1.node.pluginCrashes }
                    let problems = dynamic ? Self.agentProblems(sim) : []
                    result.summary.agentProblems = problems.isEmpty ? nil : problems
                    let waiting = Self.stillPending(sim)
                    result.summary.stillPending = waiting.isEmpty ? nil : waiting
                    produced.value.withLock { $0 = result }
                    return result
                }
            }
        }
    }

    /// Workload pods not bound and not finished, each with the latest Event on it.
    static func stillPending(_ sim: KubeSim) -> [String: String] {
        let pods = ((try? sim.list(Pod.self)) ?? []).filter {
            ($0.spec.nodeName ?? "").isEmpty && !($0.status?.isTerminal ?? false) && $0.metadata.labels?[SimulationAnnotations.workloadLabel] != nil
        }
        guard !pods.isEmpty else { return [:] }
        var latest: [String: Event] = [:]
        for event in (try? sim.list(Event.self)) ?? [] where event.involvedObject.kind == "Pod" {
            let key = "\(event.involvedObject.namespace ?? "")/\(event.involvedObject.name ?? "")"
            if let old = latest[key], old.latestTime > event.latestTime { continue }
            latest[key] = event
        }
        var out: [String: String] = [:]
        for pod in pods {
            let key = "\(pod.metadata.namespace ?? "default")/\(pod.name)"
            out[key] = latest[key].map { "\($0.reason ?? ""): \($0.message ?? "")" } ?? ""
        }
        return out
    }

    /// Nodes whose agent condition says it cannot partition (``MIGAgentNames/blockingReasons``).
    static func agentProblems(_ sim: KubeSim) -> [SimulationSummary.AgentProblem] {
        let nodes = (try? sim.list(Node.self)) ?? []
        return nodes.compactMap { node -> SimulationSummary.AgentProblem? in
            guard let c = node.status?.condition(MIGAgentNames.conditionType), c.status == "False",
                let reason = c.reason, MIGAgentNames.blockingReasons.contains(reason)
            else { return nil }
            return SimulationSummary.AgentProblem(node: node.name, reason: reason, message: c.message ?? "")
        }.sorted { $0.node < $1.node }
    }

    /// The simulated time a scenario is expected to take (for the sample interval).
    static func span(_ scenario: Scenario) -> Duration {
        if let stop = scenario.stopAfter { return stop }
        let last = scenario.workload.map { pod -> Duration in
            switch pod.end {
            case .runs(let d): pod.arrival + d
            case .deleted(let at): at
            case .never: pod.arrival
            }
        }.max()
        return last ?? .seconds(3600)
    }

    /// How much the components' timeouts and polling periods grow in a run at `timeScale`: a
    /// request's real latency (milliseconds, far more on a loaded machine) counts timeScale times
    /// over in simulated time, so past 10x, waits made for a cluster's latencies would time out
    /// (leaders losing their lease, agents giving up on the device plugin) and polls would busy
    /// the CPU. 1 up to 10x, then timeScale / 10.
    static func latencyStretch(_ timeScale: Double) -> Double { max(1, timeScale / 10) }

    static func partitioner(
        _ scenario: Scenario, client: KubeClient, catalog: MIGCatalog, clock: any KubeClock, logger: Logger, leadership: Leadership? = nil
    ) -> GPUPartitionerService {
        var config = PartitionerConfig()
        config.batchWindowTimeoutSeconds = max(1, Int(scenario.batchWindow.timeout.seconds.rounded()))
        config.batchWindowIdleSeconds = max(1, Int(scenario.batchWindow.idle.seconds.rounded()))
        config.planAckTimeoutSeconds = Int((Double(config.planAckTimeoutSeconds) * latencyStretch(scenario.timeScale)).rounded())
        let recorder = EventRecorder(client: client, component: "n8s-gpu-partitioner", instance: "sim", clock: clock, logger: logger)
        let partitioner = GPUPartitioner(
            client: client, nodes: Store<Node>(), pods: Store<Pod>(indexes: [.byNamespace, .byNodeName]), config: config,
            catalog: catalog, recorder: recorder, clock: clock, logger: logger)
        return GPUPartitionerService(partitioner: partitioner, leadership: leadership, logger: logger)
    }

    /// One partitioner process: with one replica the partitioner alone; with more, a leader
    /// election on the Lease `n8s-gpu-partitioner` in `default` beside it (a fresh identity per
    /// life). Killable while it leads (any time with one replica).
    static func partitionerProcess(
        _ scenario: Scenario, replica: Int, of replicas: Int, client: KubeClient, catalog: MIGCatalog, clock: any KubeClock, logger: Logger
    ) -> (body: @Sendable () async throws -> Void, isKillable: @Sendable () -> Bool) {
        guard replicas > 1 else {
            let service = partitioner(scenario, client: client, catalog: catalog, clock: clock, logger: logger)
            return ({ try await service.run() }, { true })
        }
        let leadership = Leadership()
        let service = partitioner(scenario, client: client, catalog: catalog, clock: clock, logger: logger, leadership: leadership)
        var election = LeaderElection(
            leases: client.resource(Lease.self, in: "default"), leaseName: "n8s-gpu-partitioner",
            identity: "sim-partitioner-\(replica)-\(UUID().uuidString.prefix(8).lowercased())", leadership: leadership, clock: clock, logger: logger)
        // The lease's periods (15 s, 10 s, 2 s in a cluster) grow with the scale, or the leader
        // could not renew in time and leadership would flap.
        let stretch = latencyStretch(scenario.timeScale)
        election.leaseDuration = .seconds(15 * stretch)
        election.renewDeadline = .seconds(10 * stretch)
        election.retryPeriod = .seconds(2 * stretch)
        let elector = election
        let body: @Sendable () async throws -> Void = {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await elector.run() }
                group.addTask { try await service.run() }
                defer { group.cancelAll() }
                try await group.next()
            }
        }
        return (body, { leadership.isLeading })
    }

    static func agent(
        node: SimulatedNode, socket: String, client: KubeClient, catalog: MIGCatalog, clock: any KubeClock, logger: Logger, timeScale: Double = 1
    ) -> MIGAgent {
        var config = MIGAgentConfig(nodeName: node.name)
        config.podResourcesSocket = socket
        config.lockFile = nil
        // Real latency counts timeScale times over in simulated time (see `latencyStretch`).
        let stretch = latencyStretch(timeScale)
        config.pauseTimeout = config.pauseTimeout * stretch
        config.resumeTimeout = config.resumeTimeout * stretch
        config.pollInterval = config.pollInterval * stretch
        let events = EventRecorder(client: client, component: "n8s-mig-agent", instance: node.name, clock: clock, logger: logger)
        return MIGAgent(config: config, client: client, nvml: node.nvml, podResources: PodResourcesClient(socketPath: socket),
                        catalog: catalog, clock: clock, events: events, logger: logger)
    }

    /// Runs `body` with every PodResources server listening.
    static func withSockets<T: Sendable>(_ servers: ArraySlice<PodResourcesServer>, _ body: () async throws -> T) async throws -> T {
        guard let first = servers.first else { return try await body() }
        return try await first.withRunning { try await withSockets(servers.dropFirst(), body) }
    }
}

/// Where a run's teardown is: the components still running once the end is reached, or the
/// stage after them (for the diagnostic of a run that does not return).
final class Teardown: Sendable {
    private struct State {
        var running: Set<String> = []
        var stage: String?
        var endedAt: ContinuousClock.Instant?
    }
    private let state = Mutex(State())
    func started(_ component: String) { state.withLock { _ = $0.running.insert(component) } }
    func stopped(_ component: String) { state.withLock { _ = $0.running.remove(component) } }
    func ending() { state.withLock { $0.endedAt = $0.endedAt ?? .now } }
    func stage(_ text: String) { state.withLock { $0.stage = text } }
    var hasEnded: Bool { state.withLock { $0.endedAt != nil } }
    var runningNames: String { state.withLock { $0.running.sorted().joined(separator: ", ") } }

    /// The stage, when the end was reached more than `limit` ago (real time).
    func stuck(after limit: Duration) -> (String, Duration)? {
        state.withLock { s in
            guard let at = s.endedAt, ContinuousClock.now - at > limit else { return nil }
            let stage = s.running.isEmpty ? (s.stage ?? "after the components") : "components still running: \(s.running.sorted().joined(separator: ", "))"
            return (stage, ContinuousClock.now - at)
        }
    }
}

/// The result, once computed (teardown errors after it do not lose it).
final class ResultBox: Sendable {
    let value = Mutex<SimulationResult?>(nil)
}

/// Errors of components that stopped on their own; the driver ends the run on the first.
final class ComponentFailures: Sendable {
    private let list = Mutex<[String]>([])
    func record(_ text: String) { list.withLock { $0.append(text) } }
    var first: String? { list.withLock { $0.first } }
}

/// One `HTTPClient` and ``KubeClient`` per component (as separate processes have), each with
/// its own `User-Agent` (so KubeSim can tell them apart for faults), shut down together. No
/// client-side rate limit: the simulation's clock runs faster than real time.
enum ClientPool {
    static func with<T: Sendable>(server: URL, userAgents: [String], clock: any KubeClock, logger: Logger,
                                  _ body: ([KubeClient]) async throws -> T) async throws -> T {
        let config = ClusterConfig(server: server)
        var https: [HTTPClient] = []
        var clients: [KubeClient] = []
        for agent in userAgents {
            let http = try HTTPTransport.makeHTTPClient(for: config)
            https.append(http)
            var transport = HTTPTransport(config: config, httpClient: http, clock: clock)
            transport.userAgent = agent
            clients.append(KubeClient(transport: transport, qps: nil, clock: clock, logger: logger))
        }
        do {
            let result = try await body(clients)
            for http in https { try? await http.shutdown() }
            return result
        } catch {
            for http in https { try? await http.shutdown() }
            throw error
        }
    }
}

extension Event {
    /// When the event last happened: `lastTimestamp`, else its creation (`distantPast` without either).
    var latestTime: Date { lastTimestamp ?? metadata.creationTimestamp ?? .distantPast }
}
