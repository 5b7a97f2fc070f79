import Foundation
import KubeCore
import Synchronization

/// Produces the `Authorization` header for each request, caching tokens from files and plugins.
///
/// Token files are re-read when a minute has passed (kubelet rotates projected tokens well before
/// they expire) and after a 401; plugin credentials are reused until their `expirationTimestamp`
/// or a 401.
public final class CredentialSource: Sendable {
    public let credentials: Credentials
    private let clock: any KubeClock
    private let server: URL
    private let cache = Mutex<(value: String, expires: Date)?>(nil)
    static let fileRefresh: TimeInterval = 60

    public init(_ credentials: Credentials, server: URL, clock: any KubeClock = SystemClock()) {
        self.credentials = credentials
        self.server = server
        self.clock = clock
    }

    /// Drops cached credentials; the next ``authorization()`` re-reads or re-runs. Call after a 401.
    public func invalidate() { cache.withLock { $0 = nil } }

    /// The header value (`Bearer …` or `Basic …`), or `nil` for anonymous requests.
    /// - Throws: ``KubeClientError/credentials(_:)`` when the file is unreadable or the plugin fails.
    public func authorization() async throws(KubeClientError) -> String? {
        switch credentials {
        case .none: return nil
        case .token(let token): return "Bearer \(token)"
        case .basic(let user, let password): return "Basic \(Data("\(user):\(password)".utf8).base64EncodedString())"
        case .tokenFile(let path):
            if let hit = cached() { return hit }
            let token: String
            do { token = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
                throw .credentials("cannot read token file \(path): \(error)")
            }
            store("Bearer \(token)", for: Self.fileRefresh)
            return "Bearer \(token)"
        case .exec(let config):
            if let hit = cached() { return hit }
            let credential = try await ExecPlugin.run(config, server: server)
            guard let token = credential.status?.token else {
                throw .credentials("plugin \(config.command) returned no token (client certificates from plugins are not supported)")
            }
            let lifetime = credential.status?.expirationTimestamp.map { $0.timeIntervalSince(clock.now) } ?? .infinity
            store("Bearer \(token)", for: lifetime)
            return "Bearer \(token)"
        }
    }

    private func cached() -> String? {
        let now = clock.now
        return cache.withLock { entry in
            guard let entry, entry.expires > now else { return nil }
            return entry.value
        }
    }

    private func store(_ value: String, for lifetime: TimeInterval) {
        let expires = lifetime.isFinite ? clock.now.addingTimeInterval(lifetime) : .distantFuture
        cache.withLock { $0 = (value, expires) }
    }
}
