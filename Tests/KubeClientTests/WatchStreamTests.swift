import Foundation
import KubeCore
import NIOCore
import Testing

@testable import KubeClient

@Suite("WatchStream")
struct WatchStreamTests {
    static func chunks(_ parts: [String]) -> ByteChunks {
        let buffers = parts.map { ByteBuffer(string: $0) }
        return ByteChunks {
            var index = 0
            return {
                defer { index += 1 }
                return index < buffers.count ? buffers[index] : nil
            }
        }
    }

    static func line(_ type: String, _ name: String, _ rv: String) -> String {
        #"{"type":"\#(type)","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"ns","resourceVersion":"\#(rv)"}}}"# + "\n"
    }

    @Test("decodes events whose lines are split across chunks and packed several per chunk")
    func splitLines() async throws {
        let text = Self.line("ADDED", "a", "1") + Self.line("MODIFIED", "a", "2") + "\n" + Self.line("DELETED", "a", "3")
            + #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"9"}}}"#
        let bytes = Array(text.utf8)
        for size in [1, 7, 64, bytes.count] {
            let parts = stride(from: 0, to: bytes.count, by: size).map { String(decoding: bytes[$0..<min($0 + size, bytes.count)], as: UTF8.self) }
            var seen: [String] = []
            for try await event in WatchStream<ConfigMap>(body: Self.chunks(parts)) {
                switch event {
                case .added(let o): seen.append("added \(o.name)@\(o.metadata.resourceVersion ?? "")")
                case .modified(let o): seen.append("modified \(o.name)@\(o.metadata.resourceVersion ?? "")")
                case .deleted(let o): seen.append("deleted \(o.name)@\(o.metadata.resourceVersion ?? "")")
                case .bookmark(let rv): seen.append("bookmark \(rv)")
                }
            }
            #expect(seen == ["added a@1", "modified a@2", "deleted a@3", "bookmark 9"], "chunk size \(size)")
        }
    }

    @Test("an ERROR line is thrown as an API error; 410 reads as gone")
    func errorEvent() async throws {
        let text = Self.line("ADDED", "a", "1") + #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","code":410,"reason":"Expired","message":"too old"}}"# + "\n"
        var iterator = WatchStream<ConfigMap>(body: Self.chunks([text])).makeAsyncIterator()
        _ = try await iterator.next()
        await #expect { try await iterator.next() } throws: { ($0 as? KubeClientError)?.isGone == true }
    }

    @Test("a malformed line is a decoding error with a snippet")
    func malformed() async throws {
        var iterator = WatchStream<ConfigMap>(body: Self.chunks(["{not json}\n"])).makeAsyncIterator()
        await #expect {
            try await iterator.next()
        } throws: { error in
            guard case .decoding(_, let snippet, _) = error as? KubeClientError else { return false }
            return snippet == "{not json}"
        }
    }

    @Test("nothing is read from the body before the consumer asks")
    func pullBased() async throws {
        let pulls = PullCounter()
        let body = ByteChunks {
            { [pulls] in
                let n = pulls.increment()
                return n <= 100 ? ByteBuffer(string: Self.line("ADDED", "o\(n)", "\(n)")) : nil
            }
        }
        var iterator = WatchStream<ConfigMap>(body: body).makeAsyncIterator()
        #expect(pulls.value == 0)
        _ = try await iterator.next()
        _ = try await iterator.next()
        #expect(pulls.value == 2)
    }
}

final class PullCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
}

import Synchronization
