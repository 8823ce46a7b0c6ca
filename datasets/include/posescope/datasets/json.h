// JSON reading with errors that name the file and the JSON path of the problem, for every
// reader of JSON files (datasets, figure specs). Built on simdjson's DOM API.
//
//   JsonDocument doc(path);                        // FileError: unreadable or malformed JSON
//   JsonValue root = doc.root();
//   for (JsonValue a : root.field("annotations").array()) {
//       int64_t id = a.field("id").integer();      // FileError "annotations[3].id: expected an integer, got a string"
//   }
//
// Errors: FileError naming the file and the JSON path. Thread-safety: a document and its values
// belong to one thread; separate documents are independent.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace posescope::json {

class JsonValue;

/// A file's bytes, padded as simdjson needs them. Throws FileError "cannot read: …".
simdjson::padded_string readJsonFile(const std::string& path);

/// A parsed JSON file. Values refer into it and must not outlive it.
class JsonDocument {
public:
    explicit JsonDocument(const std::string& path);
    /// Parses `text` (used by tests and the fuzzer); `path` names it in errors.
    JsonDocument(const std::string& text, const std::string& path);
    JsonValue root() const;
    const std::string& path() const { return m_path; }

private:
    std::string m_path;
    std::unique_ptr<simdjson::dom::parser> m_parser;
    simdjson::dom::element m_root;
};

class JsonValue {
public:
    JsonValue(simdjson::dom::element e, const std::string* file) : m_e(e), m_file(file) {}

    bool isNull() const { return m_e.is_null(); }
    bool isObject() const { return m_e.is_object(); }
    bool isArray() const { return m_e.is_array(); }
    bool isNumber() const { return m_e.is_number(); }
    bool isString() const { return m_e.is_string(); }

    /// A member of an object; FileError if this is not an object or the member is missing.
    JsonValue field(const char* name) const;
    /// true and `out` set when the member exists (and is not null).
    bool optional(const char* name, JsonValue* out) const;
    std::vector<JsonValue> array() const;
    /// An object's members in file order.
    std::vector<std::pair<std::string, JsonValue>> members() const;
    int64_t integer() const;
    double number() const;
    bool boolean() const;  // true/false, or 0/1 as COCO's iscrowd is written
    std::string string() const;
    /// An array of exactly `count` numbers (any count when count < 0).
    std::vector<double> numbers(long count = -1) const;

    /// The JSON path of this value, e.g. "annotations[412].keypoints" (built on demand).
    std::string where() const;
    [[noreturn]] void fail(const std::string& problem) const;

private:
    // The path is kept as a few (key | index) parts without allocating: field names are string
    // literals of the caller, so only their pointers are stored.
    struct Part {
        const char* key;  // nullptr: an array index
        int64_t index;
    };
    static constexpr int kMaxDepth = 8;

    JsonValue child(simdjson::dom::element e, const char* key, int64_t index) const;
    std::string kindName() const;

    simdjson::dom::element m_e;
    const std::string* m_file;
    Part m_parts[kMaxDepth] = {};
    int m_depth = 0;
    bool m_truncated = false;
};

}  // namespace posescope::json
