import KubeCore
import Synchronization

/// Whether this process currently leads. Written by one ``LeaderElection``; read by controllers
/// without `await`, and awaited when they wait for a change.
public final class Leadership: Sendable {
    private struct State {
        var isLeading = false
        var waiters: [UInt64: (leading: Bool, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    public var isLeading: Bool { state.withLock { $0.isLeading } }

    /// Sets the state and wakes those waiting for it.
    public func set(leading: Bool) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.isLeading = leading
            let due = s.waiters.filter { $0.value.leading == leading }
            for id in due.keys { s.waiters[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns once this process leads. - Throws: `CancellationError`.
    public func waitUntilLeading() async throws { try await wait(until: true) }

    /// Returns once this process no longer leads. - Throws: `CancellationError`.
    public func waitUntilNotLeading() async throws { try await wait(until: false) }

    /// Runs `body` and cancels it as soon as leadership is lost; returns when `body` returns.
    public func whileLeading(_ body: @escaping @Sendable () async -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await body() }
            group.addTask { try? await self.waitUntilNotLeading() }
            await group.next()
            group.cancelAll()
        }
    }

    private func wait(until leading: Bool) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.isLeading == leading || Task.isCancelled { return true }
                    s.waiters[id] = (leading, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
        try Task.checkCancellation()
    }
}
