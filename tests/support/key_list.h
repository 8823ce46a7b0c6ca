// Reads the official fixtures' <name>.keys.txt listings: key<TAB>[shape]<TAB>dtype per line.
#pragma once

#include "posescope/models/checkpoint_info.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace posescope::test {

inline std::vector<models::TensorInfo> readKeyList(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::vector<models::TensorInfo> out;
    std::string line;
    while (std::getline(in, line)) {
        const size_t a = line.find('\t');
        const size_t b = line.find('\t', a + 1);
        models::TensorInfo t;
        t.name = line.substr(0, a);
        t.dtype = line.substr(b + 1);
        std::string dims = line.substr(a + 2, b - a - 3);  // inside the brackets
        std::istringstream s(dims);
        std::string d;
        while (std::getline(s, d, ','))
            t.shape.push_back(std::stoll(d));
        out.push_back(t);
    }
    return out;
}

}  // namespace posescope::test
