#include "slotpattern.hpp"

#include <portalocker/exceptions.hpp>

#include <charconv>
#include <optional>

namespace portalocker::detail {

namespace {

struct FormatSpec {
    char fill = ' ';
    bool fill_given = false;
    char align = 0;    ///< '<', '>', '^', '=' or 0 for the type's default
    bool zero = false; ///< the '0' flag: zero fill, sign-aware for numbers without an align
    char sign = '-';
    bool alternate = false;
    std::size_t width = 0;
    std::optional<std::size_t> precision;
    char type = 0;
};

bool is_align(char c) {
    return c == '<' || c == '>' || c == '^' || c == '=';
}

bool read_number(std::string_view& text, std::size_t& value) {
    const char* begin = text.data();
    auto [end, error] = std::from_chars(begin, begin + text.size(), value);
    if (error != std::errc() || end == begin || value > 4096) // a file name, not a novel
        return false;
    text.remove_prefix(static_cast<std::size_t>(end - begin));
    return true;
}

/// Python's format-spec mini-language, the subset described in the header.
std::optional<FormatSpec> parse_spec(std::string_view text) {
    FormatSpec spec;
    if (text.size() >= 2 && is_align(text[1])) {
        spec.fill = text[0];
        spec.fill_given = true;
        spec.align = text[1];
        text.remove_prefix(2);
    } else if (!text.empty() && is_align(text[0])) {
        spec.align = text[0];
        text.remove_prefix(1);
    }
    if (spec.fill == '{' || spec.fill == '}')
        return std::nullopt;
    if (!text.empty() && (text[0] == '+' || text[0] == '-' || text[0] == ' ')) {
        spec.sign = text[0];
        text.remove_prefix(1);
    }
    if (!text.empty() && text[0] == '#') {
        spec.alternate = true;
        text.remove_prefix(1);
    }
    if (!text.empty() && text[0] == '0') {
        spec.zero = true;
        if (!spec.fill_given)
            spec.fill = '0';
    }
    if (!text.empty() && text[0] >= '0' && text[0] <= '9' && !read_number(text, spec.width))
        return std::nullopt;
    if (!text.empty() && text[0] == '.') {
        text.remove_prefix(1);
        std::size_t precision = 0;
        if (!read_number(text, precision))
            return std::nullopt;
        spec.precision = precision;
    }
    if (text.size() == 1) {
        spec.type = text[0];
        text.remove_prefix(1);
    }
    if (!text.empty())
        return std::nullopt;
    return spec;
}

void pad(std::string& out, std::string_view body, std::size_t prefixLength, const FormatSpec& spec,
         char defaultAlign) {
    const std::size_t fillCount = spec.width > body.size() ? spec.width - body.size() : 0;
    const char align = spec.align ? spec.align : defaultAlign;
    std::size_t before = 0;
    if (align == '>')
        before = fillCount;
    else if (align == '^')
        before = fillCount / 2;
    if (align == '=') {
        // Padding between the sign (and 0x prefix) and the digits.
        out.append(body.substr(0, prefixLength));
        out.append(fillCount, spec.fill);
        out.append(body.substr(prefixLength));
        return;
    }
    out.append(before, spec.fill);
    out.append(body);
    out.append(fillCount - before, spec.fill);
}

bool format_name(std::string& out, std::string_view name, const FormatSpec& spec) {
    if ((spec.type && spec.type != 's') || spec.sign != '-' || spec.alternate || spec.align == '=')
        return false;
    if (spec.precision && *spec.precision < name.size())
        name = name.substr(0, *spec.precision);
    pad(out, name, 0, spec, '<');
    return true;
}

bool format_number(std::string& out, int number, const FormatSpec& spec) {
    int base = 10;
    std::string_view prefix;
    switch (spec.type) {
    case 0:
    case 'd':
        break;
    case 'x':
        base = 16;
        prefix = "0x";
        break;
    case 'X':
        base = 16;
        prefix = "0X";
        break;
    case 'o':
        base = 8;
        prefix = "0o";
        break;
    case 'b':
        base = 2;
        prefix = "0b";
        break;
    default:
        return false;
    }
    if (spec.precision)
        return false; // Python: precision not allowed in integer format specifier
    std::string body;
    if (number < 0)
        body += '-';
    else if (spec.sign == '+' || spec.sign == ' ')
        body += spec.sign;
    if (spec.alternate)
        body += prefix;
    const std::size_t prefixLength = body.size();
    char digits[40];
    long long magnitude = number < 0 ? -static_cast<long long>(number) : number;
    auto [end, ignored] = std::to_chars(digits, digits + sizeof digits, magnitude, base);
    std::string_view digitText(digits, static_cast<std::size_t>(end - digits));
    for (char c : digitText)
        body += spec.type == 'X' && c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c;
    pad(out, body, prefixLength, spec, spec.zero ? '=' : '>');
    return true;
}

} // namespace

std::string format_slot_name(std::string_view pattern, std::string_view name, int number,
                             std::error_code& ec, std::string* problem) {
    ec.clear();
    std::string out;
    bool sawNumber = false;
    auto fail = [&](std::string why) {
        ec = make_error_code(errc::invalid_argument);
        if (problem)
            *problem = std::move(why);
        return std::string();
    };
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '}') {
            if (i + 1 < pattern.size() && pattern[i + 1] == '}') {
                out += '}';
                ++i;
                continue;
            }
            return fail("single '}' (a literal brace is written '}}')");
        }
        if (c != '{') {
            out += c;
            continue;
        }
        if (i + 1 < pattern.size() && pattern[i + 1] == '{') {
            out += '{';
            ++i;
            continue;
        }
        const std::size_t close = pattern.find('}', i + 1);
        if (close == std::string_view::npos)
            return fail("unclosed '{' (a literal brace is written '{{')");
        const std::string_view whole = pattern.substr(i, close - i + 1);
        std::string_view field = pattern.substr(i + 1, close - i - 1);
        if (field.find('{') != std::string_view::npos)
            return fail("nested field in '" + std::string(whole) + "'");
        std::string_view specText;
        if (auto colon = field.find(':'); colon != std::string_view::npos) {
            specText = field.substr(colon + 1);
            field = field.substr(0, colon);
        }
        if (field != "name" && field != "number") // positional, !conversion, .attribute, [index]
            return fail("unknown field '" + std::string(whole) + "' (use {name} and {number})");
        auto spec = parse_spec(specText);
        const bool formatted = spec && (field == "name" ? format_name(out, name, *spec)
                                                        : format_number(out, number, *spec));
        if (!formatted)
            return fail("unsupported format '" + std::string(whole) + "'");
        sawNumber = sawNumber || field == "number";
        i = close;
    }
    if (!sawNumber)
        return fail("no {number} field: every slot would be the same file");
    return out;
}

} // namespace portalocker::detail
