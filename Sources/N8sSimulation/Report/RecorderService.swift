import KubeClient
import KubeCore
import KubeRuntime
import Logging
import ServiceLifecycle

/// Feeds a ``SimulationRecorder`` from the API: watches pods and nodes (all namespaces) and
/// takes a sample every ``interval`` of the injected clock. A `Service`: run it beside the
/// simulation; it stops when cancelled or on graceful shutdown.
///
/// RBAC: `list`/`watch` pods and nodes.
public struct RecorderService: Service {
    public let recorder: SimulationRecorder
    public let client: KubeClient
    public let clock: any KubeClock
    /// Simulated time between samples.
    public let interval: Duration
    public let logger: Logger
    /// Pods recorded (default: all; a simulation selects its workload, not the device plugin's pods).
    public let podSelector: LabelSelector?

    public init(recorder: SimulationRecorder, client: KubeClient, clock: (any KubeClock)? = nil, interval: Duration = .seconds(10),
                podSelector: LabelSelector? = nil, logger: Logger = Logger(label: "n8s.sim-recorder")) {
        self.recorder = recorder
        self.podSelector = podSelector
        self.client = client
        self.clock = clock ?? client.clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let recorder = recorder
        let clock = clock
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await Watcher(api: client.resource(Pod.self), options: ListOptions(labelSelector: podSelector), store: Store<Pod>(), clock: clock, logger: logger) { changes in
                            for change in changes { recorder.observe(change, at: clock.now) }
                        }.run()
                    }
                    group.addTask {
                        try await Watcher(api: client.resource(Node.self), store: Store<Node>(), clock: clock, logger: logger) { changes in
                            for change in changes { recorder.observe(change, at: clock.now) }
                        }.run()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            recorder.sample(at: clock.now)
                            try await clock.sleep(for: interval)
                        }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
