#!/usr/bin/env python3
"""Export torchvision architectures to ONNX (opset 17) for the model-zoo benchmark and generality checks.

Random weights (torchvision's own initialisation) under a fixed seed per model, BatchNorm running statistics and
affine parameters randomised so that folding and normalisation are exercised, a dynamic batch axis "N".
Every model is attempted; the table at the end lists each one as ok or FAILED with the reason. Nothing is skipped
silently, and the exit code is 1 when any export failed.

    python3 eng/model-zoo/export_zoo.py /work/zoo                # the whole zoo at 224x224
    python3 eng/model-zoo/export_zoo.py /work/zoo resnet18 vgg16 # a subset
    python3 eng/model-zoo/export_zoo.py --tiny test/assets/models/zoo  # the small op-pattern graphs the tests use

Needs torch and torchvision (Debian: apt-get install python3-torch python3-torchvision python3-onnx).
"""
import argparse
import os
import sys
import time
import traceback

import torch
import torch.nn as nn
import torchvision.models as tvm

OPSET = 17


def _vgg16_slim():
    # The 4096-wide classifier is 120M parameters of Gemm that says nothing about the convolutional backward
    # graph; a 512-wide one keeps the file small and the cost in the features.
    model = tvm.vgg16(weights=None)
    model.classifier = nn.Sequential(
        nn.Linear(512 * 7 * 7, 512), nn.ReLU(True), nn.Dropout(), nn.Linear(512, 1000))
    return model


def _vit_small():
    # ViT-Ti/16-like: 6 blocks, width 192, 3 heads.
    return tvm.VisionTransformer(image_size=224, patch_size=16, num_layers=6, num_heads=3,
                                 hidden_dim=192, mlp_dim=768, num_classes=1000)


def _swin_small():
    # Swin-T layout with half the width and shallower stages: patch 4, window 7, four stages.
    return tvm.SwinTransformer(patch_size=[4, 4], embed_dim=48, depths=[2, 2, 2, 2], num_heads=[3, 6, 12, 24],
                               window_size=[7, 7], stochastic_depth_prob=0.1, num_classes=1000)


# name -> constructor. One table: the benchmark and the README read the names from the exported files.
ZOO = {
    "resnet18": lambda: tvm.resnet18(weights=None),
    "resnet50": lambda: tvm.resnet50(weights=None),
    "vgg16": _vgg16_slim,
    "densenet121": lambda: tvm.densenet121(weights=None),
    "googlenet": lambda: tvm.googlenet(weights=None, aux_logits=False, transform_input=False, init_weights=True),
    "mobilenet_v2": lambda: tvm.mobilenet_v2(weights=None),
    "mobilenet_v3_small": lambda: tvm.mobilenet_v3_small(weights=None),
    "efficientnet_b0": lambda: tvm.efficientnet_b0(weights=None),
    "squeezenet1_1": lambda: tvm.squeezenet1_1(weights=None),
    "shufflenet_v2_x0_5": lambda: tvm.shufflenet_v2_x0_5(weights=None),
    "regnet_y_400mf": lambda: tvm.regnet_y_400mf(weights=None),
    "convnext_tiny": lambda: tvm.convnext_tiny(weights=None),
    "vit_small": _vit_small,
    "swin_small": _swin_small,
}


def _tiny(*blocks, channels, stem_stride=1, stem_act=nn.ReLU):
    """Stem conv + BN + activation, the torchvision blocks under test, global pooling and a 10-class Linear."""
    return nn.Sequential(
        nn.Conv2d(3, channels, 3, stem_stride, 1, bias=False), nn.BatchNorm2d(channels), stem_act(),
        *blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.LazyLinear(10))


def _tiny_resnet():
    from torchvision.models.resnet import BasicBlock, Bottleneck
    down = nn.Sequential(nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))
    down2 = nn.Sequential(nn.Conv2d(16, 16, 1, 1, bias=False), nn.BatchNorm2d(16))
    return _tiny(nn.MaxPool2d(3, 2, 1), BasicBlock(8, 16, 2, down), Bottleneck(16, 4, 1, down2), channels=8, stem_stride=2)


def _tiny_mobilenet_v2():
    from torchvision.models.mobilenetv2 import InvertedResidual
    return _tiny(InvertedResidual(8, 8, 1, 1), InvertedResidual(8, 12, 2, 4), InvertedResidual(12, 12, 1, 4),
                 channels=8, stem_stride=2, stem_act=nn.ReLU6)


