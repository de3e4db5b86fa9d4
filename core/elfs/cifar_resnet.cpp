// SPDX-License-Identifier: GPL-3.0-or-later
#include "elfs/cifar_resnet.h"

namespace freesel {

namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

} // namespace

CifarBasicBlockImpl::CifarBasicBlockImpl(int64_t in, int64_t out, int64_t stride)
    : conv1(register_module("conv1", conv(in, out, 3, stride))),
      conv2(register_module("conv2", conv(out, out, 3, 1))),
      bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
      bn2(register_module("bn2", torch::nn::BatchNorm2d(out))),
      shortcut(register_module("shortcut", torch::nn::Sequential())) {
    if (stride != 1 || in != out) {
        shortcut->push_back(conv(in, out, 1, stride));
        shortcut->push_back(torch::nn::BatchNorm2d(out));
    }
}

torch::Tensor CifarBasicBlockImpl::forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1->forward(conv1->forward(x)));
    y = bn2->forward(conv2->forward(y));
    return torch::relu(y + (shortcut->is_empty() ? x : shortcut->forward(x)));
}

CifarResNet18Impl::CifarResNet18Impl(int64_t classes, int64_t width)
    : stem(register_module("stem", conv(3, width, 3, 1))),
      stemNorm(register_module("stemNorm", torch::nn::BatchNorm2d(width))),
      stages(register_module("stages", torch::nn::Sequential())),
      head(register_module("head", torch::nn::Linear(8 * width, classes))) {
    int64_t in = width;
    for (int stage = 0; stage < 4; ++stage) {
        const int64_t out = width << stage;
        for (int block = 0; block < 2; ++block) {
            stages->push_back(CifarBasicBlock(in, out, block == 0 && stage > 0 ? 2 : 1));
            in = out;
        }
    }
}

torch::Tensor CifarResNet18Impl::forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(stemNorm->forward(stem->forward(x)));
    y = stages->forward(y);
    return head->forward(y.mean({2, 3}));
}

} // namespace freesel
