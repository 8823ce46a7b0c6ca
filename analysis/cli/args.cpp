#include "cli.h"

#include <iostream>

#include <algorithm>

namespace posescope::cli {

Args::Args(const std::vector<std::string>& argv, const std::vector<std::string>& flags,
           const std::vector<std::string>& options) {
    auto known = [](const std::vector<std::string>& list, const std::string& s) {
        return std::find(list.begin(), list.end(), s) != list.end();
    };
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a.size() < 2 || a[0] != '-') {
            m_positional.push_back(a);
            continue;
        }
        const size_t eq = a.find('=');
        const std::string name = a.substr(0, eq);
        if (known(flags, name) && eq == std::string::npos) {
            m_flags[name] = true;
        } else if (known(options, name)) {
            if (eq != std::string::npos) {
                m_values[name].push_back(a.substr(eq + 1));
            } else {
                if (i + 1 >= argv.size()) throw UsageError("option '" + name + "' needs a value");
                m_values[name].push_back(argv[++i]);
            }
        } else {
            throw UsageError("unknown option '" + a + "'");
        }
    }
}

std::vector<std::string> Args::values(const std::string& option) const {
    auto it = m_values.find(option);
    return it == m_values.end() ? std::vector<std::string>{} : it->second;
}

std::string Args::value(const std::string& option) const {
    auto it = m_values.find(option);
    if (it == m_values.end()) throw UsageError("option '" + option + "' is required");
    return it->second.back();
}

std::string Args::value(const std::string& option, const std::string& fallback) const {
    auto it = m_values.find(option);
    return it == m_values.end() ? fallback : it->second.back();
}

long long Args::integer(const std::string& option, long long fallback) const {
    if (!has(option)) return fallback;
    const std::string v = value(option);
    try {
        size_t used = 0;
        const long long n = std::stoll(v, &used);
        if (used == v.size()) return n;
    } catch (const std::exception&) {
    }
    throw UsageError("option '" + option + "' needs an integer, got '" + v + "'");
}

double Args::number(const std::string& option, double fallback) const {
    if (!has(option)) return fallback;
    const std::string v = value(option);
    try {
        size_t used = 0;
        const double n = std::stod(v, &used);
        if (used == v.size()) return n;
    } catch (const std::exception&) {
    }
    throw UsageError("option '" + option + "' needs a number, got '" + v + "'");
}

models::ModelConfig configFrom(const Args& a) {
    models::ModelConfig config = models::ModelConfig::resolve(a.value("--config"));
    for (const std::string& w : config.warnings())
        std::cerr << "posescope-cli: warning: " << config.source() << ": " << w << '\n';
    for (const std::string& s : a.values("--set"))
        config.set(s);
    return config;
}

}  // namespace posescope::cli
