import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import Metrics
import N8sCore
import N8sServices
import Prometheus
import ServiceLifecycle
import Yams

/// `n8s mig-agent`: reports and applies MIG layouts on this node (DaemonSet, privileged).
struct MigAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mig-agent",
        abstract: "Report the node's MIG state and apply the partitioner's MIG spec with NVML.",
        discussion: """
            Runs on every node labelled n8s.nebuly.ai/auto-mig-enabled=true. The node comes from
            --node-name or NODE_NAME (downward API). Settings come from --config (YAML, keys as the
            flags in camelCase: nodeName, podResourcesSocket, pauseMode, pauseLabelKey,
            pluginSelectors, pluginNamespaces, reportIntervalSeconds, pauseTimeoutSeconds,
            resumeTimeoutSeconds, lockFile, dryRun, healthPort, allowChangesWhileAdvertised);
            flags override the file.
            Without the NVIDIA driver it keeps running and reports condition N8sMigAgent=False,
            reason NVMLUnavailable. When a device id the kubelet reports is no MIG device UUID
            (the device plugin's deviceIDStrategy=index), it changes nothing and reports
            DeviceIDMismatch.
            Pause mode delete-pod leaves MIG devices advertised while they change and is UNSAFE: a
            pod can be given a device that is being destroyed. The agent refuses to start with it
            unless the config sets allowChangesWhileAdvertised: true; it then re-reads what is
            used right before changing each GPU and leaves a GPU alone when that changed.
            """
    )

    @Option(help: "YAML config file.") var config: String?
    @Option(help: "The node to manage (default: $NODE_NAME).") var nodeName: String?
    @Option(help: "kubeconfig path (default: in-cluster, then $KUBECONFIG, then ~/.kube/config).") var kubeconfig: String?
    @Option(help: "kubelet PodResources socket.") var podResourcesSocket: String?
    @Option(help: "Device plugin pause mode: gpu-operator-label, own-label or delete-pod.") var pauseMode: String?
    @Option(help: "Seconds between status reports.") var reportIntervalSeconds: Int?
    @Option(help: "Host lock file ('' disables).") var lockFile: String?
    @Option(help: "Port of /healthz, /readyz and /metrics.") var healthPort: Int?
    @Option(help: "MIG catalog override (YAML in the schema of mig-profiles.yaml).") var catalog: String?
    @Option(help: "NVML library to dlopen.") var nvmlLibrary: String = "libnvidia-ml.so.1"
    @Flag(help: "Report what would change; change nothing.") var dryRun = false
    @Flag(help: "Print a read-only NVML check (GPUs, memory, MIG mode, profiles and placements) and exit.") var checkNVML = false

    func run() async throws {
        var logger = Logger(label: "n8s.mig-agent")
        logger.logLevel = .info
        let nvml = SystemNVML(path: nvmlLibrary)
        Console.line(Self.nvmlSummary(nvml))
        if checkNVML { return }
        var file = try MigAgentFile(path: config)
        let settings = try file.resolve(self)
        let catalogModel = try catalog.map { path in try MIGCatalog(yaml: try InputFile.text(path, role: "MIG catalog")) } ?? MIGCatalog.bundled()
        let cluster = try ClusterConfig.load(kubeconfig: kubeconfig)
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        try await KubeClient.withHTTP(config: cluster, logger: logger) { client in
            let events = EventRecorder(client: client, component: "n8s-mig-agent", logger: logger)
            let agent = MIGAgent(
                config: settings.agent, client: client, nvml: nvml,
                podResources: PodResourcesClient(socketPath: settings.agent.podResourcesSocket),
                catalog: catalogModel, clock: SystemClock(), events: events, logger: logger)
            let controller = try agent.controller()
            let checks = HealthChecks()
            checks.addReadiness("node-cache") { controller.hasSynced }
            let health = HealthServer(port: settings.healthPort, checks: checks, registry: registry, logger: logger)
            let group = ServiceGroup(configuration: .init(services: [controller, health], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    /// One line on NVML: the GPUs it sees, or why it is unavailable.
    static func nvmlSummary(_ nvml: any NVMLLibrary) -> String {
        do {
            return try nvml.withSession { s in
                let n = try s.deviceCount()
                let gpus = try (0..<n).map { i -> String in
                    let d = try s.deviceInfo(i)
                    let mode = d.migMode.map { $0.current ? ($0.pending ? "enabled" : "enabled, disable pending") : ($0.pending ? "enable pending" : "disabled") } ?? "not supported"
                    var line = "GPU \(i) \(d.name) \(d.memoryMiB) MiB MIG \(mode)"
                    if d.migMode != nil, let profiles = try? s.gpuInstanceProfiles(i), !profiles.isEmpty {
                        line += " profiles [" + profiles.map { "\($0.name) id \($0.id) max \($0.maxCount) \($0.memoryMiB) MiB {\($0.placements.map(String.init).joined(separator: ","))}:\($0.placementSize)" }.joined(separator: "; ") + "]"
                    }
                    return line
                }
                return "NVML: \(n) GPU(s)" + (gpus.isEmpty ? "" : ": " + gpus.joined(separator: "; "))
            }
        } catch let error as NVMLError {
            return "NVML is unavailable on this machine (\(error)); the agent reports condition N8sMigAgent=False, reason NVMLUnavailable, and changes nothing"
        } catch {
            return "NVML check failed: \(error)"
        }
    }
}

/// The agent's config file, merged with the flags (flags win).
struct MigAgentFile {
    var values: [String: Yams.Node] = [:]
    static let keys: Set<String> = [
        "nodeName", "podResourcesSocket", "pauseMode", "pauseLabelKey", "pluginSelectors", "pluginNamespaces",
        "reportIntervalSeconds", "pauseTimeoutSeconds", "resumeTimeoutSeconds", "lockFile", "dryRun", "healthPort",
        "allowChangesWhileAdvertised",
    ]

    init(path: String?) throws {
        guard let path else { return }
        let text = try InputFile.text(path, role: "mig-agent config")
        guard let map = try Yams.compose(yaml: text)?.mapping else { throw ValidationError("config \(path): the top level must be a mapping") }
        for (k, v) in map {
            let key = k.string ?? ""
            guard Self.keys.contains(key) else { throw ValidationError("config \(path): unknown field '\(key)' (known: \(Self.keys.sorted().joined(separator: ", ")))") }
            values[key] = v
        }
    }

    func string(_ key: String) throws -> String? {
        guard let v = values[key] else { return nil }
        guard let s = v.string else { throw ValidationError("config field '\(key)' must be a string") }
        return s
    }

    func int(_ key: String) throws -> Int? {
        guard let v = values[key] else { return nil }
        guard let i = v.int, i >= 0 else { throw ValidationError("config field '\(key)' must be a non-negative integer") }
        return i
    }

    func strings(_ key: String) throws -> [String]? {
        guard let v = values[key] else { return nil }
        guard let list = v.sequence?.compactMap(\.string), list.count == v.sequence?.count else { throw ValidationError("config field '\(key)' must be a list of strings") }
        return list
    }

    mutating func resolve(_ flags: MigAgent) throws -> (agent: MIGAgentConfig, healthPort: Int) {
        guard let node = try flags.nodeName ?? string("nodeName") ?? ProcessInfo.processInfo.environment["NODE_NAME"], !node.isEmpty else {
            throw ValidationError("the node name is missing: set --node-name, nodeName in the config, or NODE_NAME")
        }
        var config = MIGAgentConfig(nodeName: node)
        if let s = try flags.podResourcesSocket ?? string("podResourcesSocket") { config.podResourcesSocket = s }
        if let m = try flags.pauseMode ?? string("pauseMode") {
            guard let mode = DevicePluginPause.Mode(rawValue: m) else {
                throw ValidationError("pauseMode '\(m)' is not one of \(DevicePluginPause.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            config.pause = DevicePluginPause(mode: mode)
        }
        if let k = try string("pauseLabelKey") { config.pause.labelKey = k }
        if let s = try strings("pluginSelectors") {
            for text in s { do { _ = try LabelSelector(parsing: text) } catch { throw ValidationError("pluginSelectors: '\(text)' is not a label selector: \(error)") } }
            config.pause.podSelectors = s
        }
        if let n = try strings("pluginNamespaces") { config.pause.namespaces = n }
        if let s = try flags.reportIntervalSeconds ?? int("reportIntervalSeconds") {
            guard s > 0 else { throw ValidationError("reportIntervalSeconds must be positive") }
            config.reportInterval = .seconds(s)
        }
        if let s = try int("pauseTimeoutSeconds") { config.pauseTimeout = .seconds(s) }
        if let s = try int("resumeTimeoutSeconds") { config.resumeTimeout = .seconds(s) }
        if let l = try flags.lockFile ?? string("lockFile") { config.lockFile = l.isEmpty ? nil : l }
        config.dryRun = flags.dryRun || (values["dryRun"]?.bool ?? false)
        if let v = values["allowChangesWhileAdvertised"] {
            guard let allow = v.bool else { throw ValidationError("config field 'allowChangesWhileAdvertised' must be true or false") }
            config.allowChangesWhileAdvertised = allow
        }
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        let port = try flags.healthPort ?? int("healthPort") ?? 8081
        guard (0...65535).contains(port) else { throw ValidationError("healthPort must be within 0...65535") }
        return (config, port)
    }
}
