// SPDX-License-Identifier: GPL-3.0-or-later
#include "backbone/dino_vit.h"

#include "backbone/parallel_chunks.h"
#include "backbone/precision_choice.h"
#include "backbone/vit_kernels.h"
#include "backbone/vit_model.h"
#include "weights/checkpoint_reader.h"

#include <stdexcept>
#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace freesel {

namespace {

void require(bool ok, const std::string& message) {
    if (!ok)
        throw std::invalid_argument(message);
}

} // namespace

torch::Device resolveTorchDevice(const std::string& name) {
    if (name == "auto")
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0)
                                           : torch::Device(torch::kCPU);
    if (name == "cpu")
        return torch::Device(torch::kCPU);
    if (name.rfind("cuda", 0) == 0) {
        require(torch::cuda::is_available(),
                "device '" + name +
                    "' requested but this machine (or this LibTorch build) has "
                    "no CUDA; use --device=cpu or auto");
        const torch::Device device(name);
        require(device.index() < 0 || device.index() < int(torch::cuda::device_count()),
                "device '" + name + "': only " + std::to_string(torch::cuda::device_count()) +
                    " CUDA device(s) present");
        return device.has_index() ? device : torch::Device(torch::kCUDA, 0);
    }
    throw std::invalid_argument("device must be auto, cpu, cuda or cuda:N, got '" + name + "'");
}

namespace {

/// glibc returns large blocks (above a dynamic threshold of 128 KiB-32 MiB) to the kernel on
/// free and takes them back page by page on the next allocation; every forward pass then pays
/// page faults on each activation (measured: a 6 MB linear output went from 5 ms to 20-25 ms).
/// Keeping freed memory in the heap removes that cost; what stays is bounded by one batch.
void keepFreedMemoryForReuse() {
#if defined(__GLIBC__)
    static const bool once = [] {
        // 32 MiB is the largest mmap threshold glibc accepts on 64-bit.
        mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
        mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
        return true;
    }();
    (void)once;
#endif
}

torch::ScalarType computeTypeOf(VitPrecision precision) {
    switch (precision) {
    case VitPrecision::BFloat16:
        return torch::kBFloat16;
    case VitPrecision::Float16:
        return torch::kHalf;
    case VitPrecision::Auto: // resolved before use
    case VitPrecision::Float32:
        break;
    }
    return torch::kFloat32;
}

/// Copies a CPU float tensor into a std::vector.
std::vector<float> toVector(const torch::Tensor& t) {
    const torch::Tensor dense = t.to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(dense.data_ptr<float>(), dense.data_ptr<float>() + dense.numel());
}

void checkImage(const cv::Mat& image, size_t index, int patch) {
    const std::string which = "image " + std::to_string(index);
    require(!image.empty(), which + " is empty");
    require(image.type() == CV_8UC3, which + " must be 8-bit RGB (CV_8UC3)");
    require(image.rows % patch == 0 && image.cols % patch == 0,
            which + " is " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                "; both sides must be multiples of the patch size " + std::to_string(patch));
}

} // namespace

const char* vitPrecisionName(VitPrecision precision) {
    switch (precision) {
    case VitPrecision::BFloat16:
        return "bfloat16";
    case VitPrecision::Float16:
        return "float16";
    case VitPrecision::Auto:
        return "auto";
    case VitPrecision::Float32:
        break;
    }
    return "float32";
}

VitPrecision parseVitPrecision(const std::string& name) {
    if (name == "float32" || name == "fp32")
        return VitPrecision::Float32;
    if (name == "bfloat16" || name == "bf16")
        return VitPrecision::BFloat16;
    if (name == "float16" || name == "fp16")
        return VitPrecision::Float16;
    if (name == "auto")
        return VitPrecision::Auto;
    throw std::invalid_argument("precision must be auto, float32, bfloat16 or float16, got '" +
                                name + "'");
}

void DinoVitOptions::validate() const {
    require(batchSize >= 1 && batchSize <= 4096,
            "batch size must be in 1..4096, got " + std::to_string(batchSize));
    require(threads >= 0, "threads must be >= 0 (0 = all cores), got " + std::to_string(threads));
    require(imagesPerTask >= 1 && imagesPerTask <= 4096,
            "images per task must be in 1..4096, got " + std::to_string(imagesPerTask));
    require(neighbourhoodRadius >= 0 && neighbourhoodRadius <= 64,
            "neighbourhood radius must be in 0..64, got " + std::to_string(neighbourhoodRadius));
}

struct DinoVit::Impl {
    DinoVitOptions options;
    torch::Device device{torch::kCPU};
    VitExecution execution;
    VitWeights weights;
    int threads = 0;

    Impl(const VitWeights& cpuWeights, const DinoVitOptions& opts) : options(opts) {
        options.validate();
        device = resolveTorchDevice(options.device);
        options.precision = resolvePrecision(options.precision, device.is_cuda(), cpuFlags());
        execution.computeType = computeTypeOf(options.precision);
        require(device.is_cuda() || options.precision != VitPrecision::Float16,
                "precision float16 needs a CUDA device; use bfloat16 or float32 on the CPU");
        if (device.is_cpu()) {
            const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
            threads = options.threads > 0 ? options.threads : int(cores);
            torch::set_num_threads(threads); // explicit: LibTorch's default may be 1 or stale
            keepFreedMemoryForReuse();
            execution.packedKernels = options.fastCpuKernels && packedKernelsAvailable();
            execution.fusedRowKernels = options.fusedRowKernels;
            execution.fusedAttention = options.fusedAttention;
            if (execution.packedKernels)
                avoidBlasThreadContention();
            const int64_t side = 224 / cpuWeights.config.patchSize; // the usual input
            const int imagesPerProduct =
                splitsImages(size_t(options.batchSize)) ? options.imagesPerTask : options.batchSize;
            execution.typicalRows =
                int64_t(imagesPerProduct) * (cpuWeights.config.prefixTokens() + side * side);
        }
        weights = prepareVitWeights(cpuWeights, device, execution);
    }

