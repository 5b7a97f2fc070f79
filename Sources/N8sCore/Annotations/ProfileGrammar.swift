/// Hand-written, anchored matchers for profile names and n8s annotation keys. They replace
/// `Regex` on hot paths (Swift `Regex` costs ~0.3 ms a match; a node has ~50 annotations).
enum ProfileGrammar {
    /// Parses `<g>g.<gb>gb` followed by an optional suffix made of `[.+-][a-z]+(\.[a-z]+)*`.
    /// - Returns: compute slices, memory GB and the suffix (e.g. `.me`, `+me.all`, `-me`), or `nil`.
    static func parse(_ text: Substring, allowPlus: Bool = true) -> (g: Int, gb: Int, suffix: Substring)? {
        var i = text.startIndex
        func digits() -> Int? {
            var v = 0
            var any = false
            while i < text.endIndex, let d = text[i].wholeNumberValue, text[i].isASCII, v < 100_000 {
                v = v * 10 + d
                any = true
                i = text.index(after: i)
            }
            return any ? v : nil
        }
        func literal(_ s: String) -> Bool {
            for c in s {
                guard i < text.endIndex, text[i] == c else { return false }
                i = text.index(after: i)
            }
            return true
        }
        guard let g = digits(), literal("g."), let gb = digits(), literal("gb") else { return nil }
        let suffix = text[i...]
        if suffix.isEmpty { return (g, gb, suffix) }
        guard let first = suffix.first, first == "." || first == "-" || (allowPlus && first == "+") else { return nil }
        let words = suffix.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        guard words.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isLowercase } }) else { return nil }
        return (g, gb, suffix)
    }

    /// A whole non-negative decimal number of at most `maxDigits` digits.
    static func count(_ text: Substring, maxDigits: Int = 4) -> Int? {
        guard !text.isEmpty, text.count <= maxDigits, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// Splits `n8s.nebuly.ai/<kind>-gpu-<index>-<rest>` for `kind` `status` or `spec`.
    static func gpuKey(_ key: String, kind: String) -> (gpu: Int, rest: Substring)? {
        let head = "n8s.nebuly.ai/\(kind)-gpu-"
        guard key.hasPrefix(head) else { return nil }
        let tail = key.dropFirst(head.count)
        guard let dash = tail.firstIndex(of: "-"), let gpu = count(tail[..<dash], maxDigits: 3) else { return nil }
        let rest = tail[tail.index(after: dash)...]
        return rest.isEmpty ? nil : (gpu, rest)
    }
}
