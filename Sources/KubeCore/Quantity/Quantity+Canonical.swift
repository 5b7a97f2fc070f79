extension Quantity: CustomStringConvertible {
    /// The canonical text kube-apiserver writes for this amount and notation.
    ///
    /// Binary amounts below 1024, or not whole units, fall back to decimal; otherwise the largest
    /// power of 1024 that divides them exactly (`1536Mi`, `2Gi`). Decimal amounts use the largest
    /// power of 1000 that keeps the number whole, from `n` to `E` (`1500m`, `2`, `1500`, `15k`);
    /// the exponent form writes it as `15e3`.
    public var description: String {
        if nanos == 0 { return "0" }
        let sign = nanos < 0 ? "-" : ""
        let magnitude = nanos.magnitude

        if notation == .binarySI, magnitude >= 1024 * UInt128(Self.nanosPerUnit),
            magnitude % UInt128(Self.nanosPerUnit) == 0
        {
            var units = magnitude / UInt128(Self.nanosPerUnit)
            var index = 0
            while index < 6, units % 1024 == 0 {
                units /= 1024
                index += 1
            }
            return sign + String(units) + ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][index]
        }

        // Decimal: exponent of 1000 relative to nano (0 = n, 3 = one unit, 9 = E).
        var mantissa = magnitude
        var step = 0
        while step < 9, mantissa % 1000 == 0 {
            mantissa /= 1000
            step += 1
        }
        if notation == .decimalExponent {
            let exponent = step * 3 - 9
            return sign + String(mantissa) + (exponent == 0 ? "" : "e\(exponent)")
        }
        return sign + String(mantissa) + ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"][step]
    }
}
