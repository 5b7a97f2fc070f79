import Foundation
import KubeClient
import KubeCore
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Runs a ``Reconciler``: watches the primary kind (and secondary kinds mapped to primary keys),
/// waits until every cache has synced, then lets `workers` tasks take keys from a ``WorkQueue``.
///
/// Guarantees: no reconcile before the caches synced; never two reconciles of one key at once;
/// a key changed while being reconciled is reconciled again; thrown errors back off per key
/// (5 ms doubling to 1000 s); ``TerminalError`` is not retried. With a ``Leadership``, workers
/// run only while it is held: they are cancelled when it is lost and every cached key is queued
/// again when it is regained. On graceful shutdown, watches stop, in-flight reconciles finish,
/// and ``run()`` returns.
///
/// Metrics (swift-metrics): `n8s_controller_runtime_reconcile_total{controller,result}` with
/// result ∈ {success, error, requeue_after, terminal}, `n8s_controller_runtime_reconcile_errors_total{controller}`,
/// `n8s_controller_runtime_reconcile_time_seconds{controller}`, `n8s_controller_runtime_active_workers{controller}`,
/// and the queue's `n8s_workqueue_*{name}`.
public struct Controller<R: Reconciler>: Service {
    public let name: String
    public let reconciler: R
    public let api: ResourceClient<R.Object>
    public var options: ListOptions
    /// The primary cache; readable by anyone (e.g. readiness checks).
    public let store: Store<R.Object>
    public var workers: Int
    public var leadership: Leadership?
    /// Queue every cached key again this often; `nil`: never.
    public var resyncPeriod: Duration?
    public let clock: any KubeClock
    public var logger: Logger
    public var metrics: any MetricsFactory
    var secondaries: [SecondaryWatch] = []

    struct SecondaryWatch: Sendable {
        let waitUntilSynced: @Sendable () async throws -> Void
        let run: @Sendable (_ enqueue: @escaping @Sendable ([ObjectKey]) async -> Void) async throws -> Void
    }

    public init(
        name: String,
        reconciler: R,
        api: ResourceClient<R.Object>,
        options: ListOptions = ListOptions(),
        store: Store<R.Object> = Store(),
        workers: Int = 1,
        leadership: Leadership? = nil,
        clock: (any KubeClock)? = nil,
        logger: Logger = Logger(label: "n8s.controller"),
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        precondition(workers >= 1, "a controller needs at least one worker")
        self.name = name
        self.reconciler = reconciler
        self.api = api
        self.options = options
        self.store = store
        self.workers = workers
        self.leadership = leadership
        self.clock = clock ?? api.client.clock
        self.logger = logger
        self.metrics = metrics
    }

    /// Also watch kind `S`; each change queues the primary keys `mapping` returns.
    /// RBAC: `list` and `watch` on `S`.
    public func watching<S: Resource>(
        _ api: ResourceClient<S>,
        options: ListOptions = ListOptions(),
        store: Store<S> = Store(),
        mapping: @escaping @Sendable (S) -> [ObjectKey]
    ) -> Controller {
        var copy = self
        let clock = self.clock
        let logger = self.logger
        copy.secondaries.append(
            SecondaryWatch(
                waitUntilSynced: { try await store.waitUntilSynced() },
                run: { enqueue in
                    let watcher = Watcher(api: api, options: options, store: store, clock: clock, logger: logger) { changes in
                        for change in changes {
                            var keys = mapping(change.object)
                            if case .applied(_, let old?) = change { keys += mapping(old) }
                            await enqueue(keys)
                        }
                    }
                    try await watcher.run()
                }
            )
        )
        return copy
    }

    /// `true` once the primary and every secondary cache has listed once.
    public var hasSynced: Bool { store.hasSynced }

    public func run() async throws {
        let queue = WorkQueue<ObjectKey>(name: name, clock: clock, metrics: metrics)
        let tombstones = Tombstones<R.Object>()
        let primary = Watcher(api: api, options: options, store: store, clock: clock, logger: logger) { changes in
            for change in changes {
                if case .deleted(let object) = change { tombstones.record(object) }
                await queue.add(change.object.key)
            }
        }
        let worker = Worker(controller: self, queue: queue, tombstones: tombstones)
        await withDiscardingTaskGroup { group in
            group.addTask { await queue.run() }
            group.addTask { try? await primary.run() }
            for secondary in secondaries {
                group.addTask { try? await secondary.run { keys in for key in keys { await queue.add(key) } } }
            }
            group.addTask {
                do {
                    try await cancelWhenGracefulShutdown {
                        try await store.waitUntilSynced()
                        for secondary in secondaries { try await secondary.waitUntilSynced() }
                    }
                } catch { return }
                logger.debug("caches synced", metadata: ["controller": "\(name)"])
                await runWorkers(worker, queue: queue)
            }
            if let resyncPeriod {
                group.addTask {
                    try? await cancelWhenGracefulShutdown {
                        while true {
                            try await clock.sleep(for: resyncPeriod)
                            for object in store.list() { await queue.add(object.key) }
                        }
                    }
                }
            }
            group.addTask {
                // Graceful shutdown or cancellation: stop handing out keys; in-flight reconciles finish.
                try? await gracefulShutdown()
                await queue.shutDown()
            }
        }
    }

    private func runWorkers(_ worker: Worker, queue: WorkQueue<ObjectKey>) async {
        guard let leadership else { return await worker.runAll(count: workers) }
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do { try await cancelWhenGracefulShutdown { try await leadership.waitUntilLeading() } } catch { return }
            for object in store.list() { await queue.add(object.key) }
            await leadership.whileLeading { await worker.runAll(count: workers) }
            if await queue.isStopped { return }
        }
    }
}
