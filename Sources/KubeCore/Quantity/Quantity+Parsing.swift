extension Quantity {
    /// Parses the Kubernetes quantity grammar.
    ///
    /// - Throws: ``QuantityError/malformed(_:)`` for text that is not a quantity (empty, two
    ///   signs, an unknown suffix, no digits); ``QuantityError/outOfRange(_:)`` past `Int128`.
    public init(parsing text: some StringProtocol) throws(QuantityError) {
        let original = String(text)
        var chars = Substring(original.trimmingWhitespace())
        guard !chars.isEmpty else { throw .malformed(original) }

        var negative = false
        if let first = chars.first, first == "+" || first == "-" {
            negative = first == "-"
            chars = chars.dropFirst()
        }
        let numberEnd = chars.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) ?? chars.endIndex
        let number = chars[..<numberEnd]
        let suffix = chars[numberEnd...]
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, number.contains(where: \.isNumber) else { throw .malformed(original) }
        let integerDigits = parts[0]
        let fractionDigits = parts.count == 2 ? parts[1] : ""

        // mantissa = all digits as one integer; value = mantissa × 10^(-fraction count) × multiplier.
        var mantissa: Int128 = 0
        for digit in (integerDigits + fractionDigits).utf8 {
            let (m, o1) = mantissa.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int128(digit - 48))
            guard !o1, !o2 else { throw .outOfRange(original) }
            mantissa = s
        }
        var decimalExponent = -fractionDigits.count + 9  // to nano-units
        var binaryShift = 0
        let notation: Notation
        switch suffix {
        case "": notation = .decimalSI
        case "n": notation = .decimalSI; decimalExponent -= 9
        case "u": notation = .decimalSI; decimalExponent -= 6
        case "m": notation = .decimalSI; decimalExponent -= 3
        case "k": notation = .decimalSI; decimalExponent += 3
        case "M": notation = .decimalSI; decimalExponent += 6
        case "G": notation = .decimalSI; decimalExponent += 9
        case "T": notation = .decimalSI; decimalExponent += 12
        case "P": notation = .decimalSI; decimalExponent += 15
        case "E": notation = .decimalSI; decimalExponent += 18
        case "Ki": notation = .binarySI; binaryShift = 10
        case "Mi": notation = .binarySI; binaryShift = 20
        case "Gi": notation = .binarySI; binaryShift = 30
        case "Ti": notation = .binarySI; binaryShift = 40
        case "Pi": notation = .binarySI; binaryShift = 50
        case "Ei": notation = .binarySI; binaryShift = 60
        default:
            guard let e = suffix.first, e == "e" || e == "E", let exponent = Int(suffix.dropFirst()),
                suffix.dropFirst().allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "+") })
            else { throw .malformed(original) }
            guard abs(exponent) < 60 else { throw .outOfRange(original) }
            notation = .decimalExponent
            decimalExponent += exponent
        }

        var value = mantissa
        if binaryShift > 0 {
            let (v, o) = value.multipliedReportingOverflow(by: Int128(1) << binaryShift)
            guard !o else { throw .outOfRange(original) }
            value = v
        }
        if decimalExponent >= 0 {
            for _ in 0..<decimalExponent {
                let (v, o) = value.multipliedReportingOverflow(by: 10)
                guard !o else { throw .outOfRange(original) }
                value = v
            }
        } else {
            var divisor: Int128 = 1
            for _ in 0..<(-decimalExponent) {
                let (d, o) = divisor.multipliedReportingOverflow(by: 10)
                if o { divisor = 0; break }
                divisor = d
            }
            // Precision below one nano-unit rounds up (away from zero for the magnitude).
            value = divisor == 0 ? (value == 0 ? 0 : 1) : Self.divideRoundingUp(value, divisor)
        }
        self.init(nanos: negative ? -value : value, notation: notation)
    }
}

extension Quantity: LosslessStringConvertible, ExpressibleByStringLiteral {
    /// `nil` for text that is not a quantity.
    public init?(_ description: String) {
        guard let q = try? Quantity(parsing: description) else { return nil }
        self = q
    }

    /// For literals in code and tests; a malformed literal is a programmer error.
    public init(stringLiteral value: String) {
        do { self = try Quantity(parsing: value) } catch { preconditionFailure("\(error)") }
    }
}

extension Quantity: Codable {
    /// Accepts a JSON string or a JSON number, as Kubernetes' decoder does.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) {
            do { self = try Quantity(parsing: text) } catch {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: error.description)
            }
        } else if let int = try? c.decode(Int64.self) {
            self = Quantity(nanos: Int128(int) * Self.nanosPerUnit)
        } else {
            let double = try c.decode(Double.self)
            do { self = try Quantity(parsing: "\(double)") } catch {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: error.description)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return s
    }
}
