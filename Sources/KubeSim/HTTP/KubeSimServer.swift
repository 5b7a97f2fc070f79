import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import KubeCore
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// Serves a ``KubeSim`` over HTTP or HTTPS on loopback, as kube-apiserver's REST API.
///
/// A swift-service-lifecycle `Service`: run it in the process's `ServiceGroup`; it stops on
/// graceful shutdown, ending open watches.
public struct KubeSimServer: Service {
    public let sim: KubeSim
    public let host: String
    /// `0` picks a free port; `onRunning` receives the bound one.
    public let port: Int
    /// Serve HTTPS with these certificates; `nil`: plain HTTP.
    public let tls: KubeSimTLS?
    /// Who may call; `nil`: everyone.
    public let authentication: KubeSimAuthentication?
    public let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    public init(
        sim: KubeSim,
        host: String = "127.0.0.1",
        port: Int = 0,
        tls: KubeSimTLS? = nil,
        authentication: KubeSimAuthentication? = nil,
        logger: Logger = Logger(label: "n8s.kubesim"),
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.sim = sim
        self.host = host
        self.port = port
        self.tls = tls
        self.authentication = authentication
        self.logger = logger
        self.onRunning = onRunning
    }

    /// - Throws: ``KubeSimTLSError/configuration(_:)`` when the TLS material cannot be loaded;
    ///   the server's error when the address cannot be bound.
    public func run() async throws {
        let responder = APIResponder(sim: sim, authentication: authentication, readsPeerCertificate: tls != nil)
        let onRunning = self.onRunning
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: try $0.serverConfiguration()) } ?? .http1()
        let app = Application(
            responder: CallbackResponder { (request: Request, context: KubeSimRequestContext) in
                await responder.respond(to: request, channel: context.channel)
            },
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "kubesim"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        // Open watches never end by themselves: end them, and refuse new ones, so that the
        // server's graceful shutdown (which waits for requests in flight) completes.
        try await withGracefulShutdownHandler {
            try await app.run()
        } onGracefulShutdown: {
            sim.stopServingWatches()
        }
    }
}

/// The request context: Hummingbird's, plus the connection, to read the client certificate.
struct KubeSimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

extension KubeSimTLS {
    /// The server side: certificate, key, and client-certificate checking against the CA.
    /// - Throws: ``KubeSimTLSError/configuration(_:)`` for PEM the TLS library rejects.
    func serverConfiguration() throws(KubeSimTLSError) -> TLSConfiguration {
        do {
            let chain = try NIOSSLCertificate.fromPEMBytes(Array(serverCertificatePEM.utf8)).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(bytes: Array(serverKeyPEM.utf8), format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caCertificatePEM.utf8)))
            configuration.certificateVerification = requiresClientCertificate ? .noHostnameVerification : .optionalVerification
            return configuration
        } catch {
            throw .configuration("\(error)")
        }
    }
}

extension KubeSim {
    /// Runs the HTTP server on `127.0.0.1` and a free port for the duration of `body`.
    ///
    /// - Parameters:
    ///   - tls: serve HTTPS with these certificates (`nil`: plain HTTP).
    ///   - authentication: who may call (`nil`: everyone).
    ///   - body: receives the server's base URL (`http(s)://127.0.0.1:<port>`).
    /// - Returns: what `body` returns; the server is stopped, and its watches closed, before.
    /// - Throws: what `body` throws; ``KubeSimTLSError`` for unusable TLS material.
    public func withServer<T: Sendable>(
        tls: KubeSimTLS? = nil,
        authentication: KubeSimAuthentication? = nil,
        _ body: @Sendable (URL) async throws -> T
    ) async throws -> T {
        if let tls { _ = try tls.serverConfiguration() }  // fail here, not in the server task
        var logger = Logger(label: "n8s.kubesim")
        logger.logLevel = .warning
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let server = KubeSimServer(sim: self, tls: tls, authentication: authentication, logger: logger) { port in
            portSink.yield(port)
            portSink.finish()
        }
        // Stopped by graceful shutdown, not cancellation: open watches are ended first and every
        // response in flight completes, so no connection is torn down mid-write.
        let services = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { portSink.finish() }
                try await services.run()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await group.next()  // the server's own error, e.g. a port in use
                throw CancellationError()
            }
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(URL(string: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)")!))
            } catch {
                outcome = .failure(error)
            }
            await services.triggerGracefulShutdown()
            // A request that never ends would hold the shutdown: give up waiting after 10 s.
            group.addTask {
                try await Task.sleep(for: .seconds(10))
                throw CancellationError()
            }
            _ = try? await group.next()
            group.cancelAll()
            while (try? await group.next()) != nil {}
            return try outcome.get()
        }
    }
}
