import Hummingbird
import KubeCore
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Named readiness conditions, e.g. "pods cache synced". Liveness is the server answering at all.
///
/// Leadership is deliberately not a readiness condition: replicas that are not leader still serve
/// webhooks and must stay ready (leadership is the `n8s_leader_election_master_status` gauge).
public final class HealthChecks: Sendable {
    private let checks = Mutex<[(name: String, check: @Sendable () -> Bool)]>([])

    public init() {}

    public func addReadiness(_ name: String, _ check: @escaping @Sendable () -> Bool) {
        checks.withLock { $0.append((name, check)) }
    }

    /// The names of the readiness checks that fail now (empty: ready).
    public func failingReadiness() -> [String] {
        checks.withLock { $0 }.filter { !$0.check() }.map(\.name)
    }
}

/// Serves `/healthz` (200 while running), `/readyz` (200 when every readiness check passes,
/// else 503 naming the failing ones) and `/metrics` (Prometheus text format 0.0.4 from `registry`).
public struct HealthServer: Service {
    public let host: String
    public let port: Int
    public let checks: HealthChecks
    public let registry: PrometheusCollectorRegistry
    public var logger: Logger
    /// Called with the bound port once listening (useful with port 0).
    public var onListening: @Sendable (Int) async -> Void = { _ in }

    public init(host: String = "0.0.0.0", port: Int = 8081, checks: HealthChecks, registry: PrometheusCollectorRegistry, logger: Logger = Logger(label: "n8s.health")) {
        self.host = host
        self.port = port
        self.checks = checks
        self.registry = registry
        self.logger = logger
    }

    /// The routes, for tests without a socket.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { [checks] _, _ -> Response in
            let failing = checks.failingReadiness()
            let text = failing.isEmpty ? "ok\n" : failing.map { "not ready: \($0)\n" }.joined()
            return Response(
                status: failing.isEmpty ? .ok : .serviceUnavailable,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text))
            )
        }
        router.get("/metrics") { [registry] _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
        return router
    }

    public func run() async throws {
        let onListening = self.onListening
        let app = Application(
            router: router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "n8s"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.run()
    }
}
