// How bytes from users, other programs or a server are shown (core/src/printable.hpp): the one
// set of rules for library messages (printable_text, `\` kept, idempotent) and for names
// (printable_name, `\` as `\\`, unambiguous), and the cut that never splits a character.
// Pure functions, no I/O.

#include "printable.hpp"
#include "testsupport.h"

#include <QTest>

#include <map>
#include <optional>
#include <string>
#include <vector>

using portalocker::detail::printable_name;
using portalocker::detail::printable_text;

Q_DECLARE_METATYPE(std::string)

namespace {

std::string bytes(const char* text, std::size_t size) {
    return std::string(text, size);
}

// U+XXXX as UTF-8.
std::string utf8(char32_t code_point) {
    std::string out;
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
    return out;
}

// The inverse of printable_name(), written from its documented escapes: if it restores every
// input, no two inputs can have given the same output. nullopt for text no input gives.
std::optional<std::string> decodeName(const std::string& shown) {
    std::string raw;
    for (std::size_t i = 0; i < shown.size(); ++i) {
        if (shown[i] != '\\') {
            raw += shown[i];
            continue;
        }
        if (++i == shown.size())
            return std::nullopt;
        const char kind = shown[i];
        if (kind == '\\' || kind == 'n' || kind == 'r' || kind == 't') {
            raw += kind == '\\' ? '\\' : kind == 'n' ? '\n' : kind == 'r' ? '\r' : '\t';
        } else if (kind == 'x' && i + 2 < shown.size()) {
            raw += static_cast<char>(std::stoi(shown.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else if (kind == 'u' && i + 1 < shown.size() && shown[i + 1] == '{') {
            const auto close = shown.find('}', i);
            if (close == std::string::npos)
                return std::nullopt;
            raw += utf8(
                static_cast<char32_t>(std::stoul(shown.substr(i + 2, close - i - 2), nullptr, 16)));
            i = close;
        } else {
            return std::nullopt;
        }
    }
    return raw;
}

bool isHarmless(const std::string& shown) {
    return testsupport::isHarmlessText(QByteArray::fromStdString(shown));
}

// Inputs where an escaper is most easily wrong: escapes written out literally, the characters
// they stand for, cut and invalid sequences, every single byte and every byte after a
// backslash or a UTF-8 lead byte.
std::vector<std::string> trickyInputs() {
    std::vector<std::string> inputs = {
        "",
        "\\",
        "\\\\",
        "\\n",
        "\n",
        "\\\n",
        "\\x00",
        bytes("\0", 1),
        "\\x85",
        "\x85",
        "\\u{0085}",
        "\xc2\x85",
        "\\u{202e}",
        "\xe2\x80\xae",
        "\\\xe2\x80\xae",
        "\xe2\x80",
        "\xe2\x80\\xae",
        "\xf0\x9f\x94\x92",
        "\xf0\x9f\x94",
        "\xed\xa0\x80",
        "\xc0\xaf",
        "\xf4\x90\x80\x80",
        "a\\",
        "a\\\\b",
        "\\u{",
        "\\u{}",
        "... (5 bytes)",
        "b\xc3\xa4"
        "ckerei",
    };
    for (int first = 0; first < 256; ++first) {
        inputs.push_back(std::string(1, static_cast<char>(first)));
        for (const char lead : {'\\', '\xc2', '\xe2', '\xef', '\xf0'})
            inputs.push_back(std::string{lead, static_cast<char>(first)});
    }
    // Every code point of the ranges the rules treat specially, and their neighbours.
    for (char32_t c = 0x7E; c <= 0xA0; ++c)
        inputs.push_back(utf8(c));
    for (char32_t c = 0x2000; c <= 0x2070; ++c)
        inputs.push_back(utf8(c));
    for (const char32_t c : {0x061B, 0x061C, 0x061D, 0xFEFE, 0xFEFF, 0xFFFD, 0x10FFFF})
        inputs.push_back(utf8(c));
    return inputs;
}

} // namespace

class TestPrintable : public QObject {
    Q_OBJECT

  private slots:
    // Both flavours side by side: they differ in the backslash only.
    void rules_data() {
        QTest::addColumn<std::string>("raw");
        QTest::addColumn<std::string>("message"); // printable_text()
        QTest::addColumn<std::string>("name");    // printable_name()
        QTest::newRow("plain") << std::string("lock:job") << std::string("lock:job")
                               << std::string("lock:job");
        QTest::newRow("utf-8 kept") << std::string("b\xc3\xa4"
                                                   "ckerei-\xe9\x94\x81-\xf0\x9f\x94\x92")
                                    << std::string("b\xc3\xa4"
                                                   "ckerei-\xe9\x94\x81-\xf0\x9f\x94\x92")
                                    << std::string("b\xc3\xa4"
                                                   "ckerei-\xe9\x94\x81-\xf0\x9f\x94\x92");
        QTest::newRow("backslash") << std::string("C:\\locks\\a") << std::string("C:\\locks\\a")
                                   << std::string("C:\\\\locks\\\\a");
        QTest::newRow("C0 controls and DEL")
            << bytes("a\0b\n\r\t\x1b[31m\x7f", 12) << std::string("a\\x00b\\n\\r\\t\\x1b[31m\\x7f")
            << std::string("a\\x00b\\n\\r\\t\\x1b[31m\\x7f");
        QTest::newRow("C1 controls (NEL, CSI)")
            << std::string("a\xc2\x85"
                           "b\xc2\x9b"
                           "2J")
            << std::string("a\\u{0085}b\\u{009b}2J") << std::string("a\\u{0085}b\\u{009b}2J");
        QTest::newRow("right-to-left override")
            << std::string("report-\xe2\x80\xae"
                           "fdp.exe")
            << std::string("report-\\u{202e}fdp.exe") << std::string("report-\\u{202e}fdp.exe");
        QTest::newRow("bidi isolates and Arabic letter mark")
            << std::string("\xe2\x81\xa6x\xe2\x81\xa9\xd8\x9c")
            << std::string("\\u{2066}x\\u{2069}\\u{061c}")
            << std::string("\\u{2066}x\\u{2069}\\u{061c}");
        QTest::newRow("zero-width space, joiner, word joiner, BOM")
            << std::string("a\xe2\x80\x8b"
                           "b\xe2\x80\x8d"
                           "c\xe2\x81\xa0"
                           "d\xef\xbb\xbf")
            << std::string("a\\u{200b}b\\u{200d}c\\u{2060}d\\u{feff}")
            << std::string("a\\u{200b}b\\u{200d}c\\u{2060}d\\u{feff}");
        QTest::newRow("line and paragraph separators")
            << std::string("a\xe2\x80\xa8"
                           "b\xe2\x80\xa9")
            << std::string("a\\u{2028}b\\u{2029}") << std::string("a\\u{2028}b\\u{2029}");
        QTest::newRow("invalid UTF-8")
            << std::string("\xff\xfe ok \xc3") << std::string("\\xff\\xfe ok \\xc3")
            << std::string("\\xff\\xfe ok \\xc3");
        QTest::newRow("overlong, surrogate, past U+10FFFF")
            << std::string("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80")
            << std::string("\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80")
            << std::string("\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80");
        QTest::newRow("an escape written out")
            << std::string("\\x41\\u{202e}") << std::string("\\x41\\u{202e}")
            << std::string("\\\\x41\\\\u{202e}");
    }
    void rules() {
        QFETCH(std::string, raw);
        QFETCH(std::string, message);
        QFETCH(std::string, name);
        QCOMPARE(printable_text(raw), message);
        QCOMPARE(printable_name(raw), name);
        QVERIFY(isHarmless(message));
        QVERIFY(isHarmless(name));
    }

    // A message may be escaped again (lockctl prints library messages): nothing changes.
    void messageIsIdempotent() {
        for (const std::string& raw : trickyInputs()) {
            const std::string once = printable_text(raw);
            QCOMPARE(printable_text(once), once);
            QVERIFY2(isHarmless(once), once.c_str());
            // A message that embeds a name shown either way is left alone too.
            const std::string embedding = "cannot lock '" + printable_name(raw) + "': " + once;
            QCOMPARE(printable_text(embedding), embedding);
        }
    }

    // Distinct names never look alike: every name shown decodes back to its bytes, and no
    // two of the tricky inputs are shown the same.
    void nameIsUnambiguous() {
        std::map<std::string, std::string> inputOf;
        for (const std::string& raw : trickyInputs()) {
            const std::string shown = printable_name(raw);
            QVERIFY2(isHarmless(shown), shown.c_str());
            QCOMPARE(decodeName(shown), std::optional<std::string>(raw));
            const auto [seen, added] = inputOf.emplace(shown, raw);
            QVERIFY2(added || seen->second == raw, shown.c_str());
        }
    }

    // The message flavour keeps `\`: it gives up unambiguity (a name "\n" and a newline
    // look alike there), which is why names on their own are shown with printable_name().
    void messageKeepsBackslash() {
        QCOMPARE(printable_text("\\n"), printable_text("\n"));
        QVERIFY(printable_name("\\n") != printable_name("\n"));
    }

    void cut_data() {
        QTest::addColumn<std::string>("raw");
        QTest::addColumn<int>("limit");
        QTest::addColumn<std::string>("name");
        const std::string umlaut = "ab\xc3\xa4"; // 4 bytes, the last character 2 of them
        QTest::newRow("shorter than the limit") << umlaut << 5 << umlaut;
        QTest::newRow("as long as the limit") << umlaut << 4 << umlaut;
        QTest::newRow("limit inside a 2-byte character")
            << umlaut << 3 << std::string("ab... (4 bytes)");
        QTest::newRow("limit inside an escaped character") << std::string("a\xe2\x80\xae"
                                                                          "b")
                                                           << 3 << std::string("a... (5 bytes)");
        QTest::newRow("limit after an escaped character")
            << std::string("a\xe2\x80\xae"
                           "b")
            << 4 << std::string("a\\u{202e}... (5 bytes)");
        QTest::newRow("limit inside a 4-byte character")
            << std::string("x\xf0\x9f\x94\x92") << 4 << std::string("x... (5 bytes)");
        QTest::newRow("invalid bytes are one byte each")
            << std::string("\xff\xfe\xfd") << 2 << std::string("\\xff\\xfe... (3 bytes)");
        QTest::newRow("a cut sequence is no character")
            << std::string("\xe2\x80x") << 1 << std::string("\\xe2... (3 bytes)");
        QTest::newRow("backslash")
            << std::string("\\\\\\") << 2 << std::string("\\\\\\\\... (3 bytes)");
        QTest::newRow("limit 0") << std::string("abc") << 0 << std::string("... (3 bytes)");
    }
    void cut() {
        QFETCH(std::string, raw);
        QFETCH(int, limit);
        QFETCH(std::string, name);
        QCOMPARE(printable_name(raw, static_cast<std::size_t>(limit)), name);
    }

    // For every limit: what is shown is the start of the whole name shown, and the name shown
    // of a start of the raw bytes that fits the limit; never a character's bytes as \xNN.
    void cutIsAlwaysAStartOfTheWhole() {
        const std::string raw = "a\\b\xc3\xa4\xe2\x80\xae\n\xf0\x9f\x94\x92\xff\xc2\x85z";
        const std::string whole = printable_name(raw);
        for (std::size_t limit = 0; limit <= raw.size() + 1; ++limit) {
            const std::string cut = printable_name(raw, limit);
            const std::string suffix = "... (" + std::to_string(raw.size()) + " bytes)";
            QCOMPARE(cut.ends_with(suffix), limit < raw.size());
            const std::string body =
                limit < raw.size() ? cut.substr(0, cut.size() - suffix.size()) : cut;
            QVERIFY2(whole.starts_with(body), cut.c_str());
            // The name shown of the start that fits (one at most: names are unambiguous).
            std::optional<std::size_t> taken;
            for (std::size_t size = 0; size <= limit && size <= raw.size(); ++size)
                if (printable_name(raw.substr(0, size)) == body)
                    taken = size;
            QVERIFY2(taken, cut.c_str());
            // The message flavour cuts at the same place.
            QCOMPARE(printable_text(raw, limit),
                     printable_text(raw.substr(0, *taken)) + (limit < raw.size() ? suffix : ""));
        }
    }
};

QTEST_GUILESS_MAIN(TestPrintable)
#include "tst_printable.moc"
