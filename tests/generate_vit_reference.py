#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the ViT reference data of tests/backbone/test_dino_vit.cpp and tests/weights/test_checkpoint_reader.cpp.

Run with a Python that has PyTorch and NumPy (on Debian: /usr/bin/python3 with python3-torch):
    /usr/bin/python3 tests/generate_vit_reference.py [--out tests/data/vit]

The network below is written from DINO's official vision_transformer.py (facebookresearch/dino)
and DINOv2's layer scale / register tokens, independently of the C++ code it checks. Weights are
not random: every value comes from a hash of (tensor name, element index) that the C++ side
(syntheticVitWeights in core/backbone/vit_model.cpp) reproduces bit for bit, so the ViT-S/16 reference
needs no committed checkpoint, only a few output rows.
"""
import argparse
import collections
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn as nn

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# ----------------------------------------------------------------------------- hashing
def fnv1a64(text):
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & MASK64
    return h


def mix64(x):
    """splitmix64 finaliser on a numpy uint64 array (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hash_stream(base, count):
    with np.errstate(over="ignore"):
        index = np.arange(count, dtype=np.uint64)
        return mix64(np.uint64(base) + index * np.uint64(GOLDEN))


def uniform(base, count):
    """count values in [-1, 1), each a multiple of 2^-23 (exact in float32 and float64)."""
    bits = hash_stream(base, count) >> np.uint64(40)
    return bits.astype(np.float64) / float(1 << 23) - 1.0


def tensor_scale(name, shape):
    """The spread of each synthetic tensor: unit-variance activations, peaky-enough attention."""
    if name in ("cls_token", "pos_embed", "register_tokens"):
        return 0.0, 1.0
    if name == "mask_token":
        return 0.0, 0.0
    if name.endswith(".gamma"):
        return 0.5, 0.25
    if any(part.startswith("norm") for part in name.split(".")[:-1]):  # LayerNorms
        return (1.0, 0.25) if name.endswith(".weight") else (0.0, 0.1)
    if name.endswith(".bias"):
        return 0.0, 0.1
    fan_in = int(np.prod(shape[1:]))
    # Twice the variance-preserving spread on qkv so that attention is peaked, not uniform.
    gain = 2.0 if name.endswith("attn.qkv.weight") else 1.0
    return 0.0, gain * math.sqrt(3.0 / fan_in)


def synthetic_tensor(name, shape, seed):
    count = int(np.prod(shape))
    base = fnv1a64(name) ^ ((seed * GOLDEN) & MASK64)
    offset, spread = tensor_scale(name, shape)
    values = offset + spread * uniform(base, count)
    return torch.from_numpy(values.astype(np.float32).reshape(shape))


def synthetic_image(height, width, seed):
    """8-bit RGB image, row-major H x W x 3, from the same hash (C++: syntheticImage)."""
    bits = hash_stream(fnv1a64("image") ^ seed, height * width * 3) >> np.uint64(56)
    return bits.astype(np.uint8).reshape(height, width, 3)


def normalise(image):
    """uint8 H x W x 3 -> float32 1 x 3 x H x W, ImageNet mean/std (what DINO's transforms do)."""
    x = torch.from_numpy(image).permute(2, 0, 1).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float32).view(3, 1, 1)
    return ((x - mean) / std).unsqueeze(0)


# ----------------------------------------------------------------------------- the network
class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.num_heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, C // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x), attn


class LayerScale(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, dim, heads, hidden, layer_scale):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.ls1 = LayerScale(dim) if layer_scale else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)
        self.ls2 = LayerScale(dim) if layer_scale else nn.Identity()

    def forward(self, x):
        y, attn = self.attn(self.norm1(x))
        x = x + self.ls1(y)
        x = x + self.ls2(self.mlp(self.norm2(x)))
        return x, attn


