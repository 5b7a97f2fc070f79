import Foundation
import KubeCore

/// Go-style duration text, as Kubernetes configuration writes it (`metav1.Duration`):
/// a sequence of decimal numbers with units `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, e.g. `90s`,
/// `1h30m`, `1.5h`, `250ms`. A lone `0` is zero. Negative durations are refused.
public enum DurationText {
    /// - Returns: the duration, or `nil` when `text` is not a non-negative Go duration.
    public static func parse(_ text: String) -> Duration? {
        let s = text.trimmingCharacters(in: .whitespaces)
        if s == "0" { return .zero }
        guard !s.isEmpty else { return nil }
        var total = 0.0
        var rest = Substring(s)
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += value * scale
        }
        guard total.isFinite, total < 1e12 else { return nil }
        return .nanoseconds(Int64((total * 1e9).rounded()))
    }

    /// Short text of `duration`: `1h2m3s`, `2m`, `1.5s`, `250ms`, `0s`.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.seconds
        if seconds == 0 { return "0s" }
        if abs(seconds) < 1 { return "\(trimmed(seconds * 1000))ms" }
        var rest = seconds
        var out = ""
        let hours = (rest / 3600).rounded(.towardZero)
        if hours >= 1 { out += "\(Int(hours))h"; rest -= hours * 3600 }
        let minutes = (rest / 60).rounded(.towardZero)
        if minutes >= 1 { out += "\(Int(minutes))m"; rest -= minutes * 60 }
        if rest > 0.0005 { out += "\(trimmed(rest))s" }
        return out
    }

    private static func trimmed(_ value: Double) -> String {
        let r = (value * 1000).rounded() / 1000
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
