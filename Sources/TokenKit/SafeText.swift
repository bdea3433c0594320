/// Text from outside (server bodies and error descriptions, header values, config strings) made
/// safe to put on one line of a terminal or a log file.
///
/// A raw ESC or CSI can move the cursor, recolour or retitle the operator's terminal, and a
/// newline splits one log event into two lines that `grep` and log shippers read as two events.
/// So every control character — C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F) — is
/// written as a visible escape: `\n`, `\r`, `\t`, otherwise `\xHH` (ESC is `\x1B`). A backslash is
/// doubled, so an escape in the output always means a control character in the input, never a
/// server that sent the four characters `\x1B`. All other text, non-ASCII included, is kept as is.
///
/// Pure and allocation-free when there is nothing to escape (the dashboard calls it for every
/// drawn row).
public enum SafeText {
    /// The one-line, control-free form of `s`.
    public static func escape(_ s: String) -> String {
        // Every byte that can start something to escape: C0, DEL and `\` are single UTF-8 bytes;
        // C1 characters are encoded 0xC2 0x80…0x9F (0xC2 also starts harmless U+00A0…U+00BF).
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x5C || $0 == 0xC2 }) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 16)
        for scalar in s.unicodeScalars { append(scalar, to: &out) }
        return out
    }

    /// The same for bytes that should be UTF-8 but may not be (a response body, a line read from a
    /// file): valid UTF-8 is decoded and escaped as `escape(_:)` does, and every byte that is not
    /// part of a valid sequence becomes `\xHH` instead of vanishing into U+FFFD.
    public static func escape(utf8 bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var out = ""
        out.reserveCapacity(bytes.count + 16)
        var parser = Unicode.UTF8.ForwardParser()
        var input = bytes.makeIterator()
        var offset = 0  // bytes consumed so far: where an invalid sequence starts
        while true {
            switch parser.parseScalar(from: &input) {
            case .valid(let encoded):
                append(Unicode.UTF8.decode(encoded), to: &out)
                offset += encoded.count
            case .error(let length):
                for b in bytes[offset..<(offset + length)] { out += "\\x" + hex2(b) }
                offset += length
            case .emptyInput:
                return out
            }
        }
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\\": out += "\\\\"
        default:
            let v = scalar.value
            if v < 0x20 || (v >= 0x7F && v < 0xA0) {
                out += "\\x" + hex2(UInt8(v))
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }

    private static func hex2(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }
}
