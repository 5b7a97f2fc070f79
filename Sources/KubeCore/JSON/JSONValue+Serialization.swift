extension JSONValue {
    /// Compact JSON text (RFC 8259) with object members sorted by key, so equal values always
    /// serialize to equal bytes. Faster than `JSONEncoder` for the server's hot paths (watch
    /// fan-out writes every change once per watcher).
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return out
    }

    /// Appends this value's JSON text to `out`.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [110, 117, 108, 108])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite { out.append(contentsOf: String(d).utf8) } else { out.append(contentsOf: [110, 117, 108, 108]) }
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let a):
            out.append(91)
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(44) }
                v.write(into: &out)
            }
            out.append(93)
        case .object(let o):
            out.append(123)
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(44) }
                Self.writeString(key, into: &out)
                out.append(58)
                o[key]!.write(into: &out)
            }
            out.append(125)
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(34)
        for byte in s.utf8 {
            switch byte {
            case 34: out.append(contentsOf: [92, 34])
            case 92: out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(34)
    }
}
