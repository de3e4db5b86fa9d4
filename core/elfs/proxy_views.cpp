// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/proxy_views.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace freesel {

namespace {

/// Adaptive average pooling bounds (PyTorch's rule): part i of n over a length.
int partStart(int i, int n, int length) {
    return (i * length) / n;
}
int partEnd(int i, int n, int length) {
    return ((i + 1) * length + n - 1) / n;
}

struct Rect {
    int row = 0, col = 0, rows = 1, cols = 1;
};

/// Mean of the cells of `rect` into out[0 .. dims).
void poolCells(const ProxyInputs& inputs, int image, const Rect& rect, float* out) {
    const int d = inputs.dims;
    std::fill(out, out + d, 0.0f);
    const float* base = inputs.grid.data() + size_t(image) * inputs.cells * inputs.cells * d;
    for (int r = rect.row; r < rect.row + rect.rows; ++r)
        for (int c = rect.col; c < rect.col + rect.cols; ++c) {
            const float* cell = base + (size_t(r) * inputs.cells + c) * d;
            for (int k = 0; k < d; ++k)
                out[k] += cell[k];
        }
    const float scale = 1.0f / float(rect.rows * rect.cols);
    for (int k = 0; k < d; ++k)
        out[k] *= scale;
}

void writeView(const ProxyInputs& inputs, int image, const Rect& crop, bool mirror, float* out) {
    const int d = inputs.dims;
    std::copy_n(inputs.cls.data() + size_t(image) * d, d, out);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j) {
            Rect part;
            part.row = crop.row + partStart(i, 2, crop.rows);
            part.rows = partEnd(i, 2, crop.rows) - partStart(i, 2, crop.rows);
            part.col = crop.col + partStart(j, 2, crop.cols);
            part.cols = partEnd(j, 2, crop.cols) - partStart(j, 2, crop.cols);
            const int slot = 1 + 2 * i + (mirror ? 1 - j : j);
            poolCells(inputs, image, part, out + size_t(slot) * d);
        }
}

} // namespace

void ProxyInputs::addImage(const ImageFeatures& features) {
    if (images == 0) {
        dims = features.dims;
        if (reserved_ > 0 && dims > 0) {
            cls.reserve(size_t(reserved_) * size_t(dims));
            grid.reserve(size_t(reserved_) * size_t(cells) * size_t(cells) * size_t(dims));
        }
    }
    if (features.dims != dims || features.dims <= 0)
        throw std::invalid_argument("ELFS proxy: image token width " +
                                    std::to_string(features.dims) + " differs from " +
                                    std::to_string(dims));
    cls.insert(cls.end(), features.clsToken.begin(), features.clsToken.end());
    cls.resize(size_t(images + 1) * dims, 0.0f);
    const PatchGrid g = features.grid;
    const size_t first = grid.size();
    grid.resize(first + size_t(cells) * size_t(cells) * size_t(dims), 0.0f);
    float* mean = grid.data() + first;
    for (int i = 0; i < cells; ++i)
        for (int j = 0; j < cells; ++j, mean += dims) {
            // Grids smaller than cells x cells repeat patches (the bounds then overlap).
            const int r0 = partStart(i, cells, g.rows),
                      r1 = std::max(r0 + 1, partEnd(i, cells, g.rows));
            const int c0 = partStart(j, cells, g.cols),
                      c1 = std::max(c0 + 1, partEnd(j, cells, g.cols));
            for (int r = r0; r < std::min(r1, g.rows); ++r)
                for (int c = c0; c < std::min(c1, g.cols); ++c) {
                    const float* token =
                        features.patchTokens.data() + size_t(g.indexOf(r, c)) * dims;
                    for (int k = 0; k < dims; ++k)
                        mean[k] += token[k];
                }
            const int count =
                std::max(1, (std::min(r1, g.rows) - r0) * (std::min(c1, g.cols) - c0));
            for (int k = 0; k < dims; ++k)
                mean[k] /= float(count);
        }
    ++images;
}

void buildView(const ProxyInputs& inputs, int image, const ViewRule& rule, RandomStream& random,
               float* out) {
    const int n = inputs.cells;
    Rect crop{0, 0, n, n};
    for (int attempt = 0; attempt < 10; ++attempt) {
        const double area = n * n * (rule.minArea + (1.0 - rule.minArea) * random.uniform01());
        const double logRatio =
            std::log(rule.minRatio) +
            (std::log(rule.maxRatio) - std::log(rule.minRatio)) * random.uniform01();
        const int cols = int(std::lround(std::sqrt(area * std::exp(logRatio))));
        const int rows = int(std::lround(std::sqrt(area / std::exp(logRatio))));
        if (rows >= 1 && cols >= 1 && rows <= n && cols <= n) {
            crop.rows = rows;
            crop.cols = cols;
            crop.row = int(random.uniformIndex(uint64_t(n - rows + 1)));
            crop.col = int(random.uniformIndex(uint64_t(n - cols + 1)));
            break;
        }
    }
    const bool mirror = random.uniform01() < 0.5;
    writeView(inputs, image, crop, mirror, out);
}

void buildFullView(const ProxyInputs& inputs, int image, float* out) {
    writeView(inputs, image, Rect{0, 0, inputs.cells, inputs.cells}, false, out);
}

ViewScaling fullViewScaling(const ProxyInputs& inputs) {
    const size_t width = size_t(inputs.viewWidth());
    ViewScaling scaling;
    scaling.mean.assign(width, 0.0f);
    scaling.inverse.assign(width, 1.0f);
    if (inputs.images == 0)
        return scaling;
    // Two passes (mean, then squared deviations): exact enough in double even when a column's
    // mean dwarfs its spread.
    std::vector<float> view(width);
    std::vector<double> sum(width, 0.0), squares(width, 0.0);
    for (int i = 0; i < inputs.images; ++i) {
        buildFullView(inputs, i, view.data());
        for (size_t k = 0; k < width; ++k)
            sum[k] += view[k];
    }
    for (size_t k = 0; k < width; ++k)
        sum[k] /= double(inputs.images);
    for (int i = 0; i < inputs.images; ++i) {
        buildFullView(inputs, i, view.data());
        for (size_t k = 0; k < width; ++k)
            squares[k] += (view[k] - sum[k]) * (view[k] - sum[k]);
    }
    for (size_t k = 0; k < width; ++k) {
        scaling.mean[k] = float(sum[k]);
        scaling.inverse[k] = float(1.0 / (std::sqrt(squares[k] / double(inputs.images)) + 1e-6));
    }
    return scaling;
}

void buildViewBatch(const ProxyInputs& inputs, const int64_t* ids, int64_t count,
                    const ViewRule& rule, uint64_t epochSeed, const ViewScaling& scaling,
                    float* out) {
    const size_t width = size_t(inputs.viewWidth());
    const float* mean = scaling.mean.data();
    const float* inverse = scaling.inverse.data();
    for (int64_t r = 0; r < count; ++r) {
        RandomStream random = RandomStream::forItem(epochSeed, uint64_t(ids[r]));
        float* row = out + size_t(r) * width;
        buildView(inputs, int(ids[r]), rule, random, row);
        for (size_t k = 0; k < width; ++k)
            row[k] = (row[k] - mean[k]) * inverse[k];
    }
}

} // namespace freesel
