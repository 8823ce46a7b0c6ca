#include "posescope/datasets/json.h"

#include "posescope/datasets/error.h"

#include <cerrno>
#include <cmath>
#include <cstring>

namespace posescope::json {

simdjson::padded_string readJsonFile(const std::string& path) {
    simdjson::padded_string text;
    errno = 0;
    const auto error = simdjson::padded_string::load(path).get(text);
    if (error) {
        const int err = errno;
        throw FileError(path,
                        std::string("cannot read: ") + (err ? std::strerror(err) : simdjson::error_message(error)));
    }
    // A UTF-8 byte order mark (Windows editors write one) is not JSON: simdjson reads the document
    // after it as the wrong type. Drop it.
    if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0)
        return simdjson::padded_string(text.data() + 3, text.size() - 3);
    return text;
}

JsonDocument::JsonDocument(const std::string& path) : m_path(path), m_parser(new simdjson::dom::parser) {
    const simdjson::padded_string text = readJsonFile(path);
    const auto error = m_parser->parse(text).get(m_root);
    if (error) throw FileError(path, std::string("malformed JSON: ") + simdjson::error_message(error));
}

JsonDocument::JsonDocument(const std::string& text, const std::string& path)
    : m_path(path), m_parser(new simdjson::dom::parser) {
    const auto error = m_parser->parse(simdjson::padded_string(text)).get(m_root);
    if (error) throw FileError(path, std::string("malformed JSON: ") + simdjson::error_message(error));
}

JsonValue JsonDocument::root() const {
    return JsonValue(m_root, &m_path);
}

JsonValue JsonValue::child(simdjson::dom::element e, const char* key, int64_t index) const {
    JsonValue c(e, m_file);
    c.m_depth = m_depth;
    c.m_truncated = m_truncated;
    for (int i = 0; i < m_depth; ++i)
        c.m_parts[i] = m_parts[i];
    if (c.m_depth < kMaxDepth)
        c.m_parts[c.m_depth++] = {key, index};
    else
        c.m_truncated = true;
    return c;
}

std::string JsonValue::where() const {
    std::string s;
    for (int i = 0; i < m_depth; ++i) {
        if (m_parts[i].key) {
            if (!s.empty()) s += '.';
            s += m_parts[i].key;
        } else {
            s += '[' + std::to_string(m_parts[i].index) + ']';
        }
    }
    if (m_truncated) s += "…";
    return s.empty() ? "(top level)" : s;
}

void JsonValue::fail(const std::string& problem) const {
    throw FileError(*m_file, where() + ": " + problem);
}

std::string JsonValue::kindName() const {
    switch (m_e.type()) {
        case simdjson::dom::element_type::ARRAY: return "an array";
        case simdjson::dom::element_type::OBJECT: return "an object";
        case simdjson::dom::element_type::INT64:
        case simdjson::dom::element_type::UINT64: return "a whole number too large for one (64 bits)";
        case simdjson::dom::element_type::DOUBLE: return "a number";
        case simdjson::dom::element_type::STRING: return "a string";
        case simdjson::dom::element_type::BOOL: return "a boolean";
        case simdjson::dom::element_type::NULL_VALUE: return "null";
    }
    return "something else";
}

JsonValue JsonValue::field(const char* name) const {
    simdjson::dom::object obj;
    if (m_e.get_object().get(obj)) fail(std::string("expected an object, got ") + kindName());
    simdjson::dom::element e;
    if (obj[name].get(e)) child(m_e, name, 0).fail("missing");
    return child(e, name, 0);
}

bool JsonValue::optional(const char* name, JsonValue* out) const {
    simdjson::dom::object obj;
    if (m_e.get_object().get(obj)) fail(std::string("expected an object, got ") + kindName());
    simdjson::dom::element e;
    if (obj[name].get(e) || e.is_null()) return false;
    *out = child(e, name, 0);
    return true;
}

std::vector<JsonValue> JsonValue::array() const {
    simdjson::dom::array arr;
    if (m_e.get_array().get(arr)) fail(std::string("expected an array, got ") + kindName());
    std::vector<JsonValue> out;
    out.reserve(arr.size());
    int64_t i = 0;
    for (simdjson::dom::element e : arr)
        out.push_back(child(e, nullptr, i++));
    return out;
}

std::vector<std::pair<std::string, JsonValue>> JsonValue::members() const {
    simdjson::dom::object obj;
    if (m_e.get_object().get(obj)) fail(std::string("expected an object, got ") + kindName());
    std::vector<std::pair<std::string, JsonValue>> out;
    for (const auto field : obj)  // keys live in the parser's string buffer, NUL-terminated
        out.emplace_back(std::string(field.key), child(field.value, field.key.data(), 0));
    return out;
}

int64_t JsonValue::integer() const {
    int64_t v = 0;
    if (!m_e.get_int64().get(v)) return v;
    double d = 0;
    if (!m_e.get_double().get(d) && std::isfinite(d) && d == std::floor(d)) {
        // 3.0 is an integer too (some writers emit every number as a float).
        if (std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
        fail("expected an integer, got a whole number too large for one (64 bits)");
    }
    fail(std::string("expected an integer, got ") + kindName());
}

double JsonValue::number() const {
    double d = 0;
    if (m_e.get_double().get(d)) fail(std::string("expected a number, got ") + kindName());
    return d;
}

bool JsonValue::boolean() const {
    bool b = false;
    if (!m_e.get_bool().get(b)) return b;
    int64_t v = 0;
    if (!m_e.get_int64().get(v) && (v == 0 || v == 1)) return v == 1;
    fail(std::string("expected true/false or 0/1, got ") + kindName());
}

std::string JsonValue::string() const {
    std::string_view s;
    if (m_e.get_string().get(s)) fail(std::string("expected a string, got ") + kindName());
    return std::string(s);
}

std::vector<double> JsonValue::numbers(long count) const {
    simdjson::dom::array arr;
    if (m_e.get_array().get(arr)) fail(std::string("expected an array of numbers, got ") + kindName());
    std::vector<double> out;
    out.reserve(arr.size());
    for (simdjson::dom::element e : arr) {
        double d = 0;
        if (e.get_double().get(d))
            child(e, nullptr, static_cast<int64_t>(out.size()))
                .fail("expected a number, got " + child(e, nullptr, 0).kindName());
        out.push_back(d);
    }
    if (count >= 0 && static_cast<long>(out.size()) != count)
        fail("expected " + std::to_string(count) + " numbers, got " + std::to_string(out.size()));
    return out;
}

}  // namespace posescope::json
