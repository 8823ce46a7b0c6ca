#include "posescope/analysis/checkpoint_report.h"

#include "posescope/datasets/json_text.h"

#include <cstdio>
#include <map>
#include <sstream>

namespace posescope::analysis {
namespace {

std::string grouped(int64_t n) {
    std::string digits = std::to_string(n);
    std::string out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace

std::vector<ModuleShare> parametersByModule(const models::CheckpointInfo& info, int depth) {
    std::vector<ModuleShare> out;
    std::map<std::string, size_t> index;
    for (const models::TensorInfo& t : info.tensors) {
        // The last component is the tensor's own name (weight, bias, …), never part of the module.
        std::string module;
        size_t start = 0;
        for (int d = 0; d < depth; ++d) {
            const size_t dot = t.name.find('.', start);
            if (dot == std::string::npos) break;
            module = t.name.substr(0, dot);
            start = dot + 1;
        }
        if (module.empty()) module = "(top level)";
        auto [it, added] = index.emplace(module, out.size());
        if (added) out.push_back({module, 0, 0});
        out[it->second].parameters += models::countParameters({t});
        out[it->second].tensors += 1;
    }
    return out;
}

std::string formatCheckpointText(const models::CheckpointInfo& info, bool listTensors) {
    std::ostringstream s;
    s << "file:          " << info.path << '\n';
    s << "format:        " << (info.format == "zip" ? "zip (PyTorch >= 1.6)" : "legacy (PyTorch < 1.6)") << '\n';
    s << "state dict:    " << (info.stateDictKey.empty() ? "the whole file" : "under '" + info.stateDictKey + "'")
      << (info.strippedModulePrefix ? ", 'module.' prefix removed" : "") << '\n';
    s << "architecture:  " << info.architecture.text() << '\n';
    s << "tensors:       " << info.tensors.size() << '\n';
    s << "parameters:    " << grouped(info.parameterCount) << " (without BatchNorm running statistics)\n";
    s << "elements:      " << grouped(info.elementCount) << " (" << grouped(info.byteCount) << " bytes)\n";
    for (const auto& [k, v] : info.metadata)
        s << "metadata:      " << k << " = " << v << '\n';
    if (listTensors) {
        s << '\n';
        for (const models::TensorInfo& t : info.tensors)
            s << t.name << '\t' << t.shapeText() << '\t' << t.dtype << '\n';
    }
    return s.str();
}

std::string formatCheckpointJson(const models::CheckpointInfo& info) {
    std::ostringstream s;
    s << "{\"path\": " << jsonString(info.path) << ", \"format\": " << jsonString(info.format)
      << ", \"state_dict_key\": " << jsonString(info.stateDictKey)
      << ", \"stripped_module_prefix\": " << (info.strippedModulePrefix ? "true" : "false")
      << ", \"architecture\": {\"family\": " << jsonString(info.architecture.family)
      << ", \"variant\": " << jsonString(info.architecture.variant)
      << ", \"details\": " << jsonString(info.architecture.details) << "}"
      << ", \"parameters\": " << info.parameterCount << ", \"elements\": " << info.elementCount
      << ", \"bytes\": " << info.byteCount << ", \"metadata\": {";
    for (size_t i = 0; i < info.metadata.size(); ++i)
        s << (i ? ", " : "") << jsonString(info.metadata[i].first) << ": " << jsonString(info.metadata[i].second);
    s << "}, \"tensors\": [";
    for (size_t i = 0; i < info.tensors.size(); ++i) {
        const models::TensorInfo& t = info.tensors[i];
        s << (i ? ", " : "") << "{\"name\": " << jsonString(t.name) << ", \"shape\": " << t.shapeText()
          << ", \"dtype\": " << jsonString(t.dtype) << "}";
    }
    s << "]}\n";
    return s.str();
}

}  // namespace posescope::analysis
