import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore
import NIOHTTP1
import NIOSSL

/// The production ``Transport``: AsyncHTTPClient over HTTP/1.1 or HTTP/2 with the cluster's TLS
/// settings and credentials.
///
/// A 401 answer makes the next request re-read the token file or re-run the plugin
/// (``CredentialSource/invalidate()``); the client then retries once.
public struct HTTPTransport: Transport {
    public let server: URL
    public let httpClient: HTTPClient
    public let credentials: CredentialSource
    /// Deadline of non-watch requests.
    public var requestTimeout: Duration = .seconds(60)
    /// The longest body a non-watch answer may have (a 10,000-pod list is about 40 MiB).
    public var maxBodyBytes = 256 << 20
    public var userAgent = "n8s-kubeclient/0.1"

    /// - Parameter httpClient: a client whose TLS configuration matches `config` (see ``makeHTTPClient(for:)``);
    ///   the caller owns it and shuts it down.
    public init(config: ClusterConfig, httpClient: HTTPClient, clock: any KubeClock = SystemClock()) {
        self.server = config.server
        self.httpClient = httpClient
        self.credentials = CredentialSource(config.credentials, server: config.server, clock: clock)
    }

    /// An `HTTPClient` with `config`'s CA, client certificate and verification mode.
    /// Shut it down (`try await client.shutdown()`) when done.
    /// - Throws: ``KubeClientError/configuration(_:)`` when a PEM block cannot be parsed.
    public static func makeHTTPClient(for config: ClusterConfig) throws(KubeClientError) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        do {
            if let ca = config.certificateAuthorityPEM {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca)))
            }
            if let cert = config.clientCertificatePEM, let key = config.clientKeyPEM {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(cert)).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key), format: .pem))
            }
        } catch {
            throw .configuration("TLS material is not valid PEM: \(error)")
        }
        if config.insecureSkipTLSVerify { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout.connect = .seconds(10)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func send(_ request: APIRequest) async throws -> APIResponse {
        let deadline = NIODeadline.now() + TimeAmount(request.timeout ?? requestTimeout)
        let response = try await httpClient.execute(try await prepare(request), deadline: deadline)
        let body = try await response.body.collect(upTo: maxBodyBytes)
        return APIResponse(statusCode: Int(response.status.code), headers: Self.headers(response.headers), body: Data(body.readableBytesView))
    }

    public func stream(_ request: APIRequest) async throws -> APIStreamingResponse {
        // Watches end on the server's `timeoutSeconds`; the deadline only guards against a silent peer.
        let deadline = NIODeadline.now() + TimeAmount(request.timeout ?? .seconds(3600))
        let response = try await httpClient.execute(try await prepare(request), deadline: deadline)
        return APIStreamingResponse(
            statusCode: Int(response.status.code),
            headers: Self.headers(response.headers),
            body: ByteChunks(response.body)
        )
    }

    private func prepare(_ request: APIRequest) async throws -> HTTPClientRequest {
        var http = HTTPClientRequest(url: server.absoluteString + request.pathAndQuery)
        http.method = HTTPMethod(rawValue: request.verb.rawValue)
        http.headers.add(name: "Accept", value: "application/json")
        http.headers.add(name: "User-Agent", value: userAgent)
        if let authorization = try await credentials.authorization() {
            http.headers.add(name: "Authorization", value: authorization)
        }
        if let contentType = request.contentType { http.headers.add(name: "Content-Type", value: contentType) }
        for (name, value) in request.headers { http.headers.replaceOrAdd(name: name, value: value) }
        if let body = request.body { http.body = .bytes(ByteBuffer(bytes: body)) }
        return http
    }

    private static func headers(_ headers: HTTPHeaders) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in headers where result[name.lowercased()] == nil { result[name.lowercased()] = value }
        return result
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