    bool splitsImages(size_t count) const {
        return sharesOutImages(device.is_cpu(), threads, options.imageParallel,
                               options.imagesPerTask, count);
    }
    std::vector<ImageFeatures> runBatch(const std::vector<cv::Mat>& images,
                                        const std::function<bool()>& idle) const;
    std::vector<ImageFeatures> runImages(const std::vector<cv::Mat>& images) const;
};

DinoVit::DinoVit(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

DinoVit::DinoVit(const std::string& checkpointPath, const DinoVitOptions& options,
                 const VitConfig* config) {
    const VitCheckpoint checkpoint = loadVitCheckpoint(checkpointPath, config);
    impl_ = std::make_unique<Impl>(
        vitWeightsFromMap(checkpoint.tensors, checkpoint.config, checkpointPath), options);
}

DinoVit DinoVit::withSyntheticWeights(const VitConfig& config, std::uint64_t seed,
                                      const DinoVitOptions& options) {
    config.validate();
    const VitWeights weights =
        vitWeightsFromMap(syntheticVitTensors(config, seed), config, "synthetic weights");
    return DinoVit(std::make_unique<Impl>(weights, options));
}

DinoVit::~DinoVit() = default;
DinoVit::DinoVit(DinoVit&&) noexcept = default;
DinoVit& DinoVit::operator=(DinoVit&&) noexcept = default;

const VitConfig& DinoVit::config() const {
    return impl_->weights.config;
}
const DinoVitOptions& DinoVit::options() const {
    return impl_->options;
}
bool DinoVit::usesCuda() const {
    return impl_->device.is_cuda();
}

std::string DinoVit::deviceDescription() const {
    const std::string precision = vitPrecisionName(impl_->options.precision);
    if (impl_->device.is_cuda())
        return "CUDA:" + std::to_string(impl_->device.index()) + " (" + precision + ")";
    return "CPU (" + std::to_string(impl_->threads) + " threads, " + precision +
           (impl_->execution.packedKernels ? ", oneDNN)" : ", ATen)");
}

std::vector<ImageFeatures> DinoVit::run(const std::vector<cv::Mat>& rgbImages) const {
    return run(rgbImages, {});
}

bool DinoVit::runsIdleWork(std::size_t count) const {
    return impl_->splitsImages(std::min(count, std::size_t(impl_->options.batchSize)));
}

std::vector<ImageFeatures> DinoVit::run(const std::vector<cv::Mat>& rgbImages,
                                        const std::function<bool()>& idle) const {
    const int patch = config().patchSize;
    for (size_t i = 0; i < rgbImages.size(); ++i)
        checkImage(rgbImages[i], i, patch);
    std::vector<ImageFeatures> features;
    features.reserve(rgbImages.size());
    size_t begin = 0;
    while (begin < rgbImages.size()) {
        size_t end = begin + 1; // a run of equal sizes, at most batchSize long
        while (end < rgbImages.size() && end - begin < size_t(impl_->options.batchSize) &&
               rgbImages[end].size() == rgbImages[begin].size())
            ++end;
        const std::vector<cv::Mat> batch(rgbImages.begin() + long(begin),
                                         rgbImages.begin() + long(end));
        for (ImageFeatures& f : impl_->runBatch(batch, idle))
            features.push_back(std::move(f));
        begin = end;
    }
    return features;
}

std::vector<ImageFeatures> DinoVit::Impl::runBatch(const std::vector<cv::Mat>& images,
                                                   const std::function<bool()>& idle) const {
    if (!splitsImages(images.size()))
        return runImages(images);
    return runInTasks(
        images, options.imagesPerTask,
        [this](const std::vector<cv::Mat>& task) { return runImages(task); }, idle);
}

std::vector<ImageFeatures> DinoVit::Impl::runImages(const std::vector<cv::Mat>& images) const {
    const VitConfig& config = weights.config;
    const PatchGrid grid{images.front().rows / config.patchSize,
                         images.front().cols / config.patchSize};
    const int radius = options.neighbourhoodRadius;
    const VitForwardOutput out =
        vitForward(weights, vitInputTensor(images, device), options.featureLayer, execution);
    // Reduce on the device; only what the store keeps crosses to the host.
    const torch::Tensor patches = out.tokens.slice(1, config.prefixTokens()).contiguous().cpu();
    const torch::Tensor cls = out.cls.contiguous().cpu();
    const torch::Tensor clsAttention =
        clsPatchAttention(out.attention, config.prefixTokens()).cpu();
    const torch::Tensor band =
        attentionBand(out.attention, config.prefixTokens(), grid, radius).contiguous().cpu();
    std::vector<ImageFeatures> features(images.size());
    for (size_t i = 0; i < images.size(); ++i) {
        ImageFeatures& f = features[i];
        const int64_t b = int64_t(i);
        f.grid = grid;
        f.dims = config.width;
        f.patchTokens = toVector(patches[b]);
        f.clsToken = toVector(cls[b]);
        f.clsAttention = toVector(clsAttention[b]);
        f.neighbourhood = NeighbourhoodAttention(grid, radius);
        f.neighbourhood.values() = toVector(band[b]);
    }
    return features;
}

} // namespace freesel
