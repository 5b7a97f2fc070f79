import Foundation
import KubeClient
import KubeCore
import KubeRuntime
import Logging
import ServiceLifecycle
import Synchronization

/// Runs the GPU partitioner: watches nodes and pods into the caches, and, while this replica
/// leads, calls ``GPUPartitioner/reconcile()`` whenever a change that matters arrives
/// (``ChangeRelevance``) or the time the last call asked for has come.
///
/// Nothing is planned before both caches have synced. Without a ``Leadership`` the replica
/// always acts (single-replica use and tests). Each term of leadership starts from a fresh
/// ledger (``GPUPartitioner/startTerm()``). On graceful shutdown the watches and the step
/// stop (each node write is one atomic patch, so none is left half done); nothing is persisted (after a restart every pending pod is a
/// candidate again). RBAC: `list`/`watch` on `nodes` and `pods`, plus ``GPUPartitioner``'s.
public struct GPUPartitionerService: Service {
    public let partitioner: GPUPartitioner
    public let leadership: Leadership?
    let wakeup = Wakeup()
    let logger: Logger

    public init(partitioner: GPUPartitioner, leadership: Leadership? = nil, logger: Logger = Logger(label: "n8s.gpu-partitioner")) {
        self.partitioner = partitioner
        self.leadership = leadership
        self.logger = logger
    }

    /// `true` once both caches have listed (readiness).
    public var hasSynced: Bool { partitioner.nodes.hasSynced && partitioner.pods.hasSynced }

    public func run() async throws {
        let p = partitioner
        let wakeup = self.wakeup
        let nodeWatcher = Watcher(api: p.client.resource(Node.self), store: p.nodes, clock: p.clock, logger: logger) { changes in
            let relevant = changes.contains { change in
                switch change {
                case .applied(let new, let old): ChangeRelevance.matters(old: old, new: new)
                case .deleted: true
                }
            }
            if relevant {
                p.noteNodeChange()
                wakeup.signal()
            }
        }
        let podWatcher = Watcher(api: p.client.resource(Pod.self), store: p.pods, clock: p.clock, logger: logger) { changes in
            let relevant = changes.contains { change in
                switch change {
                case .applied(let new, let old): ChangeRelevance.matters(old: old, new: new)
                case .deleted: true
                }
            }
            if relevant { wakeup.signal() }
        }
        await withDiscardingTaskGroup { group in
            group.addTask { try? await nodeWatcher.run() }
            group.addTask { try? await podWatcher.run() }
            group.addTask {
                try? await cancelWhenGracefulShutdown {
                    try await p.nodes.waitUntilSynced()
                    try await p.pods.waitUntilSynced()
                    logger.info("caches synced")
                    try await Leading.run(
                        leadership, activity: "planning", logger: logger,
                        // What an earlier term knew may be stale: another leader may have acted since.
                        onTerm: { p.startTerm() }
                    ) { try await loop() }
                }
            }
        }
    }

    private func loop() async throws {
        wakeup.signal()  // a fresh leader looks at everything once
        while !Task.isCancelled {
            let action = await partitioner.reconcile()
            try await wakeup.wait(upTo: action.requeueAfter, clock: partitioner.clock)
        }
    }
}

/// A level-triggered wake-up signal for one waiting loop: signals while nobody waits are kept
/// (as one), so a change that arrives during a step is never lost.
final class Wakeup: Sendable {
    private struct State {
        var isSignalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.isSignalled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (at once if one is pending) or after `timeout` of `clock`'s time.
    /// - Throws: `CancellationError`.
    func wait(upTo timeout: Duration?, clock: any KubeClock) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            if let timeout { group.addTask { try await clock.sleep(for: timeout) } }
            defer { group.cancelAll() }
            _ = try await group.next()
        }
        try Task.checkCancellation()
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.isSignalled {
                        s.isSignalled = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    s.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }?.resume()
        }
    }
}
