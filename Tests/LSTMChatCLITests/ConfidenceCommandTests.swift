import Foundation
import LSTMChat
import Testing

private func lines(_ text: String) -> [Substring] { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }

/// Writes `contents` to `name` in `directory`.
private func write(_ contents: String, to name: String, in directory: TemporaryDirectory) throws -> URL {
    let url = directory.url.appendingPathComponent(name)
    try Data(contents.utf8).write(to: url)
    return url
}

private func json(_ text: Substring) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// The tiny model again, with a default threshold stored in it.
private let tinyWithThreshold: (path: String, directory: TemporaryDirectory) = {
    let directory = try! TemporaryDirectory()
    var file = try! CheckpointFile.read(URL(fileURLWithPath: TinyCheckpoint.path))
    file.confidence = ConfidenceThreshold(threshold: 0.9999)
    let path = directory.url.appendingPathComponent("model.safetensors")
    try! file.write(to: path)
    return (path.path, directory)
}()

@Suite struct ConfidenceCommandTests {
    static let questions = "hi\nhow are you\nwhat is your name\nfoo bar baz\n"

    @Test func aModelWithoutAThresholdAnswersEverythingAndSaysItsConfidence() throws {
        let plain = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "--max-length", "6"], stdin: Self.questions)
        let asJSON = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "--max-length", "6", "--json"], stdin: Self.questions)
        #expect(plain.status == 0 && asJSON.status == 0, "\(plain.stderr)\(asJSON.stderr)")
        #expect(!plain.stdout.contains(ConfidenceOptionsText.fallback))
        for (answer, line) in zip(lines(plain.stdout), lines(asJSON.stdout)) {
            let object = try json(line)
            #expect(object["fallback"] as? Bool == false)
            #expect(object["min_confidence"] == nil)
            #expect(object["reply"] as? String == String(answer))
            #expect((object["answers"] as? [[String: Any]])?.first?["text"] as? String == String(answer))
            let confidence = try #require(object["confidence"] as? Double)
            #expect(confidence >= 0 && confidence <= 1)
        }
        // "foo bar baz" is all unknown words: no confidence at all.
        #expect(try json(lines(asJSON.stdout)[3])["confidence"] as? Double == 0)
    }

    @Test func belowTheThresholdTheFallbackIsSaidAndJSONStillShowsTheAnswer() throws {
        let args = ["ask", "--checkpoint", TinyCheckpoint.path, "--max-length", "6", "--min-confidence", "1"]
        let plain = try LSTMChatBinary.run(args, stdin: Self.questions)
        #expect(lines(plain.stdout).map(String.init) == Array(repeating: ConfidenceOptionsText.fallback, count: 4))
        let custom = try LSTMChatBinary.run(args + ["--fallback", "No idea, sorry."], stdin: "hi\n")
        #expect(custom.stdout == "No idea, sorry.\n")
        let asJSON = try LSTMChatBinary.run(args + ["--json", "hi"])
        let object = try json(lines(asJSON.stdout)[0])
        #expect(object["fallback"] as? Bool == true)
        #expect(object["min_confidence"] as? Double == 1)
        #expect(object["reply"] as? String == ConfidenceOptionsText.fallback)
        let answers = try #require(object["answers"] as? [[String: Any]])
        let plainAnswer = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "--max-length", "6", "hi"]).stdout
        #expect(answers.count == 1 && answers[0]["text"] as? String == String(plainAnswer.dropLast()))
        #expect((object["confidence"] as? Double ?? 2) < 1)
    }

    @Test func theStoredThresholdIsTheDefaultAndTheFlagOverridesIt() throws {
        let stored = try LSTMChatBinary.run(["ask", "--checkpoint", tinyWithThreshold.path, "--json", "hi"])
        let object = try json(lines(stored.stdout)[0])
        #expect(abs((object["min_confidence"] as? Double ?? 0) - 0.9999) < 1e-6)
        #expect(object["fallback"] as? Bool == true)
        let overridden = try LSTMChatBinary.run(["ask", "--checkpoint", tinyWithThreshold.path, "--min-confidence", "0", "hi"])
        let unthresholded = try LSTMChatBinary.run(["ask", "--checkpoint", TinyCheckpoint.path, "hi"])
        #expect(overridden.stdout == unthresholded.stdout)
        #expect(overridden.stdout != ConfidenceOptionsText.fallback + "\n")
    }

    @Test func chatTakesTheThresholdFromMinconfAndShowsItInSettings() throws {
        let result = try LSTMChatBinary.run(["chat", "--checkpoint", TinyCheckpoint.path, "--max-length", "4", "--fallback", "Pass."],
                                            stdin: "/settings\nhi\n/minconf 1\nhi\n/minconf\nhi\n/minconf 7\n")
        #expect(result.status == 0, "\(result.stderr)")
        let out = lines(result.stdout)
        #expect(out.count == 6)
        #expect(out[0].hasSuffix("; min confidence none (the model has no threshold), fallback \"Pass.\""))
        #expect(out[1] != "Pass.")
        #expect(out[2] == "min confidence 1, fallback \"Pass.\"")
        #expect(out[3] == "Pass.")
        #expect(out[5] == out[1])  // /minconf alone: back to the model's (none)
        #expect(result.stderr == "/minconf: expected a number from 0 to 1, got 7\n")

        let stored = try LSTMChatBinary.run(["chat", "--checkpoint", tinyWithThreshold.path], stdin: "/settings\nhi\n")
        #expect(lines(stored.stdout)[0].hasSuffix("; min confidence 1 (the model's), fallback \"\(ConfidenceOptionsText.fallback)\""))
        #expect(String(lines(stored.stdout)[1]) == ConfidenceOptionsText.fallback)
    }

    @Test("bad confidence flags are refused", arguments: [["--min-confidence", "1.5"], ["--min-confidence", "-0.1"], ["--fallback", "two\nlines"]])
    func badFlags(flags: [String]) throws {
        for command in ["ask", "chat"] {
            let result = try LSTMChatBinary.run([command, "--checkpoint", TinyCheckpoint.path] + flags + (command == "ask" ? ["hi"] : []))
            #expect(result.status == 64)
            #expect(result.stderr.hasPrefix("Error: "))
        }
    }

    @Test func calibrateStoresAThresholdThatEvalThenReports() throws {
        let directory = try TemporaryDirectory()
        let data = try write("hi\thello\nhow are you\ti am fine\nwhat is your name\tmy name is bad\n", to: "pairs.tsv", in: directory)
        let unrelated = try write("# unrelated\nfoo bar\nbaz qux quux\nwhat is yes\n", to: "pairs-unrelated.txt", in: directory)
        let model = directory.url.appendingPathComponent("model.safetensors")
        try FileManager.default.copyItem(atPath: TinyCheckpoint.path, toPath: model.path)

        let calibrated = try LSTMChatBinary.run(["calibrate", "--checkpoint", model.path, data.path])
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        #expect(calibrated.stdout.hasPrefix("min confidence "))
        let threshold = try #require(try CheckpointFile.read(model).confidence?.threshold)
        #expect(threshold > 0 && threshold <= 1)

        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", model.path, "--unrelated", unrelated.path,
                                           "--json", data.path])
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(try json(lines(eval.stdout)[0])["confidence"] as? [String: Any])
        #expect(abs((report["min_confidence"] as? Double ?? 0) - Double(threshold)) < 1e-6)
        #expect(abs((report["chosen_threshold"] as? Double ?? 0) - Double(threshold)) < 1e-6)
        // "foo bar" and "baz qux quux" are unknown words only: confidence 0, refused at any threshold above 0.
        #expect((report["unrelated_refused"] as? Double ?? 0) >= 2.0 / 3)
        #expect((report["auc"] as? [String: Any])?.count == 7)
    }

    @Test func calibrateWithoutUnrelatedQuestionsSaysWhatToGive() throws {
        let directory = try TemporaryDirectory()
        let data = try write("hi\thello\n", to: "pairs.tsv", in: directory)
        let result = try LSTMChatBinary.run(["calibrate", "--checkpoint", TinyCheckpoint.path, data.path])
        #expect(result.status == 1)
        #expect(result.stderr == "lstmchat: no unrelated questions to choose a threshold from: give --unrelated FILE\n")
        #expect(try CheckpointFile.read(URL(fileURLWithPath: TinyCheckpoint.path)).confidence == nil)
    }
}

