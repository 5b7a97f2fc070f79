import Foundation
import Hummingbird
import KubeCore
import Logging
import NIOCore
import ServiceLifecycle

/// Serves a ``KubeSim`` over HTTP on loopback, as kube-apiserver's REST API.
///
/// A swift-service-lifecycle `Service`: run it in the process's `ServiceGroup`; it stops on
/// graceful shutdown, ending open watches.
public struct KubeSimServer: Service {
    public let sim: KubeSim
    public let host: String
    /// `0` picks a free port; `onRunning` receives the bound one.
    public let port: Int
    public let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    public init(sim: KubeSim, host: String = "127.0.0.1", port: Int = 0, logger: Logger = Logger(label: "n8s.kubesim"),
                onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
    {
        self.sim = sim
        self.host = host
        self.port = port
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let responder = APIResponder(sim: sim)
        let onRunning = self.onRunning
        let app = Application(
            responder: CallbackResponder { (request: Request, context: BasicRequestContext) in
                await responder.respond(to: request)
            },
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "kubesim"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.runService(gracefulShutdownSignals: [])
    }
}

extension KubeSim {
    /// Runs the HTTP server on `127.0.0.1` and a free port for the duration of `body`.
    ///
    /// - Parameter body: receives the server's base URL (`http://127.0.0.1:<port>`).
    /// - Returns: what `body` returns; the server is stopped, and its watches closed, before.
    public func withServer<T: Sendable>(_ body: @Sendable (URL) async throws -> T) async throws -> T {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await KubeSimServer(sim: self, logger: Logger(label: "n8s.kubesim")) { port in
                    portSink.yield(port)
                    portSink.finish()
                }.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            let result = try await body(URL(string: "http://127.0.0.1:\(port)")!)
            dropWatches()
            group.cancelAll()
            while let next = try? await group.next() { if next == nil { break } }
            return result
        }
    }
}
