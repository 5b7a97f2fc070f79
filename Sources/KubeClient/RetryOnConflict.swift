import KubeCore

/// Runs a read-modify-write `body` again while it fails with a conflict (409), as client-go's
/// `retry.RetryOnConflict`: up to `attempts` tries with `backoff` between them (10 ms, ×1, like
/// client-go's `DefaultRetry`, unless given). `body` must re-read the object each time.
///
/// - Returns: `body`'s result.
/// - Throws: the last conflict after `attempts` tries, or any other error at once.
public func retryOnConflict<T: Sendable>(
    attempts: Int = 5,
    backoff: Backoff = Backoff(initial: .milliseconds(10), maximum: .milliseconds(10), factor: 1),
    clock: any KubeClock = SystemClock(),
    _ body: () async throws -> T
) async throws -> T {
    precondition(attempts >= 1, "attempts must be at least 1")
    var backoff = backoff
    var attempt = 1
    while true {
        do { return try await body() } catch let error as KubeClientError where error.isConflict && attempt < attempts {
            attempt += 1
            try await clock.sleep(for: backoff.next())
        }
    }
}
