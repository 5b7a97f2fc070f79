import Foundation
import HTTPTypes
import HummingbirdCore
import KubeClient
import KubeCore
import NIOCore
import Synchronization

/// A ``Transport`` that serves each request in process with KubeSim's own HTTP handling: the
/// same routing, bodies, status codes, Tables, watches and admission webhooks as over HTTP,
/// without a socket. For runtime tests and benchmarks.
///
/// A watch body is handed over one chunk at a time (nothing is buffered beyond the chunk being
/// handed out); a client that stops reading ends the watch on the server.
public struct KubeSimTransport: Transport {
    public let sim: KubeSim
    /// Sent as `User-Agent`, so per-caller faults (``CallerMatch/userAgent(prefix:)``) can select this client.
    public var userAgent: String

    public init(sim: KubeSim, userAgent: String = "n8s-kubeclient/0.1") {
        self.sim = sim
        self.userAgent = userAgent
    }

    public func send(_ request: APIRequest) async throws -> APIResponse {
        let response = await APIResponder(sim: sim, isInProcess: true).respond(to: hummingbirdRequest(request))
        let collected = CollectedBody()
        try await response.body.write(Collector(body: collected))
        return APIResponse(statusCode: response.status.code, headers: Self.headers(response.headers), body: collected.data)
    }

    public func stream(_ request: APIRequest) async throws -> APIStreamingResponse {
        let response = await APIResponder(sim: sim, isInProcess: true).respond(to: hummingbirdRequest(request))
        let handoff = ChunkHandoff()
        let writing = Task {
            do { try await response.body.write(HandoffWriter(handoff: handoff)) } catch { handoff.finish() }
        }
        let reader = ReaderGone { writing.cancel() }
        let body = ByteChunks {
            { [reader] in
                withExtendedLifetime(reader) {}
                return try await handoff.next()
            }
        }
        return APIStreamingResponse(statusCode: response.status.code, headers: Self.headers(response.headers), body: body)
    }

    public func invalidateCredentials() {}

    func hummingbirdRequest(_ request: APIRequest) -> Request {
        var fields = HTTPFields()
        fields[.accept] = "application/json"
        fields[.userAgent] = userAgent
        if let contentType = request.contentType { fields[.contentType] = contentType }
        for (name, value) in request.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        let head = HTTPRequest(method: HTTPRequest.Method(rawValue: request.verb.rawValue) ?? .get, scheme: "http", authority: "kubesim",
                               path: request.pathAndQuery, headerFields: fields)
        return Request(head: head, body: RequestBody(buffer: ByteBuffer(data: request.body ?? Data())))
    }

    static func headers(_ fields: HTTPFields) -> [String: String] {
        var result: [String: String] = [:]
        for field in fields where result[field.name.canonicalName] == nil { result[field.name.canonicalName] = field.value }
        return result
    }
}

/// A whole response body, as ``Collector`` gathers it.
final class CollectedBody: Sendable {
    private let bytes = Mutex(Data())
    var data: Data { bytes.withLock { $0 } }
    func append(_ buffer: ByteBuffer) { bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) } }
}

/// Collects a whole response body.
struct Collector: ResponseBodyWriter {
    let body: CollectedBody
    mutating func write(_ buffer: ByteBuffer) async throws { body.append(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Writes a response body into a ``ChunkHandoff``.
struct HandoffWriter: ResponseBodyWriter {
    let handoff: ChunkHandoff
    mutating func write(_ buffer: ByteBuffer) async throws { try await handoff.write(buffer) }
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws { handoff.finish() }
}

/// Runs `onDeinit` when the last reference goes: the reader of a stream has dropped it.
final class ReaderGone: Sendable {
    let onDeinit: @Sendable () -> Void
    init(_ onDeinit: @escaping @Sendable () -> Void) { self.onDeinit = onDeinit }
    deinit { onDeinit() }
}

/// Hands chunks from one writer to one reader: a write waits until the reader took the chunk,
/// so at most one chunk is held.
final class ChunkHandoff: Sendable {
    private struct State {
        var chunk: ByteBuffer?
        var writer: CheckedContinuation<Void, any Error>?
        var reader: CheckedContinuation<ByteBuffer?, any Error>?
        var isFinished = false
    }

    private let state = Mutex(State())

    /// - Throws: `CancellationError` once the reader is gone (the stream ended).
    func write(_ buffer: ByteBuffer) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let action = state.withLock { s -> (CheckedContinuation<ByteBuffer?, any Error>?, Bool) in
                if s.isFinished { return (nil, false) }
                if let reader = s.reader {
                    s.reader = nil
                    return (reader, true)
                }
                s.chunk = buffer
                s.writer = continuation
                return (nil, true)
            }
            switch action {
            case (nil, false): continuation.resume(throwing: CancellationError())
            case (let reader?, _):
                reader.resume(returning: buffer)
                continuation.resume()
            case (nil, true): break
            }
        }
    }

    /// Ends the stream: the reader gets `nil` after the last chunk; a waiting writer is released.
    func finish() {
        let (reader, writer) = state.withLock { s -> (CheckedContinuation<ByteBuffer?, any Error>?, CheckedContinuation<Void, any Error>?) in
            s.isFinished = true
            defer { s.reader = nil; s.writer = nil }
            return (s.chunk == nil ? s.reader : nil, s.writer)
        }
        reader?.resume(returning: nil)
        writer?.resume(throwing: CancellationError())
    }

    /// The next chunk, `nil` at the end. Cancelling the reading task ends the stream.
    func next() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                let ready = state.withLock { s -> (ByteBuffer?, CheckedContinuation<Void, any Error>?, Bool) in
                    if let chunk = s.chunk {
                        s.chunk = nil
                        defer { s.writer = nil }
                        return (chunk, s.writer, true)
                    }
                    if s.isFinished || Task.isCancelled { return (nil, nil, true) }
                    s.reader = continuation
                    return (nil, nil, false)
                }
                if ready.2 {
                    ready.1?.resume()
                    continuation.resume(returning: ready.0)
                }
            }
        } onCancel: {
            finish()
        }
    }
}
