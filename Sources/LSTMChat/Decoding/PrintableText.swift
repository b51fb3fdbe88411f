import Foundation

/// Text that comes from users or files, made safe to show on a terminal.
public enum Terminal {
    /// `text` safe to print: control characters as \u{…}, long words shortened.
    public static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(40) {
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return text.unicodeScalars.count > 40 ? out + "…" : out
    }
}
