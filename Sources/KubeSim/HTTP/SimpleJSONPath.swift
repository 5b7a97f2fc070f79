import KubeCore

/// The JSONPath subset of CustomResourceDefinition printer columns: `.a.b`, `\.` inside a key
/// (`.spec.min.nvidia\.com/gpu`), `['key']`, `["key"]` and `[index]`.
enum SimpleJSONPath {
    enum Step: Hashable { case key(String), index(Int) }

    /// The steps of `path`; `nil` for syntax outside the subset.
    static func parse(_ path: String) -> [Step]? {
        var steps: [Step] = []
        var chars = Substring(path.hasPrefix("{") && path.hasSuffix("}") ? String(path.dropFirst().dropLast()) : path)
        while let first = chars.first {
            if first == "." {
                chars = chars.dropFirst()
                var key = ""
                while let c = chars.first, c != ".", c != "[" {
                    if c == "\\", chars.count > 1 {
                        chars = chars.dropFirst()
                        key.append(chars.first!)
                    } else {
                        key.append(c)
                    }
                    chars = chars.dropFirst()
                }
                guard !key.isEmpty else { return nil }
                steps.append(.key(key))
            } else if first == "[" {
                guard let close = chars.firstIndex(of: "]") else { return nil }
                let inner = chars[chars.index(after: chars.startIndex)..<close]
                chars = chars[chars.index(after: close)...]
                if let quote = inner.first, quote == "'" || quote == "\"", inner.count >= 2, inner.last == quote {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else if let index = Int(inner) {
                    steps.append(.index(index))
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        return steps
    }

    /// The value at `path` in `value`, or `nil` when any step is missing.
    static func evaluate(_ path: String, in value: JSONValue) -> JSONValue? {
        guard let steps = parse(path) else { return nil }
        var current = value
        for step in steps {
            switch step {
            case .key(let key):
                guard let next = current[key] else { return nil }
                current = next
            case .index(let i):
                guard let items = current.arrayValue else { return nil }
                let index = i < 0 ? items.count + i : i
                guard items.indices.contains(index) else { return nil }
                current = items[index]
            }
        }
        return current
    }
}
