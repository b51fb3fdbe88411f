import CYaml  // libyaml, which Yams is built on: its event stream lets us check a file before Yams builds a tree.
import Yams

/// Reads a ChatterBot corpus file:
///
///     categories:
///     - greetings
///     conversations:
///     - - Hello
///       - Hi there!
///       - How are you?
///
/// A conversation [a, b, c] gives the pairs (a, b) and (b, c); a conversation of one message
/// (or a message alone where a conversation should be) gives none. Numbers and booleans are taken as
/// the text written. Anchors and aliases (`&name`, `*name`) are refused: aliases can expand a
/// small file into an enormous tree (the "billion laughs" attack), and corpora do not need them.
enum ChatterBotCorpus {
    /// Top-level mapping → conversations list → one conversation: all a corpus needs.
    static let maximumDepth = 3

    static func read(_ file: TextFile) throws -> [QAPair] { try readWithCategories(file).pairs }

    /// The pairs and the file's categories (the classifier's labels), as written.
    static func readWithCategories(_ file: TextFile) throws -> (categories: [String], pairs: [QAPair]) {
        let text = file.text
        try checkEvents(of: text, path: file.path)
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw DataError(file: file.path, "not valid YAML: \(error)")
        }
        guard let root else { throw notACorpus(file, "no YAML document in it") }
        guard let mapping = root.mapping else { throw notACorpus(file, "the top level is not a mapping", root) }

        var conversations: Node.Sequence?
        var categoryNames: [String] = []
        for (key, value) in mapping {
            switch key.scalar?.string {
            case "categories":
                guard let categories = value.sequence, categories.allSatisfy({ $0.scalar != nil }) else {
                    throw notACorpus(file, "categories is not a list of names", value)
                }
                categoryNames = categories.compactMap { $0.scalar?.string }
            case "conversations":
                guard let sequence = value.sequence else {
                    throw notACorpus(file, "conversations is not a list", value)
                }
                conversations = sequence
            default:
                throw notACorpus(file, "unexpected key \(key.scalar?.string ?? "that is not text")", key)
            }
        }
        guard let conversations else { throw notACorpus(file, "no conversations list") }

        var pairs: [QAPair] = []
        for conversation in conversations {
            // A lone message is taken as a conversation of one, which gives no pair: the English
            // corpus has one (trivia.yml: a missing "- " folds a question and answer into one text).
            let messages = conversation.scalar != nil ? [conversation] : conversation.sequence.map(Array.init)
            guard let messages else {
                throw notACorpus(file, "a conversation is not a list of messages", conversation)
            }
            var previous: (text: String, line: Int)?
            for message in messages {
                let line = message.mark?.line ?? 0
                guard let scalar = message.scalar else {
                    throw notACorpus(file, "a message is not text", message)
                }
                let text = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty { throw DataError(file: file.path, line: line, "empty message") }
                if let previous {
                    pairs.append(QAPair(question: previous.text, answer: text, file: file.path, line: previous.line))
                }
                previous = (text, line)
            }
        }
        return (categoryNames, pairs)
    }

    static func notACorpus(_ file: TextFile, _ problem: String, _ node: Node? = nil) -> DataError {
        DataError(file: file.path, line: node?.mark?.line, "not a ChatterBot corpus: \(problem)")
    }

    /// Walks libyaml's events (linear time, no tree) and refuses anchors, aliases and nesting
    /// deeper than a corpus needs, before Yams composes a tree: composing hashes mapping keys,
    /// which for an aliased key means walking its whole expansion. Syntax errors are reported here too.
    static func checkEvents(of text: String, path: String) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw DataError(file: path, "out of memory for YAML") }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var depth = 0
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
                    throw DataError(file: path, line: Int(parser.problem_mark.line) + 1, "not valid YAML: \(problem)")
                }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                let anchor: UnsafeMutablePointer<yaml_char_t>?
                switch event.type {
                case YAML_STREAM_END_EVENT: return
                case YAML_ALIAS_EVENT:
                    throw DataError(file: path, line: line, "YAML aliases (*name) are not allowed in a corpus")
                case YAML_SCALAR_EVENT: anchor = event.data.scalar.anchor
                case YAML_SEQUENCE_START_EVENT: anchor = event.data.sequence_start.anchor; depth += 1
                case YAML_MAPPING_START_EVENT: anchor = event.data.mapping_start.anchor; depth += 1
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT: anchor = nil; depth -= 1
                default: anchor = nil
                }
                if anchor != nil {
                    throw DataError(file: path, line: line, "YAML anchors (&name) are not allowed in a corpus")
                }
                if depth > maximumDepth {
                    throw DataError(file: path, line: line, "not a ChatterBot corpus: lists nested deeper than "
                                    + "conversations of messages")
                }
            }
        }
    }
}