/// The default fallback, as the user sees it.
enum ConfidenceOptionsText {
    static let fallback = "I don't know that one."
}

@Suite struct TrainConfidenceTests {
    @Test func trainingEndsByStoringAThresholdChosenFromUnrelatedQuestions() throws {
        let directory = try TemporaryDirectory()
        let unrelated = try write("# none of these is in small.tsv\nwhat do bees make\nhow do I fix a bike\nwho wrote hamlet\n",
                                  to: "unrelated.txt", in: directory)
        let out = directory.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", TrainTests.small, "--out", out, "--epochs", "40", "--val-fraction", "0",
                                            "--unrelated", unrelated.path] + TrainTests.quick.filter { $0 != "--quiet" })
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("stored in the model: unrelated refused"))
        let threshold = try #require(try CheckpointFile.read(URL(fileURLWithPath: out + "/model.safetensors")).confidence?.threshold)
        #expect(threshold > 0)
        let eval = try LSTMChatBinary.run(["eval", "--checkpoint", out, "--unrelated", unrelated.path, TrainTests.small, "--json"])
        let report = try #require(try json(lines(eval.stdout)[0])["confidence"] as? [String: Any])
        #expect((report["unrelated_refused"] as? Double ?? 0) > 0)
        #expect((report["corpus_right_kept"] as? Double ?? 0) >= 0.99)
    }

    @Test func withoutUnrelatedQuestionsTheModelAnswersEverythingAndTrainSaysSo() throws {
        let directory = try TemporaryDirectory()
        let out = directory.url.appendingPathComponent("run").path
        let train = try LSTMChatBinary.run(["train", TrainTests.small, "--out", out, "--epochs", "1", "--val-fraction", "0"]
                                           + TrainTests.quick.filter { $0 != "--quiet" })
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.contains("no confidence threshold chosen: no unrelated questions"))
        #expect(try CheckpointFile.read(URL(fileURLWithPath: out + "/model.safetensors")).confidence == nil)
    }

    @Test func aBadUnrelatedFileStopsTheRunBeforeItStarts() throws {
        let directory = try TemporaryDirectory()
        let out = directory.url.appendingPathComponent("run")
        let missing = directory.url.appendingPathComponent("nope.txt").path
        let train = try LSTMChatBinary.run(["train", TrainTests.small, "--out", out.path, "--unrelated", missing] + TrainTests.quick)
        #expect(train.status == 1)
        #expect(train.stderr.hasPrefix("lstmchat: \(missing): "))
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
