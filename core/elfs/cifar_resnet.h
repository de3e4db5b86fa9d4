// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The official ELFS proxy network (docs/ALGORITHM.md section E2, /work/shared/ELFS.md): the CIFAR
// ResNet-18 of kuangliu/pytorch-cifar that the CCS and ELFS code train, built from LibTorch
// modules. Includes torch: only the proxy's trainer needs it.

#include <torch/torch.h>

namespace freesel {

/// conv3x3 - BN - ReLU - conv3x3 - BN, plus the input (through conv1x1 - BN when the stride or
/// width changes), then ReLU.
struct CifarBasicBlockImpl : torch::nn::Module {
    CifarBasicBlockImpl(int64_t in, int64_t out, int64_t stride);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    torch::nn::Sequential shortcut{nullptr};
};
TORCH_MODULE(CifarBasicBlock);

/// 3x3 stride-1 stem (no max-pool), four stages of two basic blocks with widths w, 2w, 4w, 8w
/// (w = 64 in the paper) and strides 1, 2, 2, 2, global average pool, Linear(8w, classes).
/// Any input side works (the pool is global); 32 is CIFAR's.
struct CifarResNet18Impl : torch::nn::Module {
    CifarResNet18Impl(int64_t classes, int64_t width = 64);
    torch::Tensor forward(const torch::Tensor& x);

    torch::nn::Conv2d stem{nullptr};
    torch::nn::BatchNorm2d stemNorm{nullptr};
    torch::nn::Sequential stages{nullptr};
    torch::nn::Linear head{nullptr};
};
TORCH_MODULE(CifarResNet18);

} // namespace freesel
