// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "backbone/image_features.h"
#include "backbone/vit_config.h"

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace freesel {

/// Which block's tokens become the patch features F (docs/ALGORITHM.md section 1).
enum class FeatureLayer {
    Last,        ///< last block, after the final LayerNorm (default)
    Penultimate, ///< block L-1 through the final LayerNorm (the authors' older code)
};

/// What the big matrix products run in; LayerNorm, softmax and the residual stream stay fp32.
/// Auto becomes one of the others when the network is built, by the device and the CPU
/// (backbone/precision_choice.h): bfloat16 on CPUs that multiply it natively, else float32.
enum class VitPrecision { Float32, BFloat16, Float16, Auto };

/// "float32", "bfloat16", "float16", "auto"; parseVitPrecision throws std::invalid_argument
/// naming the parameter and the valid values.
const char* vitPrecisionName(VitPrecision precision);
VitPrecision parseVitPrecision(const std::string& name);

struct DinoVitOptions {
    std::string device = "auto"; ///< "auto" (CUDA when present, else CPU), "cpu", "cuda", "cuda:N"
    VitPrecision precision = VitPrecision::Float32; ///< Float16 needs CUDA; options() says
                                                    ///< what Auto became
    int batchSize = 8;                              ///< images per forward pass (same-size runs)
    int threads = 0;                                ///< CPU threads; 0 = every core
    int neighbourhoodRadius = 3; ///< R of the stored attention band (any eps <= R works later)
    FeatureLayer featureLayer = FeatureLayer::Last;
    bool fastCpuKernels = true; ///< CPU: oneDNN products when LibTorch has them
    /// CPU with fastCpuKernels: the fused row kernels (residual + LayerNorm, softmax, GELU in one
    /// pass each, vit_row_kernels.h) instead of ATen's steps; off only to measure what they save.
    bool fusedRowKernels = true;
    /// CPU with fusedRowKernels: the fused per-head attention (vit_attention_kernel.h) instead
    /// of copies, batched products and a softmax pass; off only to measure what it saves.
    bool fusedAttention = true;
    /// CPU with several threads: each thread runs whole images through the network, every
    /// product on that one thread, and takes the next `imagesPerTask` images of the batch when
    /// it is done; off, or when a batch has fewer than threads x imagesPerTask images, each
    /// product is split across the threads. There is no barrier per operation, and a thread
    /// slowed by another program no longer holds the others at each one (issue 19).
    bool imageParallel = true;
    int imagesPerTask = 2; ///< with imageParallel: images one thread takes at a time

    /// Throws std::invalid_argument naming the first bad option and its valid range.
    void validate() const;
};

/// The DINO / DINOv2 backbone: one forward pass per image gives everything the feature store
/// keeps (patch tokens, [CLS] token, CLS attention, attention band). Torch stays behind the
/// pimpl; see vit_model.h for the torch-level functions.
class DinoVit {
public:
    /// Loads a checkpoint (.pth / full DINO checkpoint, .safetensors, TorchScript). Without
    /// `config` the architecture is inferred from the file; with it the file must match.
    /// Throws std::runtime_error naming the file and what is wrong with it.
    explicit DinoVit(const std::string& checkpointPath, const DinoVitOptions& options = {},
                     const VitConfig* config = nullptr);
    /// Deterministic stand-in weights (tests, benchmarks; see syntheticVitTensors).
    static DinoVit withSyntheticWeights(const VitConfig& config, std::uint64_t seed,
                                        const DinoVitOptions& options = {});
    ~DinoVit();
    DinoVit(DinoVit&&) noexcept;
    DinoVit& operator=(DinoVit&&) noexcept;

    const VitConfig& config() const;
    const DinoVitOptions& options() const;
    /// For logs and the UI, e.g. "CPU (2 threads, float32, oneDNN)" or "CUDA:0 NVIDIA H100
    /// (bfloat16)".
    std::string deviceDescription() const;
    bool usesCuda() const;

    /// Features of 8-bit RGB images (CV_8UC3, R first) whose sides are multiples of the patch
    /// size, in input order. Sizes may differ; each run of equal sizes is batched.
    /// Throws std::invalid_argument naming the offending image index.
    std::vector<ImageFeatures> run(const std::vector<cv::Mat>& rgbImages) const;
    /// run(), where each thread that has no more images of a batch to compute calls `idle`
    /// until it returns false (FeatureBackend::runSharingThreads); empty: none.
    std::vector<ImageFeatures> run(const std::vector<cv::Mat>& rgbImages,
                                   const std::function<bool()>& idle) const;
    /// Whether run(images, idle) calls idle for a batch of `count` images (CPU image-parallel).
    bool runsIdleWork(std::size_t count) const;

private:
    struct Impl;
    explicit DinoVit(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

} // namespace freesel