def _tiny_mobilenet_v3():
    from torchvision.models.mobilenetv3 import InvertedResidual, InvertedResidualConfig
    norm = nn.BatchNorm2d
    return _tiny(InvertedResidual(InvertedResidualConfig(8, 3, 8, 8, True, "RE", 2, 1, 1.0), norm),
                 InvertedResidual(InvertedResidualConfig(8, 5, 24, 16, True, "HS", 2, 1, 1.0), norm),
                 InvertedResidual(InvertedResidualConfig(16, 3, 32, 16, False, "HS", 1, 1, 1.0), norm),
                 channels=8, stem_stride=2, stem_act=nn.Hardswish)


def _tiny_shufflenet_v2():
    from torchvision.models.shufflenetv2 import InvertedResidual
    return _tiny(nn.MaxPool2d(3, 2, 1), InvertedResidual(8, 16, 2), InvertedResidual(16, 16, 1), channels=8, stem_stride=2)


def _tiny_efficientnet():
    from torchvision.models.efficientnet import MBConv, MBConvConfig
    return _tiny(MBConv(MBConvConfig(1, 3, 1, 8, 8, 1), 0.0, nn.BatchNorm2d),
                 MBConv(MBConvConfig(4, 5, 2, 8, 16, 1), 0.0, nn.BatchNorm2d),
                 MBConv(MBConvConfig(4, 3, 1, 16, 16, 1), 0.1, nn.BatchNorm2d),
                 channels=8, stem_stride=2, stem_act=nn.SiLU)


def _tiny_squeezenet_googlenet():
    from torchvision.models.squeezenet import Fire
    from torchvision.models.googlenet import Inception
    return _tiny(nn.MaxPool2d(3, 2, ceil_mode=True), Fire(8, 4, 8, 8), nn.MaxPool2d(3, 2, ceil_mode=True),
                 Inception(16, 4, 4, 8, 2, 4, 4), channels=8)


# Small graphs with the zoo's op patterns (32×32 inputs, a few KB each) for the whole-model tests.
TINY = {
    "tiny_resnet": _tiny_resnet,
    "tiny_mobilenet_v2": _tiny_mobilenet_v2,
    "tiny_mobilenet_v3": _tiny_mobilenet_v3,
    "tiny_shufflenet_v2": _tiny_shufflenet_v2,
    "tiny_efficientnet": _tiny_efficientnet,
    "tiny_squeezenet_googlenet": _tiny_squeezenet_googlenet,
}


def randomise_batch_norm(model, generator):
    """Running mean ~ N(0, 0.1), running var ~ U(0.5, 1.5), gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1)."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            n = module.num_features
            with torch.no_grad():
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                if module.affine:
                    module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                    module.bias.copy_(torch.randn(n, generator=generator) * 0.1)


def export(name, build, folder, size, seed):
    torch.manual_seed(seed)
    model = build()
    with torch.no_grad():  # materialise lazy layers
        model.eval()(torch.zeros(1, 3, size, size))
    randomise_batch_norm(model, torch.Generator().manual_seed(seed + 1))
    model.eval()
    example = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(seed + 2))
    path = os.path.join(folder, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, example, path, opset_version=OPSET, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    return path


def check(path):
    """The ONNX checker on the written file: a model it rejects counts as a failed export."""
    import onnx
    onnx.checker.check_model(onnx.load(path))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", help="folder for the .onnx files (created if missing)")
    parser.add_argument("models", nargs="*", help="subset of: " + ", ".join(ZOO))
    parser.add_argument("--size", type=int, default=224, help="example input height/width used for tracing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tiny", action="store_true", help="export the small op-pattern graphs (32x32) instead")
    args = parser.parse_args()
    zoo = TINY if args.tiny else ZOO
    if args.tiny and args.size == 224:
        args.size = 32
    unknown = [m for m in args.models if m not in zoo]
    if unknown:
        parser.error("unknown model(s): " + ", ".join(unknown) + "; known: " + ", ".join(zoo))
    os.makedirs(args.output, exist_ok=True)
    rows = []
    for index, name in enumerate(args.models or zoo):
        start = time.time()
        try:
            path = export(name, zoo[name], args.output, args.size, args.seed + 100 * index)
            check(path)
            rows.append((name, "ok", "%.3f MB" % (os.path.getsize(path) / 1e6), "%.0f s" % (time.time() - start)))
        except Exception as error:  # report every failure, keep going with the rest
            traceback.print_exc()
            rows.append((name, "FAILED", type(error).__name__ + ": " + str(error).splitlines()[0][:100], ""))
    print()
    print("| model | export | size / reason | time |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 1 if any(r[1] != "ok" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
