/// Hand-written, anchored matchers for profile names and n8s annotation keys. They replace
/// `Regex` on hot paths (Swift `Regex` costs ~0.3 ms a match; a node has ~50 annotations).
enum ProfileGrammar {
    /// Parses `<g>g.<gb>gb` followed by an optional suffix made of `[.+-][a-z]+(\.[a-z]+)*`.
    /// Works on UTF-8 bytes: every accepted character is ASCII, so any other byte rejects.
    /// - Returns: compute slices, memory GB and the suffix (e.g. `.me`, `+me.all`, `-me`), or `nil`.
    /// - Complexity: O(length), no allocation.
    static func parse(_ text: Substring, allowPlus: Bool = true) -> (g: Int, gb: Int, suffix: Substring)? {
        let bytes = text.utf8
        var i = bytes.startIndex
        func digits() -> Int? {
            var v = 0
            var any = false
            while i < bytes.endIndex, case let b = bytes[i], b >= 0x30, b <= 0x39, v < 100_000 {
                v = v * 10 + Int(b - 0x30)
                any = true
                i = bytes.index(after: i)
            }
            return any ? v : nil
        }
        func literal(_ s: StaticString) -> Bool {
            for c in UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount) {
                guard i < bytes.endIndex, bytes[i] == c else { return false }
                i = bytes.index(after: i)
            }
            return true
        }
        guard let g = digits(), literal("g."), let gb = digits(), literal("gb") else { return nil }
        let suffix = text[i...]
        if i == bytes.endIndex { return (g, gb, suffix) }
        let first = bytes[i]
        guard first == 0x2E || first == 0x2D || (allowPlus && first == 0x2B) else { return nil }
        // Words of a-z separated by single dots, none empty.
        var wordLength = 0
        for b in bytes[bytes.index(after: i)...] {
            if b == 0x2E {
                guard wordLength > 0 else { return nil }
                wordLength = 0
            } else if b >= 0x61 && b <= 0x7A {
                wordLength += 1
            } else {
                return nil
            }
        }
        return wordLength > 0 ? (g, gb, suffix) : nil
    }

    /// A whole non-negative decimal number of at most `maxDigits` ASCII digits.
    static func count(_ text: Substring, maxDigits: Int = 4) -> Int? {
        let bytes = text.utf8
        guard !bytes.isEmpty, bytes.count <= maxDigits else { return nil }
        var v = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        return v
    }

    private static let statusHead = "n8s.nebuly.ai/status-gpu-"
    private static let specHead = "n8s.nebuly.ai/spec-gpu-"

    /// Splits `n8s.nebuly.ai/<kind>-gpu-<index>-<rest>` for `kind` `status` or `spec`.
    static func gpuKey(_ key: String, kind: String) -> (gpu: Int, rest: Substring)? {
        let head = kind == "status" ? statusHead : kind == "spec" ? specHead : "n8s.nebuly.ai/\(kind)-gpu-"
        guard key.hasPrefix(head) else { return nil }
        let tail = key.dropFirst(head.count)
        guard let dash = tail.firstIndex(of: "-"), let gpu = count(tail[..<dash], maxDigits: 3) else { return nil }
        let rest = tail[tail.index(after: dash)...]
        return rest.isEmpty ? nil : (gpu, rest)
    }
}
