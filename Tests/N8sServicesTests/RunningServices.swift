import ServiceLifecycle
import Testing

/// Runs `services` in one `ServiceGroup` for the duration of `body` (which gets the first value
/// `ready` yields, e.g. a server's port), then shuts them down gracefully, also when `body` throws.
func withRunning<T: Sendable>(
    _ services: [any Service], ready: AsyncStream<T>, _ body: @Sendable (T) async throws -> Void
) async throws {
    let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) }, gracefulShutdownSignals: [], logger: quietLogger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ready.makeAsyncIterator()
        guard let value = await iterator.next() else {
            Issue.record("the services ended before they were ready")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return
        }
        do { try await body(value) } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}
