import Foundation
import KubeCore
import NIOCore

extension ResourceClient {
    /// Opens a watch from `resourceVersion` (`nil` or `""`: the server's current state, starting
    /// with synthetic ADDED events; `"0"`: any cached state).
    ///
    /// - Parameters:
    ///   - timeout: asks the server to end the stream cleanly after this long (`timeoutSeconds`).
    ///   - allowBookmarks: ask for BOOKMARK events, which advance the version without objects.
    /// - Returns: a stream that ends when the server closes it; reconnect from the last version seen.
    /// - Throws: ``KubeClientError/isGone`` (now or while iterating) when `resourceVersion` is older
    ///   than the server's history: list again.
    public func watch(
        from resourceVersion: String?,
        options: ListOptions = ListOptions(),
        timeout: Duration? = .seconds(290),
        allowBookmarks: Bool = true
    ) async throws -> WatchStream<R> {
        var query = options.queryItems
        query.append(.init("watch", "true"))
        if let resourceVersion, !resourceVersion.isEmpty { query.append(.init("resourceVersion", resourceVersion)) }
        if allowBookmarks { query.append(.init("allowWatchBookmarks", "true")) }
        if let timeout { query.append(.init("timeoutSeconds", String(Int(timeout.seconds.rounded(.up))))) }
        let deadline = timeout.map { $0 + .seconds(30) }
        let response = try await client.openStream(APIRequest(.get, Self.collectionPath(in: namespace), query: query, timeout: deadline))
        return WatchStream(body: response.body)
    }
}

/// The events of one watch connection, decoded one line at a time as they are pulled.
///
/// Lines may be split across chunks and chunks may hold many lines; nothing is read from the
/// connection before the consumer asks for the next event, so a slow consumer slows the server.
/// An `ERROR` line is thrown as ``KubeClientError/api(_:)``; a malformed line as ``KubeClientError/decoding(type:snippet:underlying:)``.
public struct WatchStream<R: Resource>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<R>
    let body: ByteChunks

    public init(body: ByteChunks) { self.body = body }

    public func makeAsyncIterator() -> Iterator { Iterator(chunks: body.makeAsyncIterator()) }

    public struct Iterator: AsyncIteratorProtocol {
        var chunks: ByteChunks.AsyncIterator
        var splitter = LineSplitter()
        var finished = false
        let decoder = KubeJSON.decoder()

        public mutating func next() async throws -> WatchEvent<R>? {
            while true {
                if let line = splitter.nextLine() {
                    if let event = try decode(line) { return event }
                    continue
                }
                if finished { return nil }
                let chunk: ByteBuffer?
                do { chunk = try await chunks.next() } catch let error as CancellationError { throw error } catch {
                    throw KubeClientError.transport(underlying: error)
                }
                if let chunk { splitter.append(chunk) } else {
                    finished = true
                    splitter.finish()
                }
            }
        }

        private func decode(_ line: ArraySlice<UInt8>) throws -> WatchEvent<R>? {
            guard line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { return nil }
            let wire: WireEvent<R>
            do { wire = try decoder.decode(WireEvent<R>.self, from: Data(line)) } catch {
                throw KubeClientError.decoding(type: "WatchEvent<\(R.kind)>", snippet: String(decoding: line.prefix(256), as: UTF8.self), underlying: error)
            }
            switch wire.payload {
            case .event(let event): return event
            case .error(let status): throw KubeClientError.api(status)
            case .unknown: return nil
            }
        }
    }
}

/// Splits a byte stream into `\n`-terminated lines without copying more than once.
struct LineSplitter {
    private var buffer: [UInt8] = []
    private var head = 0
    private var scanned = 0

    mutating func append(_ chunk: ByteBuffer) {
        if head > 0, head * 2 >= buffer.count {
            buffer.removeFirst(head)
            scanned -= head
            head = 0
        }
        buffer.append(contentsOf: chunk.readableBytesView)
    }

    /// Treats what is left as a final line.
    mutating func finish() {
        if head < buffer.count, buffer.last != 0x0A { buffer.append(0x0A) }
    }

    mutating func nextLine() -> ArraySlice<UInt8>? {
        var i = max(scanned, head)
        while i < buffer.count {
            if buffer[i] == 0x0A {
                let line = buffer[head..<i]
                head = i + 1
                scanned = head
                return line
            }
            i += 1
        }
        scanned = i
        return nil
    }
}

/// A watch line decoded in one pass: the `object` is typed by the line's `type`.
struct WireEvent<R: Resource>: Decodable {
    enum Payload {
        case event(WatchEvent<R>)
        case error(APIStatus)
        case unknown
    }

    let payload: Payload

    private enum CodingKeys: String, CodingKey { case type, object }
    private struct VersionOnly: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta?
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "ADDED": payload = .event(.added(try c.decode(R.self, forKey: .object)))
        case "MODIFIED": payload = .event(.modified(try c.decode(R.self, forKey: .object)))
        case "DELETED": payload = .event(.deleted(try c.decode(R.self, forKey: .object)))
        case "BOOKMARK":
            let version = try c.decode(VersionOnly.self, forKey: .object).metadata?.resourceVersion ?? ""
            payload = .event(.bookmark(resourceVersion: version))
        case "ERROR":
            var status = try c.decode(APIStatus.self, forKey: .object)
            if status.code == nil { status.code = 500 }
            payload = .error(status)
        default: payload = .unknown
        }
    }
}

extension WatchEvent where Object: Resource {
    /// The version this event brings the watch to.
    public var resourceVersion: String? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o): o.metadata.resourceVersion
        case .bookmark(let version): version
        }
    }
}
