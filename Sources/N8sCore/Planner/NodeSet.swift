/// A set of node positions `0..<capacity` that finds the next member in order quickly: a bit per
/// node plus a summary bit per 64-node word, so a search skips 4,096 absent nodes per step.
///
/// - Complexity: `insert`, `remove` and `contains` O(1); `first(from:)` O(1 + capacity / 4096).
struct NodeSet: Sendable {
    private var words: [UInt64]
    /// Bit `w` set when `words[w]` is not zero.
    private var summary: [UInt64]
    private(set) var count = 0

    init(capacity: Int) {
        words = [UInt64](repeating: 0, count: (max(0, capacity) + 63) / 64)
        summary = [UInt64](repeating: 0, count: (words.count + 63) / 64)
    }

    var isEmpty: Bool { count == 0 }

    func contains(_ i: Int) -> Bool { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }

    mutating func insert(_ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[w] & bit == 0 else { return }
        words[w] |= bit
        summary[w >> 6] |= 1 << UInt64(w & 63)
        count += 1
    }

    mutating func remove(_ i: Int) {
        let w = i >> 6
        let bit: UInt64 = 1 << UInt64(i & 63)
        guard words[w] & bit != 0 else { return }
        words[w] &= ~bit
        if words[w] == 0 { summary[w >> 6] &= ~(1 << UInt64(w & 63)) }
        count -= 1
    }

    /// The smallest member `>= i`, or `nil`.
    func first(from i: Int) -> Int? {
        guard i >= 0 else { return first(from: 0) }
        var w = i >> 6
        guard w < words.count else { return nil }
        let here = words[w] & (~UInt64(0) << UInt64(i & 63))
        if here != 0 { return w << 6 | here.trailingZeroBitCount }
        w += 1
        var s = w >> 6
        guard s < summary.count else { return nil }
        var bits = summary[s] & (~UInt64(0) << UInt64(w & 63))
        while bits == 0 {
            s += 1
            guard s < summary.count else { return nil }
            bits = summary[s]
        }
        let word = s << 6 | bits.trailingZeroBitCount
        return word << 6 | words[word].trailingZeroBitCount
    }
}
