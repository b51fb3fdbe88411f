/// An answer on one line, as a TSV field: a line break written `\n`, a carriage return `\r`, a
/// tab `\t` and a backslash `\\`. The TSV reader reads answers so (another backslash stays as it
/// is: `C:\data` is read as written), and piped `ask` and `chat` write multi-line answers so, one
/// answer a line. By code points, as the PyTorch trainer's reader does.
public enum TSVField {
    private static let escapes: [Unicode.Scalar: Unicode.Scalar] = ["n": "\n", "r": "\r", "t": "\t", "\\": "\\"]

    /// `text` on one line: `\`, line feed, carriage return and tab escaped.
    public static func escaped(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// A field read back: `\n`, `\r`, `\t` and `\\` as the characters they stand for.
    public static func unescaped(_ field: String) -> String {
        guard field.unicodeScalars.contains("\\") else { return field }
        var out = String.UnicodeScalarView()
        var scalars = field.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            if scalar == "\\", let next = pending, let meant = escapes[next] {
                out.append(meant)
                pending = scalars.next()
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }
}
