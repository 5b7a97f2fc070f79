import Foundation
import NIOCore

/// HTTP verbs the API server uses.
public enum HTTPVerb: String, Sendable, Hashable {
    case get = "GET", post = "POST", put = "PUT", patch = "PATCH", delete = "DELETE"

    /// Safe to send twice: a 5xx or a reset connection is retried only for these.
    public var isIdempotent: Bool { self == .get || self == .put || self == .delete }
}

/// One request to the API server, relative to the server's base URL.
public struct APIRequest: Sendable, Hashable {
    public var verb: HTTPVerb
    /// Absolute path, e.g. `/api/v1/namespaces/default/pods/web-0`.
    public var path: String
    /// Query parameters, in order, unescaped.
    public var query: [QueryItem]
    /// Extra headers (`Content-Type` is set from ``contentType``).
    public var headers: [String: String]
    public var body: Data?
    /// MIME type of ``body``, e.g. `application/merge-patch+json`.
    public var contentType: String?
    /// Whole-request deadline; `nil`: the transport's default.
    public var timeout: Duration?

    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(
        _ verb: HTTPVerb,
        _ path: String,
        query: [QueryItem] = [],
        body: Data? = nil,
        contentType: String? = nil,
        headers: [String: String] = [:],
        timeout: Duration? = nil
    ) {
        self.verb = verb
        self.path = path
        self.query = query
        self.body = body
        self.contentType = contentType
        self.headers = headers
        self.timeout = timeout
    }

    /// The first value of query parameter `name`.
    public func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }

    /// `path?query`, percent-encoded.
    public var pathAndQuery: String {
        guard !query.isEmpty else { return path }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,;/?:@")
        let encoded = query.map { item in
            let n = item.name.addingPercentEncoding(withAllowedCharacters: allowed) ?? item.name
            let v = item.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? item.value
            return "\(n)=\(v)"
        }
        return path + "?" + encoded.joined(separator: "&")
    }
}

/// A complete answer.
public struct APIResponse: Sendable {
    public var statusCode: Int
    /// Header values by lower-case name.
    public var headers: [String: String]
    public var body: Data

    public init(statusCode: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }
}

/// An answer whose body arrives in chunks, for watches; the body is read only as fast as it is consumed.
public struct APIStreamingResponse: Sendable {
    public var statusCode: Int
    public var headers: [String: String]
    public var body: ByteChunks

    public init(statusCode: Int, headers: [String: String] = [:], body: ByteChunks) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }
}

/// Moves ``APIRequest``s to an API server. ``HTTPTransport`` speaks HTTP via AsyncHTTPClient;
/// tests and simulations can answer in process.
///
/// Transports do not retry, rate-limit or interpret status codes: ``KubeClient`` does.
public protocol Transport: Sendable {
    /// - Throws: any error when no answer arrived (the client wraps it in ``KubeClientError/transport(underlying:)``).
    func send(_ request: APIRequest) async throws -> APIResponse
    /// Sends `request` and returns as soon as the status line and headers arrived.
    func stream(_ request: APIRequest) async throws -> APIStreamingResponse
    /// Called after a 401: drop cached tokens so the next request fetches fresh ones.
    func invalidateCredentials()
}

/// A pull-based sequence of body chunks. Nothing is buffered beyond the chunk being handed out,
/// so a slow consumer slows the server's writes down (TCP backpressure).
public struct ByteChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    private let makeNext: @Sendable () -> (() async throws -> ByteBuffer?)

    /// - Parameter makeNext: called once per iteration; returns the function that yields the next chunk, `nil` at the end.
    public init(_ makeNext: @escaping @Sendable () -> (() async throws -> ByteBuffer?)) { self.makeNext = makeNext }

    /// Wraps any sendable sequence of byte buffers.
    public init<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == ByteBuffer {
        self.makeNext = {
            var iterator = sequence.makeAsyncIterator()
            return { try await iterator.next() }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pull: () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await pull() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pull: makeNext()) }
}
