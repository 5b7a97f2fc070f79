/// Why a simulation input or step failed. Every case names what was wrong and where, so a user
/// can fix a scenario file or a trace without reading code.
public enum SimulationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A scenario field is missing, unknown or invalid. `field` is a path such as `pods[2].duration`.
    case invalidField(field: String, reason: String)
    /// The scenario text is not YAML, or not a mapping at the top.
    case malformedScenario(String)
    /// A trace CSV cell or row is unusable. `line` is 1-based, counting the header.
    case invalidTrace(file: String, line: Int, column: String?, reason: String)
    /// A scheduler extender answered with an error, failed to answer, or answered something unreadable.
    case extender(url: String, reason: String)
    /// A report or result file could not be written or read.
    case output(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidField(let field, let reason): "\(field): \(reason)"
        case .malformedScenario(let reason): "scenario: \(reason)"
        case .invalidTrace(let file, let line, let column, let reason):
            "\(file) line \(line)\(column.map { ", column \($0)" } ?? ""): \(reason)"
        case .extender(let url, let reason): "extender \(url): \(reason)"
        case .output(let path, let reason): "\(path): \(reason)"
        }
    }

    /// `true` for errors in user input (scenario or trace), as opposed to run-time failures.
    public var isInputError: Bool {
        switch self {
        case .invalidField, .malformedScenario, .invalidTrace: true
        case .extender, .output: false
        }
    }
}
