// SPDX-License-Identifier: GPL-3.0-or-later
// main() for builds without libFuzzer (GCC): feeds every file named on the command line, or found
// under a folder named there, to LLVMFuzzerTestOneInput once, in a stable order. This is how
// CTest replays the committed corpora as regression tests. Arguments starting with '-' are
// libFuzzer options and are ignored, so a command line works with either build.

#include "fuzz_support.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputsOf(int argc, char** argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.empty() || arg[0] == '-')
            continue;
        if (fs::is_directory(arg)) {
            for (const auto& entry : fs::recursive_directory_iterator(arg))
                if (entry.is_regular_file())
                    files.push_back(entry.path());
        } else {
            files.emplace_back(arg);
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

bool readFile(const fs::path& path, std::vector<uint8_t>* bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}

} // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    const std::vector<fs::path> files = inputsOf(argc, argv);
    if (files.empty()) {
        std::fprintf(stderr, "usage: %s FILE_OR_FOLDER...\nno input files found\n", argv[0]);
        return 2;
    }
    for (const fs::path& file : files) {
        std::vector<uint8_t> bytes;
        if (!readFile(file, &bytes)) {
            std::fprintf(stderr, "cannot read %s\n", file.c_str());
            return 2;
        }
        std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(), bytes.size());
        LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
    }
    std::fprintf(stderr, "%zu inputs ran without a crash\n", files.size());
    return 0;
}
