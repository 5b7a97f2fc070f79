import AsyncHTTPClient
import KubeCore
import Logging

extension KubeClient {
    /// Runs `body` with a client for `config` over a new `HTTPClient`, shut down afterwards.
    /// - Throws: ``KubeClientError/configuration(_:)`` for unusable TLS material; whatever `body` throws.
    public static func withHTTP<T: Sendable>(
        config: ClusterConfig,
        qps: Double? = 20,
        burst: Int = 30,
        retry: RetryPolicy = .default,
        clock: any KubeClock = SystemClock(),
        logger: Logger = Logger(label: "n8s.kube-client"),
        _ body: (KubeClient) async throws -> T
    ) async throws -> T {
        let http = try HTTPTransport.makeHTTPClient(for: config)
        let transport = HTTPTransport(config: config, httpClient: http, clock: clock)
        let client = KubeClient(transport: transport, defaultNamespace: config.namespace, qps: qps, burst: burst, retry: retry, clock: clock, logger: logger)
        do {
            let result = try await body(client)
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }
}