class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.patch_size = patch
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class VisionTransformer(nn.Module):
    def __init__(self, patch, dim, depth, heads, hidden, grid, layer_scale=False, registers=0):
        super().__init__()
        self.patch_embed = PatchEmbed(patch, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, grid * grid + 1, dim))
        self.registers = registers
        if registers:
            self.register_tokens = nn.Parameter(torch.zeros(1, registers, dim))
        if layer_scale:  # DINOv2 checkpoints carry the (unused) iBOT mask token
            self.mask_token = nn.Parameter(torch.zeros(1, dim))
        self.blocks = nn.ModuleList([Block(dim, heads, hidden, layer_scale) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    def interpolate_pos_encoding(self, x, w, h):
        # As DINO: w, h are the input's dims 2 and 3 (rows, columns in pixels).
        npatch = x.shape[1] - 1
        N = self.pos_embed.shape[1] - 1
        if npatch == N and w == h:
            return self.pos_embed
        class_pos_embed = self.pos_embed[:, 0]
        patch_pos_embed = self.pos_embed[:, 1:]
        dim = x.shape[-1]
        w0 = w // self.patch_embed.patch_size
        h0 = h // self.patch_embed.patch_size
        w0, h0 = w0 + 0.1, h0 + 0.1  # DINO issue 8: avoid floating point error
        patch_pos_embed = nn.functional.interpolate(
            patch_pos_embed.reshape(1, int(math.sqrt(N)), int(math.sqrt(N)), dim).permute(0, 3, 1, 2),
            scale_factor=(w0 / math.sqrt(N), h0 / math.sqrt(N)),
            mode="bicubic",
        )
        assert int(w0) == patch_pos_embed.shape[-2] and int(h0) == patch_pos_embed.shape[-1]
        patch_pos_embed = patch_pos_embed.permute(0, 2, 3, 1).view(1, -1, dim)
        return torch.cat((class_pos_embed.unsqueeze(0), patch_pos_embed), dim=1)

    def prepare_tokens(self, x):
        B, nc, w, h = x.shape
        x = self.patch_embed(x)
        x = torch.cat((self.cls_token.expand(B, -1, -1), x), dim=1)
        x = x + self.interpolate_pos_encoding(x, w, h)
        if self.registers:
            x = torch.cat((x[:, :1], self.register_tokens.expand(B, -1, -1), x[:, 1:]), dim=1)
        return x

    def forward(self, x):
        """Final-norm tokens, penultimate-block tokens through the final norm, and the
        head-averaged attention of the last block."""
        x = self.prepare_tokens(x)
        penultimate = x
        attn = None
        for i, blk in enumerate(self.blocks):
            if i == len(self.blocks) - 1:
                penultimate = x
            x, attn = blk(x)
        return self.norm(x), self.norm(penultimate), attn.mean(dim=1)


class TracedBackbone(nn.Module):
    """TorchScript export wrapper: same parameter names as the backbone."""

    def __init__(self, vit):
        super().__init__()
        self.vit = vit

    def forward(self, x):
        return self.vit(x)[0]


# ----------------------------------------------------------------------------- cases
CASES = {
    # name: patch, width, depth, heads, hidden, grid, layer_scale, registers, inputs (H, W)
    "small": (8, 48, 2, 3, 192, 4, False, 0, [(32, 32), (32, 48)]),
    "small_v2": (7, 48, 2, 3, 192, 4, True, 2, [(28, 28), (28, 42), (35, 28)]),
    "vits16": (16, 384, 12, 6, 1536, 14, False, 0, [(224, 224), (192, 288)]),
}
WEIGHT_SEED = 1
IMAGE_SEED = 7


def build(case):
    patch, width, depth, heads, hidden, grid, ls, regs, _ = CASES[case]
    model = VisionTransformer(patch, width, depth, heads, hidden, grid, ls, regs)
    state = collections.OrderedDict()
    for name, tensor in model.state_dict().items():
        state[name] = synthetic_tensor(name, tuple(tensor.shape), WEIGHT_SEED)
    model.load_state_dict(state)
    return model.eval(), state


def reference_outputs(case, model, full):
    patch, regs = CASES[case][0], CASES[case][7]
    out = {}
    for index, (height, width) in enumerate(CASES[case][8]):
        image = synthetic_image(height, width, IMAGE_SEED + index)
        with torch.no_grad():
            tokens, penultimate, attn = model(normalise(image))
        key = "%dx%d" % (height, width)
        prefix = 1 + regs
        if full:
            out[key + "/tokens"] = tokens[0].contiguous()
            out[key + "/penultimate"] = penultimate[0].contiguous()
            out[key + "/attention"] = attn[0].contiguous()
        else:  # a few rows of everything: enough to catch any wrong op, small enough to commit
            n = tokens.shape[1] - prefix
            rows = torch.tensor([0, prefix, prefix + n // 2 + 3, prefix + n - 1])
            out[key + "/rows"] = rows
            out[key + "/tokens"] = tokens[0, rows].contiguous()
            out[key + "/penultimate"] = penultimate[0, rows].contiguous()
            out[key + "/attention"] = attn[0, rows].contiguous()
            out[key + "/token_sum"] = tokens.double().sum().reshape(1)
            out[key + "/token_abs_sum"] = tokens.double().abs().sum().reshape(1)
        out[key + "/grid"] = torch.tensor([height // patch, width // patch])
    return out


# ----------------------------------------------------------------------------- layouts
def write_safetensors(path, state, dtype):
    codes = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, tensor in state.items():
        data = tensor.to(dtype).contiguous().view(torch.uint8).numpy().tobytes()
        header[name] = {"dtype": codes[dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def write_layouts(out_dir, model, state):
    torch.save(state, os.path.join(out_dir, "small_backbone.pth"))
    teacher = collections.OrderedDict(("backbone." + k, v) for k, v in state.items())
    teacher["head.mlp.0.weight"] = torch.zeros(4, 48)
    student = collections.OrderedDict(("module." + k, v) for k, v in teacher.items())
    full = {"student": student, "teacher": teacher, "epoch": 100,
            "args": argparse.Namespace(arch="vit_small", patch_size=8),
            "dino_loss": {"center": torch.zeros(1, 4)}}
    torch.save(full, os.path.join(out_dir, "small_full_checkpoint.pth"))
    for dtype, suffix in ((torch.float32, "f32"), (torch.float16, "f16"),
                          (torch.bfloat16, "bf16")):
        write_safetensors(os.path.join(out_dir, "small_%s.safetensors" % suffix), state, dtype)
    traced = torch.jit.trace(TracedBackbone(model), normalise(synthetic_image(32, 32, 0)))
    traced.save(os.path.join(out_dir, "small_torchscript.pt"))
    # The pre-1.6 format (a pickle, not a zip): the reader must explain how to convert it.
    torch.save({"cls_token": state["cls_token"]}, os.path.join(out_dir, "legacy_format.pth"),
               _use_new_zipfile_serialization=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "vit")
    parser.add_argument("--out", default=default_out)
    parser.add_argument("--write-checkpoint", metavar="PATH",
                        help="only write the synthetic ViT-S/16 as a DINO backbone checkpoint "
                             "(the official key layout; scripts/gpu-check runs the CLI on it)")
    args = parser.parse_args()
    if args.write_checkpoint:
        torch.save(build("vits16")[1], args.write_checkpoint)
        print("wrote", args.write_checkpoint)
        return
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for case in CASES:
        model, state = build(case)
        outputs = reference_outputs(case, model, full=not case.startswith("vits"))
        if case == "small_v2":  # DINOv2 key layout: layer scale, registers, mask token
            torch.save(state, os.path.join(args.out, "small_v2_backbone.pth"))
        # A probe of the hash so the C++ generator can be checked on its own.
        outputs["probe/pos_embed_first8"] = state["pos_embed"].flatten()[:8].clone()
        torch.save(outputs, os.path.join(args.out, "%s_reference.pth" % case))
        if case == "small":
            write_layouts(args.out, model, state)
        print("wrote", case)


if __name__ == "__main__":
    main()
