import KubeCore
import Testing

@Suite("Quantity")
struct QuantityTests {
    static let unit: Int128 = 1_000_000_000

    @Test("parses every suffix to exact nano-units", arguments: [
        ("1", unit), ("250m", 250_000_000), ("1n", 1), ("1u", 1_000), ("2k", 2_000 * unit), ("1Ki", 1024 * unit),
        ("1Mi", 1_048_576 * unit), ("1Ei", 1_152_921_504_606_846_976 * unit), ("1.5", 1_500_000_000), ("-2", -2 * unit),
        ("+3", 3 * unit), (".5", 500_000_000), ("5.", 5 * unit), ("1e3", 1_000 * unit), ("1E-3", 1_000_000), ("0.1n", 1),
    ] as [(String, Int128)])
    func parses(text: String, nanos: Int128) throws {
        #expect(try Quantity(parsing: text).nanos == nanos)
    }

    @Test("compares by value, not by spelling")
    func equality() throws {
        #expect(try Quantity(parsing: "1Gi") == Quantity(parsing: "1024Mi"))
        #expect(try Quantity(parsing: "1") == Quantity(parsing: "1000m"))
        #expect(try Quantity(parsing: "1k") == Quantity(parsing: "1e3"))
        #expect(try Quantity(parsing: "100m") < Quantity(parsing: "1"))
        #expect(try Quantity(parsing: "1G") < Quantity(parsing: "1Gi"))
        #expect(Set([Quantity("1Gi"), Quantity("1024Mi")]).count == 1)
    }

    @Test("prints the canonical form kube-apiserver writes", arguments: [
        ("1.5Gi", "1536Mi"), ("2048Mi", "2Gi"), ("1024", "1024"), ("0.5Ki", "512"), ("1.5Ki", "1536"), ("2000m", "2"),
        ("0.5", "500m"), ("1500", "1500"), ("15000", "15k"), ("1e3", "1e3"), ("1500e-3", "1500e-3"), ("0", "0"), ("-1Gi", "-1Gi"),
        ("100m", "100m"), ("1Ti", "1Ti"), ("1000Ki", "1000Ki"), ("32", "32"), ("0.000001", "1u"), ("12e6", "12e6"),
    ])
    func canonical(text: String, printed: String) throws {
        #expect(try Quantity(parsing: text).description == printed)
    }

    @Test("rejects text that is not a quantity, naming it", arguments: ["", "abc", "1.2.3", "--1", "1Gb", "1 Gi x", "e3", "1e", "Mi"])
    func malformed(text: String) {
        #expect(throws: QuantityError.malformed(text)) { try Quantity(parsing: text) }
    }

    @Test("reports amounts beyond Int128 as out of range")
    func outOfRange() {
        #expect(throws: QuantityError.self) { try Quantity(parsing: "1e100") }
        #expect(throws: QuantityError.self) { try Quantity(parsing: "999999999999999999999999999999999999999999") }
    }

    @Test("rounds values and milli-values up, as the kubelet does")
    func rounding() throws {
        #expect(try Quantity(parsing: "1500m").value == 2)
        #expect(try Quantity(parsing: "0.1m").milliValue == 1)
        #expect(try Quantity(parsing: "2").milliValue == 2000)
    }

    @Test("adds and subtracts exactly, keeping the left notation")
    func arithmetic() throws {
        var q = try Quantity(parsing: "1Gi")
        q += try Quantity(parsing: "512Mi")
        #expect(q.description == "1536Mi")
        q -= try Quantity(parsing: "1536Mi")
        #expect(q.isZero)
        #expect((Quantity(milli: 300) * 3).description == "900m")
    }

    @Test("decodes JSON strings and numbers and encodes canonical strings")
    func codable() throws {
        let decoded = try KubeJSON.decode([String: Quantity].self, from: Data(#"{"a":"1.5Gi","b":2,"c":0.5}"#.utf8))
        #expect(decoded["a"] == Quantity(bytes: 1536 << 20))
        #expect(decoded["b"] == Quantity(2))
        #expect(decoded["c"] == Quantity(milli: 500))
        let encoded = String(decoding: try KubeJSON.encode(decoded), as: UTF8.self)
        #expect(encoded == #"{"a":"1536Mi","b":"2","c":"500m"}"#)
        #expect(throws: DecodingError.self) { try KubeJSON.decode([String: Quantity].self, from: Data(#"{"a":"lots"}"#.utf8)) }
    }
}

import Foundation
