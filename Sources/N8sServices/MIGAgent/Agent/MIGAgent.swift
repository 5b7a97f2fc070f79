import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import N8sCore
import Synchronization

/// The MIG agent of one node: reports the GPUs' MIG state and applies the partitioner's spec.
///
/// One pass (``reconcile(_:)``): prerequisite checks, a read of NVML and of what is used, then,
/// when the spec differs from the GPUs and can be applied, pause the device plugin, re-read what
/// is used, change the GPUs, resume the plugin and wait until the node advertises the new devices,
/// and finally one patch of the status annotations with the plan echo, the outcome and the spec
/// hash, the `N8sMigAgent` condition, and an Event. Passes never overlap (the controller runs one
/// reconcile per node at a time, and a host file lock guards against a second agent).
///
/// RBAC: nodes `get`, `patch`, `nodes/status` `update`; pods `list` (all namespaces), `delete`
/// (plugin namespace, `deletePod` mode); events `create`.
public struct MIGAgent: Sendable {
    public let config: MIGAgentConfig
    public let client: KubeClient
    public let nvml: any NVMLLibrary
    public let podResources: any PodResourcesSource
    /// The catalog NVML is compared with (`CatalogMismatch`); `nil` skips the check.
    public let catalog: MIGCatalog?
    public let clock: any KubeClock
    public let events: EventRecorder?
    public let logger: Logger
    /// Runs the NVML steps; tests hook its `beforeMutation`.
    public var actuator = GPUActuator()
    let memory = Memory()

    public init(
        config: MIGAgentConfig, client: KubeClient, nvml: any NVMLLibrary, podResources: any PodResourcesSource,
        catalog: MIGCatalog?, clock: any KubeClock, events: EventRecorder? = nil, logger: Logger = Logger(label: "n8s.mig-agent")
    ) {
        self.config = config
        self.client = client
        self.nvml = nvml
        self.podResources = podResources
        self.catalog = catalog
        self.clock = clock
        self.events = events
        self.logger = logger
    }

    /// State kept between passes: retry backoff per spec hash (C01) and one-time log lines.
    final class Memory: Sendable {
        struct State {
            var failures: [String: (count: Int, retryAt: Date)] = [:]
            var saidUnimplemented = false
            var saidUnavailable = false
        }
        let state = Mutex(State())

        /// `true` the first time it is asked for this flag (then sets it).
        func firstTime(_ flag: WritableKeyPath<State, Bool>) -> Bool {
            state.withLock { s in
                let was = s[keyPath: flag]
                s[keyPath: flag] = true
                return !was
            }
        }
    }

    var plugin: DevicePluginController {
        DevicePluginController(client: client, nodeName: config.nodeName, settings: config.pause, clock: clock, pollInterval: config.pollInterval, logger: logger)
    }

    var usageReader: UsageReader {
        UsageReader(client: client, nodeName: config.nodeName, podResources: podResources, socketPath: config.podResourcesSocket, logger: logger)
    }

    /// What one pass saw and did; written to the node by ``report(_:)``.
    public struct PassResult: Sendable {
        /// The GPUs at the end of the pass (used instances marked); empty when they could not be
        /// read or trusted (NVML unavailable, PodResources unreadable, `DeviceIDMismatch`, a
        /// failure after GPUs changed): the report then removes the per-GPU status annotations.
        public var gpus: [ObservedGPU] = []
        public var plans: [GPUActuationPlan] = []
        public var results: [GPUActuationResult] = []
        /// Prerequisite problems and node-wide failures: (reason, message).
        public var problems: [(reason: String, message: String)] = []
        /// Notes for the condition message (e.g. the C36 fallback).
        public var notes: [String] = []
        /// The outcome to echo; `nil`: leave the echo as it is.
        public var outcome: PartitioningOutcome?
        /// `true` when the GPUs were changed in this pass.
        public var acted = false
        /// When to run again.
        public var requeue: Duration
    }

    /// One pass over `node` (the cached object; the agent re-reads it where it must be current).
    /// - Returns: when to run again (``MIGAgentConfig/reportInterval``, or the retry backoff).
    /// - Throws: ``KubeClientError`` when the node cannot be patched (the controller backs off).
    public func reconcile(_ node: Node) async throws -> Action {
        var pass = try await evaluate(node)
        try await report(&pass, node: node)
        return .requeue(after: pass.requeue)
    }
}
