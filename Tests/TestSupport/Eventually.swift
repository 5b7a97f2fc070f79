import KubeCore

/// Polls `condition` until it holds or `timeout` of real time passes (then returns `false`).
/// Between polls it yields and pauses `every`, so other tasks progress; it never waits on a
/// fixed sleep. Shared by the test targets so there is one bounded wait.
public func eventually(
    timeout: Duration = .seconds(30),
    every pause: Duration = .microseconds(200),
    _ condition: @Sendable () async -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        await Task.yield()
        try? await Task.sleep(for: pause)
    }
    return await condition()
}

/// Runs `body` while moving `clock` forward by `step` whenever something sleeps on it.
public func driving<T: Sendable>(_ clock: ManualClock, step: Duration = .milliseconds(100), _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            while !Task.isCancelled {
                if clock.sleeperCount > 0 { clock.advance(by: step) }
                await Task.yield()
                try? await Task.sleep(for: .microseconds(100))
            }
            return nil
        }
        defer { group.cancelAll() }
        while let result = try await group.next() { if let result { return result } }
        fatalError("unreachable")
    }
}
