/// The valid values of each setting, with the words that explain them, shared by the flags and
/// the slash commands.
public enum SettingRule {
    case temperature, topK, topP, beamWidth, maxLength, minConfidence, match

    public var expected: String {
        switch self {
        case .temperature: "a number > 0"
        case .topK: "a whole number ≥ 0 (0: no limit)"
        case .topP: "a number > 0 and ≤ 1"
        case .beamWidth: "a whole number from 1 to 64"
        case .maxLength: "a whole number from 1 to 1000"
        case .minConfidence: "a number from 0 to 1"
        case .match: "a number > 0 and ≤ 1"
        }
    }

    public func problem(_ value: Float) -> String? {
        let valid = switch self {
        case .temperature: value.isFinite && value > 0
        case .topP, .match: value > 0 && value <= 1
        case .minConfidence: value >= 0 && value <= 1
        default: false
        }
        return valid ? nil : "expected \(expected), got \(DecodingSettingsText.number(value))"
    }

    public func problem(_ value: Int) -> String? {
        let valid = switch self {
        case .topK: value >= 0
        case .beamWidth: (1...64).contains(value)
        case .maxLength: (1...1000).contains(value)
        default: false
        }
        return valid ? nil : "expected \(expected), got \(value)"
    }
}

public enum DecodingSettingsText {
    public static func number(_ value: Float) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : "\(value)"
    }
}
