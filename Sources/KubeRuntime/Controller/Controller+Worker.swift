import Foundation
import KubeClient
import KubeCore
import Logging
import Metrics
import Synchronization

extension Controller {
    /// Takes keys from the queue and reconciles them, recording metrics.
    struct Worker: Sendable {
        let controller: Controller
        let queue: WorkQueue<ObjectKey>
        let tombstones: Tombstones<R.Object>
        let results: [String: Counter]
        let errors: Counter
        let duration: Metrics.Timer
        let active: Gauge

        init(controller: Controller, queue: WorkQueue<ObjectKey>, tombstones: Tombstones<R.Object>) {
            self.controller = controller
            self.queue = queue
            self.tombstones = tombstones
            let dims = [("controller", controller.name)]
            var results: [String: Counter] = [:]
            for result in ["success", "error", "requeue_after", "terminal"] {
                results[result] = Counter(label: "n8s_controller_runtime_reconcile_total", dimensions: dims + [("result", result)], factory: controller.metrics)
            }
            self.results = results
            errors = Counter(label: "n8s_controller_runtime_reconcile_errors_total", dimensions: dims, factory: controller.metrics)
            duration = Metrics.Timer(label: "n8s_controller_runtime_reconcile_time_seconds", dimensions: dims, preferredDisplayUnit: .seconds, factory: controller.metrics)
            active = Gauge(label: "n8s_controller_runtime_active_workers", dimensions: dims, factory: controller.metrics)
        }

        func runAll(count: Int) async {
            await withDiscardingTaskGroup { group in
                for _ in 0..<count { group.addTask { await loop() } }
            }
        }

        private func loop() async {
            active.record(tombstones.activeWorkers.add(1, ordering: .relaxed).newValue)
            defer { active.record(tombstones.activeWorkers.subtract(1, ordering: .relaxed).newValue) }
            while let key = await queue.next() {
                await process(key)
                await queue.done(key)
                if Task.isCancelled { return }
            }
        }

        private func process(_ key: ObjectKey) async {
            let id = UUID().uuidString.lowercased().prefix(8)
            var logger = controller.logger
            logger[metadataKey: "controller"] = "\(controller.name)"
            logger[metadataKey: "k8s.namespace"] = "\(key.namespace ?? "")"
            logger[metadataKey: "k8s.name"] = "\(key.name)"
            logger[metadataKey: "reconcile.id"] = "\(id)"
            let context = ReconcileContext(
                controller: controller.name, key: key, reconcileID: String(id), failures: await queue.failureCount(key),
                clock: controller.clock, logger: logger
            )
            let started = ContinuousClock.now
            defer { duration.recordInterval(since: started) }
            do {
                let action: Action
                if let object = controller.store.get(key) {
                    action = try await controller.reconciler.reconcile(object, context: context)
                } else {
                    let lastKnown = tombstones.get(key)
                    action = try await controller.reconciler.reconcileDeleted(key, lastKnown: lastKnown, context: context)
                    tombstones.clear(key, ifStill: lastKnown)
                }
                await queue.forget(key)
                if let delay = action.requeueAfter {
                    await queue.add(key, after: delay)
                    results["requeue_after"]?.increment()
                } else {
                    results["success"]?.increment()
                }
            } catch is CancellationError {
                await queue.add(key)
            } catch let error as TerminalError {
                await queue.forget(key)
                results["terminal"]?.increment()
                errors.increment()
                logger.error("reconcile failed terminally", metadata: ["error": "\(error.underlying)"])
            } catch {
                if Task.isCancelled {
                    await queue.add(key)
                    return
                }
                let delay = await queue.addRateLimited(key)
                results["error"]?.increment()
                errors.increment()
                logger.warning("reconcile failed", metadata: ["retry.in": "\(delay)", "error": "\(error)"])
            }
        }
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, atto) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + atto / 1_000_000_000)
    }
}

/// Last known versions of deleted objects until their deletion is reconciled, and the worker count.
final class Tombstones<Object: Resource>: Sendable {
    private let map = Mutex<[ObjectKey: Object]>([:])
    let activeWorkers = Atomic<Int>(0)

    func record(_ object: Object) { map.withLock { $0[object.key] = object } }
    func get(_ key: ObjectKey) -> Object? { map.withLock { $0[key] } }
    func clear(_ key: ObjectKey, ifStill object: Object?) { map.withLock { if $0[key] == object { $0[key] = nil } } }
}
