import KubeRuntime
import Logging

/// The leader-only part of a controller: runs `loop` while this replica holds the lease, stops it
/// when the lease is lost and starts it again when it is regained. Without a ``Leadership`` the
/// loop always runs (single-replica use and tests).
enum Leading {
    /// - Parameter activity: what the loop does, for the log (`planning`, `quota controllers`).
    /// - Throws: `CancellationError`, or what `loop` throws when there is no ``Leadership``.
    static func run(_ leadership: Leadership?, activity: String, logger: Logger, _ loop: @escaping @Sendable () async throws -> Void) async throws {
        guard let leadership else { return try await loop() }
        while !Task.isCancelled {
            try await leadership.waitUntilLeading()
            logger.info("leading: \(activity)")
            await leadership.whileLeading { try? await loop() }
            logger.info("not leading: \(activity) stopped")
        }
    }
}
