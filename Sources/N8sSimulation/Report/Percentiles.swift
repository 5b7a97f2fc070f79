/// Order statistics of a sample.
public enum Percentiles {
    /// The `p`-quantile (0...1) of `values` by linear interpolation between closest ranks
    /// (Hyndman & Fan type 7, the default of R, NumPy and spreadsheets): with the values sorted
    /// ascending as `x[0...n-1]`, `h = (n − 1)·p`, result `x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`.
    /// - Returns: `nil` for an empty sample; `p` is clamped to 0...1.
    public static func value(_ p: Double, of values: [Double]) -> Double? {
        value(p, ofSorted: values.sorted())
    }

    /// As ``value(_:of:)`` for values already sorted ascending.
    public static func value(_ p: Double, ofSorted x: [Double]) -> Double? {
        guard !x.isEmpty else { return nil }
        let h = Double(x.count - 1) * min(max(p, 0), 1)
        let lo = Int(h.rounded(.down))
        let hi = min(lo + 1, x.count - 1)
        return x[lo] + (h - Double(lo)) * (x[hi] - x[lo])
    }

    /// Arithmetic mean; `nil` for an empty sample.
    public static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }
}
