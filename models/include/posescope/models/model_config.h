// Model configuration the way the official code bases hold it: a tree of yacs-style keys
// (MODEL.DIM_MODEL, MODEL.EXTRA.STAGE2.NUM_CHANNELS, …), read from the official YAML experiment
// files, from built-in presets named after the papers, and changed by `KEY=VALUE` overrides.
//
// Usage:
//   auto cfg = posescope::models::ModelConfig::resolve("transpose-r-a4");          // a preset
//   auto cfg = posescope::models::ModelConfig::resolve("TP_R_256x192_d256_h1024_enc4_mh8.yaml");
//   cfg.set("MODEL.ENCODER_LAYERS=3");
//   int layers = cfg.integer("MODEL.ENCODER_LAYERS");
//
// Keys are stored flat ("MODEL.EXTRA.NUM_DECONV_FILTERS"), values as the YAML scalars or scalar
// lists they are (quoted or not, as yacs' literal_eval would: '4' reads as an integer; a yacs tuple
// such as GPUS: (0,1,2,3) stays a scalar that integers() also reads). Unknown keys in files are kept
// (families read what they need); set() only changes keys that exist, as yacs' merge does, checks
// that the new value fits (list or single value; integer, number or boolean where the old value is
// one) and suggests the closest key for a typo. YAML booleans: true/false/yes/no/on/off in lower,
// Capitalised or UPPER case. A null value (`KEY:` or `KEY: ~`) counts as absent for the getters
// with a fallback.
// Errors: FileError (unreadable/malformed YAML with yaml-cpp's line and column, a list holding a
// list or map, naming the key), ConfigError (unknown preset, unknown key, wrong value type — naming
// the key and the source). Thread-safety: a value type; const members may be called concurrently.
#pragma once

#include "posescope/datasets/error.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace posescope::models {

class ConfigError : public Error {
public:
    using Error::Error;
};

namespace detail {
/// One stored value: a scalar (one item), a list of scalars, or a YAML null.
struct ConfigValue {
    bool isList = false;
    bool null = false;
    std::vector<std::string> items;  // one item for a scalar, empty text for null
};
}  // namespace detail

class ModelConfig {
public:
    /// An official-style (yacs) YAML file; nested maps become dotted keys. FileError when unreadable
    /// ("cannot read …") or malformed ("malformed YAML at line L, column C: …").
    static ModelConfig fromYamlFile(const std::string& path);
    /// The same from text; `source` names it in errors and in source().
    static ModelConfig fromYamlText(const std::string& text, const std::string& source);
    /// A built-in preset ("transpose-r-a4", …); ConfigError listing the known ones otherwise.
    static ModelConfig preset(const std::string& name);
    static std::vector<std::string> presetNames();
    /// A preset name, or else a YAML file path. A missing file whose name looks like a mistyped
    /// preset gives a ConfigError naming the closest preset; another missing file a FileError.
    static ModelConfig resolve(const std::string& presetOrFile);

    /// Applies "KEY=VALUE" (VALUE is parsed as YAML and may be a list: "[48, 96]"); the key must
    /// exist and the value fit it. ConfigError otherwise; on success source() records the override.
    void set(const std::string& assignment);
    /// Adds KEY (or replaces its value) with VALUE parsed as YAML, without set()'s checks and
    /// without changing source(): for configurations PoseScope derives itself (e.g. a BTranspose
    /// architecture read off a checkpoint that an official YAML loads). ConfigError for bad YAML.
    void define(const std::string& key, const std::string& yamlValue);

    bool has(const std::string& key) const;
    std::string string(const std::string& key) const;
    std::string string(const std::string& key, const std::string& fallback) const;
    long long integer(const std::string& key) const;
    long long integer(const std::string& key, long long fallback) const;
    double number(const std::string& key) const;
    double number(const std::string& key, double fallback) const;
    bool boolean(const std::string& key) const;
    bool boolean(const std::string& key, bool fallback) const;
    std::vector<long long> integers(const std::string& key) const;
    std::vector<long long> integers(const std::string& key, const std::vector<long long>& fallback) const;

    /// Where the values came from: "preset transpose-r-a4" or a file path, plus the applied
    /// overrides ("preset transpose-r-a4 + MODEL.ENCODER_LAYERS=3").
    const std::string& source() const { return m_source; }
    /// Every key with its value as YAML text ("[48, 96]" for lists, "null", '' for an empty string),
    /// sorted by key; each "KEY=VALUE" set()s the same value back.
    std::vector<std::pair<std::string, std::string>> entries() const;
    /// For a file (fromYamlFile): its keys that no preset has and PoseScope does not read but that
    /// lie within two edits of one that it does — most likely typos, which would otherwise be
    /// ignored silently: "MODEL.DIM_MODLE is not read (did you mean MODEL.DIM_MODEL?)". Empty for
    /// presets and text. Callers show them as warnings.
    const std::vector<std::string>& warnings() const { return m_warnings; }

private:
    using Value = detail::ConfigValue;
    const Value& get(const std::string& key) const;
    /// The value, or nullptr when the key is absent or null (the getters with a fallback).
    const Value* find(const std::string& key) const;
    const std::string& scalar(const std::string& key, const Value& value, const char* expected) const;
    std::string unknownKeyMessage(const std::string& key) const;
    static std::vector<std::string> likelyTypos(const ModelConfig& config);
    [[noreturn]] void fail(const std::string& key, const std::string& problem) const;

    std::map<std::string, Value> m_values;
    std::string m_source;
    std::vector<std::string> m_warnings;
};

/// The built-in preset of a recognised paper variant (checkpoint_info.h's ArchitectureMatch):
/// "transpose-r-a4" for ("TransPose-R", "R-A4"), "transpose-h-a6" for ("TransPose-H", "H-A6"); ""
/// when there is none (other sizes need their YAML).
std::string presetFor(const std::string& family, const std::string& variant);

}  // namespace posescope::models
